package trace_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/condiag/condiag/detect/race"
	"io"
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
	if name == "exit" {
		return // main returns without trace.Stop
	}
	time.Sleep(time.Hour)
}

// startHelperIgnoring starts the default helper with SIGINT ignored
// from the start, through a shell.
func startHelperIgnoring(t *testing.T) (*exec.Cmd, string, *bufio.Scanner) {
	return startHelperWith(t, "default", true)
}

// noFlush turns the recorder's periodic writes off (an hour apart), so
// that what a test finds was written on a signal or kept in the live file.
const noFlush = "CONDIAG_TRACE_FLUSH=1h"

// startHelper starts the helper and waits until it is ready.
func startHelper(t *testing.T, name string, env ...string) (*exec.Cmd, string, *bufio.Scanner) {
	return startHelperWith(t, name, false, env...)
}

func startHelperWith(t *testing.T, name string, ignoreINT bool, env ...string) (*exec.Cmd, string, *bufio.Scanner) {
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
	cmd.Env = append(append(os.Environ(), helperEnv+"="+name, "CONDIAG_TRACE="+path, "CONDIAG_ON_FINDING=silent"), env...)
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
//
// With live false, the trace is read alone, without its live file.
func lastRecorded(t *testing.T, path string, live bool) *trace.Reader {
	t.Helper()
	var r *trace.Reader
	var err error
	if live {
		r, err = trace.OpenFile(path)
	} else {
		var f *os.File
		if f, err = os.Open(path); err == nil {
			defer f.Close()
			r, err = trace.NewReader(f)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var evs []trace.Event
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
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
	if !race.Instrumented {
		t.Skip("condiagoff: the primitives record nothing")
	}
	cmd, path, _ := startHelper(t, "hang")
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	r := lastRecorded(t, path, false)
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
	if !race.Instrumented {
		t.Skip("condiagoff: the primitives record nothing")
	}
	cmd, path, _ := startHelper(t, "default", noFlush)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("helper: %v, want death by SIGTERM", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("helper ended with %v, want death by SIGTERM", err)
	}
	lastRecorded(t, path, false)
}

// TestSignalHandler sends SIGTERM to a program that handles it: the
// recorder writes what it has and the program's handler runs. (The
// handler and the recorder get the signal at the same time: a handler
// that exits at once can win the race; see docs/tracing.md.)
func TestSignalHandler(t *testing.T) {
	if !race.Instrumented {
		t.Skip("condiagoff: the primitives record nothing")
	}
	cmd, path, sc := startHelper(t, "handler", noFlush)
	cmd.Process.Signal(syscall.SIGTERM)
	handled := sc.Scan() && sc.Text() == "handled"
	err := cmd.Wait()
	var ee *exec.ExitError
	if !handled || !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("helper: handled %v, %v: want its handler to exit with 3", handled, err)
	}
	lastRecorded(t, path, false)
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

// TestExitWithoutStop lets a program return from main without stopping
// its trace, within 100 ms of its last events: they are read from the
// live file.
func TestExitWithoutStop(t *testing.T) {
	if !race.Instrumented {
		t.Skip("condiagoff: the primitives record nothing")
	}
	cmd, path, _ := startHelper(t, "exit", noFlush)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	if _, err := os.Stat(path + ".live"); err != nil {
		t.Fatalf("no live file: %v", err)
	}
	r := lastRecorded(t, path, true)
	if n, err := r.LiveBytes(); n == 0 || err != nil {
		t.Errorf("LiveBytes() = %d, %v: want the events read from the live file", n, err)
	}
	if r.Ended() {
		t.Error("the trace says it was stopped")
	}
}

// TestStopRemovesLiveFile checks that a trace stopped cleanly leaves no
// live file, and that a live file of another run is not mixed in.
func TestStopRemovesLiveFile(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStopHelper$")
	cmd.Env = append(os.Environ(), "CONDIAG_TRACE="+filepath.Join(dir, "t.out"), "CONDIAG_STOP_HELPER=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "t.out.live")); err == nil {
		t.Error("the live file is still there after trace.Stop")
	}
	// A live file left by another run of the same path.
	other, otherPath, _ := startHelper(t, "hang")
	other.Process.Kill()
	other.Wait()
	data, err := os.ReadFile(otherPath + ".live")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "t.out.live"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := trace.OpenFile(filepath.Join(dir, "t.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := r.LiveBytes(); n != 0 || err == nil || !strings.Contains(err.Error(), "belongs to another run") {
		t.Errorf("LiveBytes() = %d, %v: want the foreign live file refused", n, err)
	}
}

// TestStopHelper is run by TestStopRemovesLiveFile in a child process
// recording through CONDIAG_TRACE.
func TestStopHelper(t *testing.T) {
	if os.Getenv("CONDIAG_STOP_HELPER") == "" {
		t.Skip("run by TestStopRemovesLiveFile")
	}
	var mu sync.Mutex
	mu.Lock()
	mu.Unlock()
	if err := trace.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedLiveFile damages the events in a live file: reading stops
// with an error that names the live file.
func TestDamagedLiveFile(t *testing.T) {
	if !race.Instrumented {
		t.Skip("condiagoff: the primitives record nothing")
	}
	cmd, path, _ := startHelper(t, "exit", noFlush)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	lf, err := os.OpenFile(path+".live", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The first event of every used slot gets an undeclared kind.
	for i := range 256 {
		off := int64(4096 + i*(64<<10))
		var hdr [40]byte
		if _, err := lf.ReadAt(hdr[:], off); err != nil {
			t.Fatal(err)
		}
		if hdr[0] != 0 || hdr[32] != 0 {
			lf.WriteAt([]byte{0xEE}, off+64)
		}
	}
	lf.Close()
	_, err = analyze.Files([]string{path}, analyze.Options{})
	if err == nil || !strings.Contains(err.Error(), ".live: event of undeclared kind 238") {
		t.Errorf("err = %v, want the damage in the live file named", err)
	}
}
