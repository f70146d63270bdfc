package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

func TestExport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "contention.pb.gz")
	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"export", "-format", "json", abba}, exitUsage, `-format "json": want pprof`},
		{[]string{"export"}, exitUsage, "no trace file given"},
		{[]string{"export", "-o", out, "no-such.trace"}, exitUsage, "no-such.trace"},
		{[]string{"export", "-o", out, abba}, exitClean, "contended acquisition stacks"},
	} {
		code, _, stderr := runCmd(tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.err) {
			t.Errorf("condiag %s: exit %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.err)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("condiag export wrote what pprof cannot read: %v", err)
	}
	if top, err := exec.Command("go", "tool", "pprof", "-top", out).CombinedOutput(); err != nil || !strings.Contains(string(top), "Type: ") {
		t.Errorf("go tool pprof -top: %v\n%s", err, top)
	}
	if p.SampleType[0].Type != "contentions" || p.DefaultSampleType != "delay" {
		t.Errorf("sample types %v, default %q", p.SampleType, p.DefaultSampleType)
	}
}
