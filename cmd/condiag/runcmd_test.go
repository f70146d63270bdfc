package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunCommand(t *testing.T) {
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no command", []string{"run"}, exitUsage, "", "no command given"},
		{"bad rate", []string{"run", "-hz", "0", "--", "true"}, exitUsage, "", "-hz 0"},
		{"no such program", []string{"run", "--", "/no/such/program"}, exitUsage, "", "no such file"},
		{"a command that fails", []string{"run", "--", "sh", "-c", "exit 3"}, exitCommandFailed, "the command exit status 3", ""},
		{"a clean command", []string{"run", "--", "sh", "-c", "echo hello"}, exitClean, "hello", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, %q in stdout, %q in stderr", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// buildFixture builds fixtures/name and returns the binary.
func buildFixture(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", bin, "../../fixtures/"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestRunFixture(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a fixture")
	}
	bin := buildFixture(t, "abba")
	dir := t.TempDir()
	code, stdout, _ := runCmd("run", "-o", dir, "--", bin)
	if code != 1 {
		t.Errorf("exit %d, want 1 (findings)", code)
	}
	for _, want := range []string{"(DL1001)", "pid", "CPU s", "peak RSS", "exit status 0", bin, "1 finding in 1 trace"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report does not say %q:\n%s", want, stdout)
		}
	}
	if traces, _ := filepath.Glob(filepath.Join(dir, "trace-*.out")); len(traces) != 1 {
		t.Errorf("-o %s holds traces %v, want one", dir, traces)
	}
	for file, want := range map[string]string{"cpu.pb.gz": "Type: cpu", "contention.pb.gz": "Type: delay"} {
		out, err := exec.Command("go", "tool", "pprof", "-top", filepath.Join(dir, file)).CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("go tool pprof -top %s: %v\n%s", file, err, out)
		}
	}
	// The directory holds this run's traces now: a second run would mix
	// them with its own.
	if code, _, stderr := runCmd("run", "-o", dir, "--", bin); code != exitUsage || !strings.Contains(stderr, "holds traces of an earlier run") {
		t.Errorf("a second run into %s: exit %d, %s", dir, code, stderr)
	}
}

// TestRunEscaped: a process that left the group (setsid) and still runs
// when the command exits is killed, and the report says so.
func TestRunEscaped(t *testing.T) {
	code, stdout, stderr := runCmd("run", "--", "sh", "-c", "setsid sleep 30 & sleep 0.5; exit 0")
	if code != exitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	i := strings.Index(stdout, "had left the process group and still ran: killed (pids [")
	if i < 0 {
		t.Fatalf("the report does not say the escaped sleep was killed:\n%s", stdout)
	}
	var pid int
	fmt.Sscanf(stdout[i+len("had left the process group and still ran: killed (pids ["):], "%d", &pid)
	if pid <= 0 {
		t.Fatalf("no pid in %q", stdout[i:])
	}
	if err := syscall.Kill(pid, 0); err == nil {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the escaped process %d still runs", pid)
	}
}

// TestRunInterrupt: Ctrl-C reaches the whole process group, nothing of
// the tree is left running, and the report of what was recorded is
// still written.
func TestRunInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds condiag and a fixture")
	}
	condiag := filepath.Join(t.TempDir(), "condiag")
	if out, err := exec.Command("go", "build", "-o", condiag, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	hang := buildFixture(t, "actualdeadlock") // deadlocks: runs until stopped
	pidFile := filepath.Join(t.TempDir(), "pid")
	// A shell that starts the fixture and a sleeping child of its own,
	// then waits: three processes in the group.
	script := "echo $$ > " + pidFile + "; sleep 60 & " + hang + " & wait"
	cmd := exec.Command(condiag, "run", "--", "sh", "-c", script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pgid int
	for deadline := time.Now().Add(10 * time.Second); pgid == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(pidFile); err == nil && len(b) > 1 {
			pgid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	if pgid == 0 {
		cmd.Process.Kill()
		t.Fatal("the command did not start")
	}
	time.Sleep(1500 * time.Millisecond) // the deadlock is found and written
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		syscall.Kill(-pgid, syscall.SIGKILL)
		t.Fatalf("condiag run still running 20s after Ctrl-C:\n%s", out.String())
	}
	if err := syscall.Kill(-pgid, 0); err == nil {
		syscall.Kill(-pgid, syscall.SIGKILL)
		t.Errorf("processes of the group are still running after condiag run returned")
	}
	for _, want := range []string{"(DL1002)", "CPU s", "after interrupt"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report does not say %q:\n%s", want, out.String())
		}
	}
}

// TestRunProcessTree: on fixtures/workers, the CPU condiag run reports
// for each worker process is within 5% of what the kernel accounted for
// it when it exited (wait4's rusage, which the fixture prints), and the
// heavy worker is the top entry of cpu.pb.gz.
func TestRunProcessTree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a fixture of four processes")
	}
	bin := buildFixture(t, "workers")
	dir := t.TempDir()
	code, stdout, stderr := runCmd("run", "-o", dir, "--", bin)
	if code != exitClean {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// "worker 2 pid 1234: 400 answers, exit status 0, 1.745s CPU"
	kernel := map[int]float64{}
	heavy := 0
	for _, line := range strings.Split(stderr, "\n") {
		var id, pid, answers int
		var status string
		var cpu float64
		if n, _ := fmt.Sscanf(line, "worker %d pid %d: %d answers, exit status %s %fs CPU", &id, &pid, &answers, &status, &cpu); n == 5 {
			kernel[pid] = cpu
			if id == 2 {
				heavy = pid
			}
		}
	}
	if len(kernel) != 3 || heavy == 0 {
		t.Fatalf("the fixture's accounting of its 3 workers not found in:\n%s", stderr)
	}
	reported := map[int]float64{}
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		pid, err1 := strconv.Atoi(f[0])
		cpu, err2 := strconv.ParseFloat(f[2], 64)
		if err1 == nil && err2 == nil {
			reported[pid] = cpu
		}
	}
	for pid, want := range kernel {
		got, ok := reported[pid]
		if !ok {
			t.Errorf("worker pid %d is not in the process table:\n%s", pid, stdout)
			continue
		}
		if diff := math.Abs(got-want) / want; diff > 0.05 {
			t.Errorf("worker pid %d: condiag run says %.3fs CPU, the kernel %.3fs (%.1f%% off)", pid, got, want, 100*diff)
		}
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", filepath.Join(dir, "cpu.pb.gz")).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -top: %v\n%s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if strings.Contains(l, "flat%") && i+1 < len(lines) {
			if !strings.Contains(lines[i+1], fmt.Sprintf("pid %d:", heavy)) {
				t.Errorf("the top entry of cpu.pb.gz is not the heavy worker (pid %d):\n%s", heavy, out)
			}
			return
		}
	}
	t.Errorf("go tool pprof -top printed no entries:\n%s", out)
}
