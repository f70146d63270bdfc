package profile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

func TestCPUProfile(t *testing.T) {
	var tr Tree
	now := time.Now()
	tr.Add(&Snapshot{Time: now, Procs: []Proc{
		{PID: 10, Comm: "parent", Cmdline: []string{"./parent"}, CPU: 100 * time.Millisecond,
			Threads: []Thread{{TID: 10, Comm: "parent", CPU: 100 * time.Millisecond}}},
		{PID: 11, PPID: 10, Comm: "worker", Cmdline: []string{"./worker", "heavy"}, CPU: 900 * time.Millisecond,
			Threads: []Thread{{TID: 11, Comm: "worker", CPU: 500 * time.Millisecond}, {TID: 12, Comm: "worker", CPU: 300 * time.Millisecond}}},
	}})
	p := tr.CPUProfile(now, time.Second)
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	q, err := profile.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, s := range q.Sample {
		total += s.Value[0]
	}
	// 100ms + 500ms + 300ms, and 100ms the worker's threads do not
	// account for.
	if len(q.Sample) != 4 || total != int64(time.Second) {
		t.Errorf("%d samples, %v in all; want 4 and 1s", len(q.Sample), time.Duration(total))
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to run go tool pprof")
	}
	file := filepath.Join(t.TempDir(), "cpu.pb.gz")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", file).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -top: %v\n%s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	top := ""
	for i, l := range lines {
		if strings.Contains(l, "flat%") && i+1 < len(lines) {
			top = lines[i+1]
			break
		}
	}
	if !strings.Contains(string(out), "Type: cpu") || !strings.Contains(top, "pid 11: ./worker heavy") || !strings.Contains(top, "900ms") {
		t.Errorf("go tool pprof -top: want the worker first with 900ms:\n%s", out)
	}
}
