//go:build !condiagoff

package pool_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/pool"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/trace"
)

// runs counts the runs of each test in this process (go test -count), so
// that every run names its pool apart: findings are reported once per
// process.
var runs = map[string]int{}

func runName(name string) string {
	runs[name]++
	return fmt.Sprintf("%s#run%d", name, runs[name])
}

// findings records every finding delivered to condiag's handler while it
// is installed. Each occurrence is delivered, while
// deadlock.Findings lists a finding once per process: the same wait at
// the same place, in another run or another subtest, counts as the same.
type findings struct {
	mu  sync.Mutex
	got []report.Finding
}

func (fs *findings) handle(f report.Finding) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.got = append(fs.got, f)
}

// find returns the finding with the given id that names the pool called
// name, if there is one.
func (fs *findings) find(id, name string) (report.Finding, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.got {
		if f.ID == id && slices.ContainsFunc(f.Locks, func(l report.Lock) bool { return l.Name == name }) {
			return f, true
		}
	}
	return report.Finding{}, false
}

// TestMonitorFindsPoolDeadlock: the classic pool deadlock, every worker
// running a task that waits for a task it submitted, which stays queued
// behind them. The watchdog reports DL1002; the test then cancels the
// pool's context, which ends the waits.
func TestMonitorFindsPoolDeadlock(t *testing.T) {
	var fs findings
	old := condiag.SetHandler(fs.handle)
	defer condiag.SetHandler(old)
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			name := runName(fmt.Sprintf("deadlocked pool of %d", workers))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := pool.New(ctx, workers, pool.WithName(name))
			// Each outer task submits its inner task once every worker
			// runs an outer one, so that the inner tasks stay queued.
			var started sync.WaitGroup
			started.Add(workers)
			outer := make([]*pool.Future[int], workers)
			for i := range outer {
				outer[i] = pool.Submit(p, func(ctx context.Context) (int, error) {
					started.Done()
					started.Wait()
					inner := pool.Submit(p, func(context.Context) (int, error) { return 1, nil })
					return inner.Wait(ctx) // until the pool is cancelled
				})
			}
			deadline := time.Now().Add(5 * time.Second)
			f, found := fs.find("DL1002", name)
			for !found && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				f, found = fs.find("DL1002", name)
			}
			cancel()
			for _, fu := range outer {
				if _, err := wait(t, fu); err != context.Canceled {
					t.Errorf("outer task after cancel: %v, want context.Canceled", err)
				}
			}
			shutdown(t, p)
			if !found {
				t.Fatalf("no DL1002 naming %q within 5s; findings: %v", name, deadlock.Findings())
			}
			for _, want := range []string{"waits to get the result of task", name, "queued behind the tasks running on"} {
				if !strings.Contains(f.Message, want) {
					t.Errorf("DL1002 message does not say %q:\n%s", want, f.Message)
				}
			}
			t.Logf("%s", f.Message)
		})
	}
}

// TestMonitorAfterCancelInTask: a task cancels a queued task, which
// completes it on the task's worker, and then deadlocks the pool. The
// monitor must still count the worker as busy.
func TestMonitorAfterCancelInTask(t *testing.T) {
	var fs findings
	old := condiag.SetHandler(fs.handle)
	defer condiag.SetHandler(old)
	name := runName("pool cancelling in a task")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := pool.New(ctx, 1, pool.WithName(name))
	outer := pool.Submit(p, func(ctx context.Context) (int, error) {
		dropped := pool.Submit(p, func(context.Context) (int, error) { return 0, nil })
		dropped.Cancel() // OpTaskDone of a queued task, on this worker
		inner := pool.Submit(p, func(context.Context) (int, error) { return 1, nil })
		return inner.Wait(ctx)
	})
	deadline := time.Now().Add(2 * time.Second)
	_, found := fs.find("DL1002", name)
	for !found && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		_, found = fs.find("DL1002", name)
	}
	cancel()
	if _, err := wait(t, outer); err != context.Canceled {
		t.Errorf("outer task after cancel: %v, want context.Canceled", err)
	}
	shutdown(t, p)
	if !found {
		// The worker that completed a queued task it cancelled must
		// still count as running its own.
		t.Error("DL1002 missed after a worker completed a queued task it cancelled")
	}
}

// TestMonitorFindsShutdownInTask: a task that shuts its own pool down
// waits for itself.
func TestMonitorFindsShutdownInTask(t *testing.T) {
	var fs findings
	old := condiag.SetHandler(fs.handle)
	defer condiag.SetHandler(old)
	name := runName("pool shut down by its task")
	p := pool.New(context.Background(), 2, pool.WithName(name))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fu := pool.Submit(p, func(context.Context) (int, error) {
		return 0, p.Shutdown(ctx) // until cancel
	})
	deadline := time.Now().Add(5 * time.Second)
	f, found := fs.find("DL1002", name)
	for !found && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		f, found = fs.find("DL1002", name)
	}
	cancel()
	if _, err := wait(t, fu); err != context.Canceled {
		t.Errorf("Shutdown in the task: %v, want context.Canceled", err)
	}
	shutdown(t, p)
	if !found {
		t.Fatalf("no DL1002 naming %q within 5s", name)
	}
	if !strings.Contains(f.Message, "shut down") {
		t.Errorf("DL1002 message does not say \"shut down\":\n%s", f.Message)
	}
	t.Logf("%s", f.Message)
}

// TestTraceFindsPoolDeadlock: a trace of the pool deadlock gives the
// same DL1002 when condiag analyze replays it.
func TestTraceFindsPoolDeadlock(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("a trace is being recorded already (CONDIAG_TRACE)")
	}
	old := condiag.SetHandler(nil) // the live finding is not this test's
	defer condiag.SetHandler(old)
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	name := runName("traced pool")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := pool.New(ctx, 1, pool.WithName(name))
	outer := pool.Submit(p, func(ctx context.Context) (int, error) {
		inner := pool.Submit(p, func(context.Context) (int, error) { return 1, nil })
		return inner.Wait(ctx)
	})
	time.Sleep(500 * time.Millisecond) // the deadlock lasts
	cancel()
	wait(t, outer)
	shutdown(t, p)
	if err := trace.Stop(); err != nil {
		t.Fatal(err)
	}
	res, err := analyze.Reader("pool.trace", &buf, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.ID == "DL1002" && slices.ContainsFunc(f.Locks, func(l report.Lock) bool { return l.Name == name }) {
			t.Logf("%s", f.Message)
			return
		}
	}
	t.Errorf("no DL1002 naming %q in the trace; findings: %v", name, res.Findings)
}
