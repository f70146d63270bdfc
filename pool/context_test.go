package pool_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/condiag/condiag/pool"
)

// TestTaskContext checks the task's context against the context
// package's contract: Done, Err and Cause agree, contexts derived from
// it end with it, AfterFunc runs, Deadline is the earlier one.
func TestTaskContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 1)
	defer shutdown(t, p)

	t.Run("cancel", func(t *testing.T) {
		type result struct {
			errBefore, err, cause, derived, derivedCause error
			afterRan                                     bool
		}
		started := make(chan struct{})
		fu := pool.Submit(p, func(ctx context.Context) (result, error) {
			var r result
			r.errBefore = ctx.Err()
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			ran := make(chan struct{})
			context.AfterFunc(ctx, func() { close(ran) })
			close(started)
			<-ctx.Done()
			<-child.Done()
			select {
			case <-ran:
				r.afterRan = true
			case <-time.After(long):
			}
			r.err, r.cause = ctx.Err(), context.Cause(ctx)
			r.derived, r.derivedCause = child.Err(), context.Cause(child)
			return r, nil
		})
		<-started
		fu.Cancel()
		r, err := wait(t, fu)
		if err != nil {
			t.Fatal(err)
		}
		if r.errBefore != nil {
			t.Errorf("Err before cancel = %v", r.errBefore)
		}
		if r.err != context.Canceled || r.cause != context.Canceled {
			t.Errorf("Err, Cause = %v, %v; want context.Canceled twice", r.err, r.cause)
		}
		if r.derived != context.Canceled || r.derivedCause != context.Canceled {
			t.Errorf("derived Err, Cause = %v, %v; want context.Canceled twice", r.derived, r.derivedCause)
		}
		if !r.afterRan {
			t.Error("AfterFunc did not run")
		}
	})

	t.Run("derived contexts need no goroutine", func(t *testing.T) {
		const n = 100
		got, _ := wait(t, pool.Submit(p, func(ctx context.Context) (int, error) {
			before := runtime.NumGoroutine()
			var cancels []context.CancelFunc
			for range n {
				_, cancel := context.WithCancel(ctx)
				cancels = append(cancels, cancel)
			}
			after := runtime.NumGoroutine()
			for _, c := range cancels {
				c()
			}
			return after - before, nil
		}))
		if got >= n {
			t.Errorf("%d contexts derived from a task's context started %d goroutines", n, got)
		}
	})

	t.Run("after the end", func(t *testing.T) {
		var kept context.Context
		wait(t, pool.Submit(p, func(ctx context.Context) (int, error) { kept = ctx; return 0, nil }))
		select {
		case <-kept.Done():
		default:
			t.Error("a task's context is not done after the task returned")
		}
		if kept.Err() != context.Canceled {
			t.Errorf("Err after the end = %v, want context.Canceled", kept.Err())
		}
		ran := make(chan struct{})
		context.AfterFunc(kept, func() { close(ran) })
		select {
		case <-ran:
		case <-time.After(long):
			t.Error("AfterFunc on a done context did not run")
		}
		stop := context.AfterFunc(kept, func() {})
		if stop() {
			t.Error("stop of an AfterFunc on a done context reported that it stopped it")
		}
	})

	t.Run("stop", func(t *testing.T) {
		got, _ := wait(t, pool.Submit(p, func(ctx context.Context) (bool, error) {
			stop := context.AfterFunc(ctx, func() { t.Error("stopped AfterFunc ran") })
			return stop() && !stop(), nil
		}))
		if !got {
			t.Error("stop did not report once that it stopped the function")
		}
	})
}

func TestTaskContextDeadline(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	near := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), near)
	defer cancel()
	tests := []struct {
		name    string
		timeout time.Duration
		want    func(time.Time) bool
	}{
		{"parent's", 0, func(d time.Time) bool { return d.Equal(near) }},
		{"parent's is earlier", 2 * time.Hour, func(d time.Time) bool { return d.Equal(near) }},
		{"timeout's is earlier", time.Minute, func(d time.Time) bool { return d.Before(near) && time.Until(d) <= time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pool.New(ctx, 1, pool.WithTaskTimeout(tt.timeout))
			d, _ := wait(t, pool.Submit(p, func(ctx context.Context) (time.Time, error) {
				d, ok := ctx.Deadline()
				if !ok {
					return d, errors.New("no deadline")
				}
				return d, nil
			}))
			if !tt.want(d) {
				t.Errorf("Deadline = %v (parent's %v)", d, near)
			}
			shutdown(t, p)
		})
	}
}

// TestParentDeadline: a pool whose context expires cancels its running
// tasks with context.DeadlineExceeded.
func TestParentDeadline(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	p := pool.New(ctx, 1)
	_, err := wait(t, pool.Submit(p, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	}))
	if err != context.DeadlineExceeded {
		t.Errorf("task of a pool whose context expired: %v, want DeadlineExceeded", err)
	}
	shutdown(t, p)
}
