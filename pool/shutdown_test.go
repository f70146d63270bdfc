package pool_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/condiag/condiag/pool"
)

func TestShutdownGraceful(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 2)
	var done atomic.Int64
	gate := make(chan struct{})
	const n = 20
	var futs []*pool.Future[int]
	for range n {
		futs = append(futs, pool.Submit(p, func(ctx context.Context) (int, error) {
			<-gate
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			done.Add(1)
			return 0, nil
		}))
	}
	defer func() {
		for _, fu := range futs {
			if err := fu.Err(); err != nil {
				t.Error(err)
			}
		}
	}()
	returned := make(chan error)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), long)
		defer cancel()
		returned <- p.Shutdown(ctx)
	}()
	select {
	case err := <-returned:
		t.Fatalf("Shutdown returned %v before the tasks ended", err)
	case <-time.After(10 * time.Millisecond):
	}
	// No new task once Shutdown was called.
	waitFor(t, "Submit to fail", func() bool {
		return pool.Submit(p, func(context.Context) (int, error) { return 0, nil }).Err() == pool.ErrShutdown
	})
	close(gate)
	if err := <-returned; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if got := done.Load(); got != n {
		t.Errorf("%d tasks ended when Shutdown returned, want %d", got, n)
	}
	// Again, from several goroutines: each returns nil at once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := p.Shutdown(context.Background()); err != nil {
				t.Errorf("second Shutdown = %v", err)
			}
		})
	}
	wg.Wait()
}

func TestShutdownExpired(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 1)
	started := make(chan struct{})
	var cause atomic.Value
	run := pool.Submit(p, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		cause.Store(context.Cause(ctx))
		return 1, ctx.Err()
	})
	var ran atomic.Bool
	queued := pool.Submit(p, func(context.Context) (int, error) { ran.Store(true); return 2, nil })
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	select {
	case <-queued.Done():
	default:
		t.Error("queued task not failed when Shutdown gave up")
	}
	if _, err := wait(t, queued); err != pool.ErrShutdown {
		t.Errorf("queued task: %v, want ErrShutdown", err)
	}
	if v, err := wait(t, run); v != 1 || err != context.Canceled {
		t.Errorf("running task: %d, %v; want its return", v, err)
	}
	if got := cause.Load(); got != pool.ErrShutdown {
		t.Errorf("running task's context cause = %v, want ErrShutdown", got)
	}
	if ran.Load() {
		t.Error("a task queued when Shutdown gave up ran")
	}
	// The pool ends for good: a graceful Shutdown after that returns nil.
	shutdown(t, p)
}

func TestShutdownEmpty(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown of an idle pool with a done context = %v, want nil", err)
	}
}

func TestSubmitAfterShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 1)
	shutdown(t, p)
	var ran atomic.Bool
	fu := pool.Submit(p, func(context.Context) (int, error) { ran.Store(true); return 1, nil })
	select {
	case <-fu.Done():
	default:
		t.Error("future of a Submit after Shutdown not done")
	}
	if v, err := fu.Wait(context.Background()); v != 0 || err != pool.ErrShutdown {
		t.Errorf("Wait = %d, %v; want 0, ErrShutdown", v, err)
	}
	if fu.Err() != pool.ErrShutdown {
		t.Errorf("Err = %v, want ErrShutdown", fu.Err())
	}
	fu.Cancel()
	if ran.Load() {
		t.Error("task submitted after Shutdown ran")
	}
}
