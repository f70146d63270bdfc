package leak_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag/detect/leak"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
)

func find(t *testing.T, id string, fs []report.Finding, substr ...string) report.Finding {
	t.Helper()
	for _, f := range fs {
		if f.ID != id {
			continue
		}
		ok := true
		for _, s := range substr {
			ok = ok && strings.Contains(f.Message, s)
		}
		if ok {
			return f
		}
	}
	t.Fatalf("no %s finding with %q among:\n%s", id, substr, text(fs))
	return report.Finding{}
}

func text(fs []report.Finding) string {
	var b strings.Builder
	report.WriteText(&b, fs)
	return b.String()
}

func TestChannelLeak(t *testing.T) {
	ch := make(chan int)
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ch
	}()
	time.Sleep(10 * time.Millisecond)
	fs := leak.Findings()
	f := find(t, "LK3001", fs, "blocked in chan receive", "started by test TestChannelLeak")
	if !strings.HasSuffix(f.Location.File, "leak_test.go") {
		t.Errorf("location %s, want the receive in leak_test.go", f.Location)
	}
	close(ch)
	<-done
	if err := leak.Find(); err != nil {
		t.Errorf("after the goroutine ended, Find = %v", err)
	}
}

func TestMutexHolderExited(t *testing.T) {
	if !instrumented {
		t.Skip("condiagoff: the primitives are the standard library's")
	}
	var mu sync.Mutex
	sync.SetName(&mu, "store.mu")
	done := make(chan struct{})
	go func() {
		mu.Lock() // returns without unlocking
		close(done)
	}()
	<-done
	waiter := make(chan struct{})
	go func() {
		defer close(waiter)
		mu.Lock()
		mu.Unlock()
	}()
	time.Sleep(20 * time.Millisecond)
	fs := leak.Findings()
	f := find(t, "LK3001", fs, "waiting to lock store.mu", "which has exited (taken at ")
	if !strings.Contains(f.Message, "TestMutexHolderExited.func1") {
		t.Errorf("LK3001 does not say where the holder took the lock: %s", f.Message)
	}
	f = find(t, "LK3002", fs, "store.mu (taken at ", "still held (write)")
	if f.Location.Func != "github.com/condiag/condiag/detect/leak_test.TestMutexHolderExited.func1" {
		t.Errorf("LK3002 at %s in %s, want the Lock in the goroutine that exited", f.Location, f.Location.Func)
	}
	mu.Unlock()
	<-waiter
	if fs := leak.Findings(); len(fs) > 0 {
		t.Errorf("after unlocking: %s", text(fs))
	}
}

func TestWaitGroupAndCond(t *testing.T) {
	if !instrumented {
		t.Skip("condiagoff: the primitives are the standard library's")
	}
	var wg sync.WaitGroup
	wg.Add(2)
	wg.Done()
	wgDone := make(chan struct{})
	go func() {
		defer close(wgDone)
		wg.Wait()
	}()
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	signalled := false
	condDone := make(chan struct{})
	go func() {
		defer close(condDone)
		mu.Lock()
		for !signalled {
			c.Wait()
		}
		mu.Unlock()
	}()
	time.Sleep(20 * time.Millisecond)
	fs := leak.Findings()
	find(t, "LK3001", fs, "in Wait on WaitGroup#", "whose counter is 1")
	find(t, "LK3001", fs, "in Wait on Cond#", "not signalled")
	wg.Done()
	mu.Lock()
	signalled = true
	c.Broadcast()
	mu.Unlock()
	<-wgDone
	<-condDone
	if err := leak.Find(); err != nil {
		t.Errorf("after release: %v", err)
	}
}

func TestGrouped(t *testing.T) {
	stop := make(chan struct{})
	for range 100 {
		go func() { <-stop }()
	}
	time.Sleep(10 * time.Millisecond)
	fs := leak.Findings()
	f := find(t, "LK3001", fs, "100 goroutines with this stack")
	if len(f.Goroutines) != 1 {
		t.Errorf("a group of 100 lists %d goroutines, want 1 with the stack", len(f.Goroutines))
	}
	n := 0
	for _, f := range fs {
		if f.ID == "LK3001" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d LK3001 findings, want 1 group:\n%s", n, text(fs))
	}
	close(stop)
}

func TestOptions(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	go parkedHelper(stop)
	time.Sleep(10 * time.Millisecond)
	tests := []struct {
		name string
		give []leak.Option
		want bool
	}{
		{name: "none", want: true},
		{name: "top", give: []leak.Option{leak.IgnoreTopFunction("github.com/condiag/condiag/detect/leak_test.parkedHelper")}},
		{name: "any", give: []leak.Option{leak.IgnoreAnyFunction("github.com/condiag/condiag/detect/leak_test.parkedHelper")}},
		{name: "created by", give: []leak.Option{leak.IgnoreCreatedBy("github.com/condiag/condiag/detect/leak_test.TestOptions")}},
		{name: "current", give: []leak.Option{leak.IgnoreCurrent()}},
		{name: "other top", give: []leak.Option{leak.IgnoreTopFunction("example.com/x.f")}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := leak.Find(append(tt.give, leak.MaxRetryAttempts(2))...)
			if got := err != nil; got != tt.want {
				t.Errorf("Find leaked = %v, want %v: %v", got, tt.want, err)
			}
		})
	}
	if err := leak.Find(leak.Cleanup(func(int) {})); err != leak.ErrCleanup {
		t.Errorf("Find with Cleanup = %v, want ErrCleanup", err)
	}
}

