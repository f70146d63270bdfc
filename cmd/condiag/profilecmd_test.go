package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

func TestProfileCommand(t *testing.T) {
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"profile"}, "-p: want the pid"},
		{[]string{"profile", "-p", "1", "-duration", "0s"}, "-duration 0s"},
		{[]string{"profile", "-p", "4194305"}, "no such process"},
	} {
		if code, _, stderr := runCmd(tt.args...); code != exitUsage || !strings.Contains(stderr, tt.err) {
			t.Errorf("condiag %s: exit %d, stderr %q; want 2 and %q", strings.Join(tt.args, " "), code, stderr, tt.err)
		}
	}
	// A shell with a child of its own.
	sh := exec.Command("sh", "-c", "sleep 5 & wait")
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sh.Process.Kill(); sh.Wait() }()
	out := filepath.Join(t.TempDir(), "cpu.pb.gz")
	code, stdout, stderr := runCmd("profile", "-p", fmt.Sprint(sh.Process.Pid), "-duration", "300ms", "-o", out)
	if code != exitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, fmt.Sprintf("%d ", sh.Process.Pid)) || !strings.Contains(stdout, "sleep 5") {
		t.Errorf("the table does not show the shell and its sleep:\n%s", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if top, err := exec.Command("go", "tool", "pprof", "-top", out).CombinedOutput(); err != nil || !strings.Contains(string(top), "Type: ") {
		t.Errorf("go tool pprof -top: %v\n%s", err, top)
	}
	if p.SampleType[0].Type != "cpu" || len(p.Function) < 2 {
		t.Errorf("profile: types %v, %d processes", p.SampleType, len(p.Function))
	}
}
