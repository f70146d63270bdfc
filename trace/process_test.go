package trace_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/sync"
	"github.com/condiag/condiag/trace"
)

// The tests below run this test binary as a child process that records
// a trace through CONDIAG_TRACE and does what helperEnv names.
const helperEnv = "CONDIAG_TRACE_TEST_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		helper(h)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helper(name string) {
	var a, b sync.Mutex
	a.Lock()
	b.Lock()
	b.Unlock()
	if name == "hang" {
		go func() {
			a.Lock() // blocks for good: main holds a
		}()
		time.Sleep(50 * time.Millisecond)
	}
	if name == "handler" {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		go func() {
			<-c
			fmt.Println("handled")
			time.Sleep(20 * time.Millisecond) // a shutdown's work
			os.Exit(3)
		}()
	}
	var last sync.Mutex
	sync.SetName(&last, "last")
	last.Lock()
	last.Unlock()
	fmt.Println("ready")
	time.Sleep(time.Hour)
}

// startHelperIgnoring starts the default helper with SIGINT ignored
// from the start, through a shell.
func startHelperIgnoring(t *testing.T) (*exec.Cmd, string, *bufio.Scanner) {
	return startHelperWith(t, "default", true)
}

// startHelper starts the helper and waits until it is ready.
func startHelper(t *testing.T, name string) (*exec.Cmd, string, *bufio.Scanner) {
	return startHelperWith(t, name, false)
}

func startHelperWith(t *testing.T, name string, ignoreINT bool) (*exec.Cmd, string, *bufio.Scanner) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace-%p.out")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	if ignoreINT {
		// The shell ignores SIGINT, then execs the helper, which
		// inherits the disposition.
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", `trap "" INT; exec "$0" -test.run='^$'`, os.Args[0])
	}
	cmd.Env = append(os.Environ(), helperEnv+"="+name, "CONDIAG_TRACE="+path, "CONDIAG_ON_FINDING=silent")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper %s did not get ready: %q", name, sc.Text())
	}
	return cmd, strings.ReplaceAll(path, "%p", fmt.Sprint(cmd.Process.Pid)), sc
}

// lastRecorded reports whether the trace at path holds the Lock and
// Unlock of the lock named "last", which the helper makes right before it
// says it is ready.
func lastRecorded(t *testing.T, path string) *trace.Reader {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, evs := readAll(t, data)
	var obj uint64
	var kinds []string
	for _, e := range evs {
		if e.Kind == trace.EvName && e.Str == "last" {
			obj = e.Obj
		}
		if obj != 0 && e.Obj == obj {
			kinds = append(kinds, e.Kind.String())
		}
	}
	if strings.Join(kinds, " ") != "Name Lock Unlock" {
		t.Errorf("events of the lock named last: %v, want Name Lock Unlock", kinds)
	}
	return r
}

// TestKilled kills a hung program with SIGKILL: its trace reads up to the
// last write, which came at most 100 ms before.
func TestKilled(t *testing.T) {
	cmd, path, _ := startHelper(t, "hang")
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	r := lastRecorded(t, path)
	if r.Ended() {
		t.Error("the trace of a killed program says it was stopped")
	}
	res, err := analyze.Files([]string{path}, analyze.Options{Hang: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.ID)
	}
	if len(ids) != 1 || ids[0] != "DL1005" {
		t.Errorf("findings %v, want the goroutine blocked on a (DL1005)", ids)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "not stopped") {
		t.Errorf("warnings %q, want one saying the trace was not stopped", res.Warnings)
	}
}

// TestSignalDefault sends SIGTERM to a program without a handler: the
// recorder writes what it has, then the program dies of the signal.
func TestSignalDefault(t *testing.T) {
	cmd, path, _ := startHelper(t, "default")
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("helper: %v, want death by SIGTERM", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("helper ended with %v, want death by SIGTERM", err)
	}
	lastRecorded(t, path)
}

// TestSignalHandler sends SIGTERM to a program that handles it: the
// recorder writes what it has and the program's handler runs. (The
// handler and the recorder get the signal at the same time: a handler
// that exits at once can win the race; see docs/tracing.md.)
func TestSignalHandler(t *testing.T) {
	cmd, path, sc := startHelper(t, "handler")
	cmd.Process.Signal(syscall.SIGTERM)
	handled := sc.Scan() && sc.Text() == "handled"
	err := cmd.Wait()
	var ee *exec.ExitError
	if !handled || !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("helper: handled %v, %v: want its handler to exit with 3", handled, err)
	}
	lastRecorded(t, path)
}

// TestSignalIgnored starts a program with SIGINT ignored, as a shell
// starts a background job: recording must not make SIGINT kill it.
func TestSignalIgnored(t *testing.T) {
	cmd, _, sc := startHelperIgnoring(t)
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("helper: %v", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("helper ended with %v, want death by SIGTERM (SIGINT is ignored)", err)
	}
	_ = sc
}