func parkedHelper(stop <-chan struct{}) { <-stop }

// A goroutine on its way out is not reported: the retries wait for it.
func TestExitingNotReported(t *testing.T) {
	go func() { time.Sleep(50 * time.Millisecond) }()
	if err := leak.Find(); err != nil {
		t.Errorf("Find = %v, want nil once the sleeper exits", err)
	}
}

type recT struct {
	name string
	errs []string
}

func (r *recT) Error(args ...any) {
	r.errs = append(r.errs, strings.TrimSpace(sprint(args)))
}
func (r *recT) Name() string { return r.name }

func sprint(args []any) string {
	var b strings.Builder
	for _, a := range args {
		if s, ok := a.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

func TestVerifyNone(t *testing.T) {
	stop := make(chan struct{})
	go func() { <-stop }()
	rt := &recT{name: t.Name()}
	leak.VerifyNone(rt, leak.MaxRetryAttempts(3))
	if len(rt.errs) != 1 || !strings.Contains(rt.errs[0], "LK3001") {
		t.Errorf("VerifyNone errors = %q, want one LK3001", rt.errs)
	}
	close(stop)
	rt = &recT{name: t.Name()}
	cleaned := -1
	leak.VerifyNone(rt, leak.Cleanup(func(c int) { cleaned = c }))
	if len(rt.errs) != 0 || cleaned != 0 {
		t.Errorf("after release: errors %q, cleanup(%d), want none and cleanup(0)", rt.errs, cleaned)
	}
}

// TestProvenByProfile builds a program with and without
// GOEXPERIMENT=goroutineleakprofile: with it, the leak the garbage
// collector can prove says so, and the one on a global does not; without
// it, the same leaks are reported, none proven.
func TestProvenByProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the standard library with GOEXPERIMENT=goroutineleakprofile")
	}
	for _, exp := range []string{"", "goroutineleakprofile"} {
		t.Run("GOEXPERIMENT="+exp, func(t *testing.T) {
			cmd := exec.Command("go", "run", "./testdata/proven")
			cmd.Env = append(os.Environ(), "GOEXPERIMENT="+exp)
			out, _ := cmd.CombinedOutput()
			s := string(out)
			if !strings.Contains(s, "profile: "+fmt.Sprint(exp != "")) {
				t.Fatalf("the leak profile's presence is not %v:\n%s", exp != "", s)
			}
			lost := regexp.MustCompile(`leaked in main\.lost\.func1, blocked in chan receive \(LK3001\)(\n    .*)*\n    note: proven`)
			global := regexp.MustCompile(`leaked in main\.global, blocked in chan receive \(LK3001\)(\n    .*)*\n    note: proven`)
			if strings.Count(s, "(LK3001)") != 2 {
				t.Fatalf("want 2 leaks:\n%s", s)
			}
			if got := lost.MatchString(s); got != (exp != "") {
				t.Errorf("the unreachable leak proven = %v, want %v:\n%s", got, exp != "", s)
			}
			if global.MatchString(s) {
				t.Errorf("the leak on a global is marked proven:\n%s", s)
			}
		})
	}
}

// What a test's check reported, the check at the end does not report
// again: neither the leaked goroutine nor the lock its exited holder
// left held.
func TestEndSkipsReported(t *testing.T) {
	if !instrumented {
		t.Skip("condiagoff: the primitives are the standard library's")
	}
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		mu.Lock() // exits holding it
		close(done)
	}()
	<-done
	stop := make(chan struct{})
	go func() { <-stop }()
	rt := &recT{name: t.Name()}
	leak.VerifyNone(rt, leak.MaxRetryAttempts(3))
	if len(rt.errs) != 1 || !strings.Contains(rt.errs[0], "LK3001") || !strings.Contains(rt.errs[0], "LK3002") {
		t.Fatalf("VerifyNone errors = %q, want LK3001 and LK3002", rt.errs)
	}
	if fs := leak.EndFindings(leak.MaxRetryAttempts(3)); len(fs) > 0 {
		t.Errorf("the end reports again what the test reported:\n%s", text(fs))
	}
	if fs := leak.Findings(leak.MaxRetryAttempts(3)); len(fs) != 2 {
		t.Errorf("Findings = %d findings, want the 2 still there:\n%s", len(fs), text(fs))
	}
	close(stop)
	mu.Unlock()
}
