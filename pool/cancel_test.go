package pool_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/condiag/condiag/pool"
)

// TestWaitTimeout: a Wait that gives up does not cancel the task.
func TestWaitTimeout(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 1)
	gate := make(chan struct{})
	var taskErr atomic.Value
	fu := pool.Submit(p, func(ctx context.Context) (int, error) {
		<-gate
		taskErr.Store(fmt.Sprint(ctx.Err()))
		return 7, nil
	})
	for _, d := range []time.Duration{-time.Second, 10 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		v, err := fu.Wait(ctx)
		cancel()
		if v != 0 || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait with timeout %v = %d, %v; want 0, DeadlineExceeded", d, v, err)
		}
	}
	close(gate)
	if v, err := wait(t, fu); v != 7 || err != nil {
		t.Errorf("Wait after the timeout = %d, %v; want 7, nil", v, err)
	}
	if got := taskErr.Load(); got != "<nil>" {
		t.Errorf("the task's context ended with %v after a Wait timed out", got)
	}
	shutdown(t, p)
}

func TestTaskTimeout(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const d = 20 * time.Millisecond
	p := pool.New(context.Background(), 2, pool.WithTaskTimeout(d))
	obey := pool.Submit(p, func(ctx context.Context) (time.Duration, error) {
		dl, ok := ctx.Deadline()
		if !ok {
			return 0, errors.New("no deadline")
		}
		left := time.Until(dl)
		<-ctx.Done()
		return left, ctx.Err()
	})
	ignore := pool.Submit(p, func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "done anyway", nil
	})
	left, err := wait(t, obey)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("task that returns ctx.Err(): %v, want DeadlineExceeded", err)
	}
	if left <= 0 || left > d {
		t.Errorf("deadline %v after the start, want in (0, %v]", left, d)
	}
	if v, err := wait(t, ignore); v != "done anyway" || err != nil {
		t.Errorf("task that ignores the timeout: %q, %v; want its own result", v, err)
	}
	// Without the option there is no deadline.
	q := pool.New(context.Background(), 1)
	ok, _ := wait(t, pool.Submit(q, func(ctx context.Context) (bool, error) {
		_, ok := ctx.Deadline()
		return ok, nil
	}))
	if ok {
		t.Error("task of a pool without WithTaskTimeout has a deadline")
	}
	shutdown(t, p)
	shutdown(t, q)
}

func TestPoolCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cause := errors.New("stopped by the test")
	tests := []struct {
		name    string
		cancel  func(context.CancelCauseFunc)
		wantErr error
	}{
		{"cancel", func(c context.CancelCauseFunc) { c(nil) }, context.Canceled},
		{"cancel with cause", func(c context.CancelCauseFunc) { c(cause) }, cause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			p := pool.New(ctx, 2)
			var started atomic.Int64
			running := make([]*pool.Future[int], 2)
			for i := range running {
				running[i] = pool.Submit(p, func(ctx context.Context) (int, error) {
					started.Add(1)
					<-ctx.Done()
					return 1, ctx.Err()
				})
			}
			waitFor(t, "the tasks to start", func() bool { return started.Load() == 2 })
			queued := make([]*pool.Future[int], 10)
			for i := range queued {
				queued[i] = pool.Submit(p, func(ctx context.Context) (int, error) {
					started.Add(1)
					return 1, nil
				})
			}
			tt.cancel(cancel)
			for _, fu := range running {
				if v, err := wait(t, fu); v != 1 || err != context.Canceled {
					t.Errorf("running task: %d, %v; want its return, 1 and context.Canceled", v, err)
				}
			}
			for _, fu := range queued {
				if v, err := wait(t, fu); v != 0 || err != tt.wantErr {
					t.Errorf("queued task: %d, %v; want 0, %v", v, err, tt.wantErr)
				}
			}
			if n := started.Load(); n != 2 {
				t.Errorf("%d tasks started, want the 2 running when the pool was cancelled", n)
			}
			if _, err := wait(t, pool.Submit(p, func(context.Context) (int, error) { return 1, nil })); err != tt.wantErr {
				t.Errorf("Submit after cancel: %v, want %v", err, tt.wantErr)
			}
			shutdown(t, p)
		})
	}
}

func TestFutureCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 1)
	started := make(chan struct{})
	run := pool.Submit(p, func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done()
		return "stopped", ctx.Err()
	})
	var ran atomic.Bool
	queued := pool.Submit(p, func(context.Context) (string, error) { ran.Store(true); return "ran", nil })
	after := pool.Submit(p, func(context.Context) (string, error) { return "after", nil })
	<-started

	queued.Cancel()
	select {
	case <-queued.Done():
	default:
		t.Error("a queued task cancelled is not done at once")
	}
	if v, err := wait(t, queued); v != "" || err != context.Canceled {
		t.Errorf("cancelled queued task: %q, %v; want \"\", context.Canceled", v, err)
	}

	run.Cancel()
	if v, err := wait(t, run); v != "stopped" || err != context.Canceled {
		t.Errorf("cancelled running task: %q, %v; want its return", v, err)
	}
	if v, err := wait(t, after); v != "after" || err != nil {
		t.Errorf("task after the cancelled ones: %q, %v", v, err)
	}
	run.Cancel() // after the end: nothing
	if v, err := wait(t, run); v != "stopped" || err != context.Canceled {
		t.Errorf("Cancel after the end changed the result: %q, %v", v, err)
	}
	shutdown(t, p)
	if ran.Load() {
		t.Error("a task cancelled while queued ran")
	}
}
