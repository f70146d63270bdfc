package pool_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/pool"
)

func TestMain(m *testing.M) {
	condiag.VerifyTestMain(m,
		condiag.IgnoreID("DL1002", "caused on purpose by TestMonitorFindsPoolDeadlock"),
		condiag.IgnoreID("ST4003", "caused on purpose by TestStarvation"),
	)
}

// long bounds every wait of a test that should end quickly: reaching it
// means the test is broken, not slow.
const long = 10 * time.Second

// waitFor polls cond until it holds or long has passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(long)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// shutdown shuts p down, failing the test if that takes long.
func shutdown(t *testing.T, p *pool.Pool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// wait waits for fu, failing the test if that takes long.
func wait[T any](t *testing.T, fu *pool.Future[T]) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	v, err := fu.Wait(ctx)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		t.Fatalf("Wait did not return within %v", long)
	}
	return v, err
}

func TestBoundedConcurrency(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, workers := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			p := pool.New(context.Background(), workers)
			var cur, peak, ran atomic.Int64
			gate := make(chan struct{})
			const n = 50
			futs := make([]*pool.Future[int], n)
			for i := range futs {
				futs[i] = pool.Submit(p, func(ctx context.Context) (int, error) {
					c := cur.Add(1)
					for m := peak.Load(); c > m && !peak.CompareAndSwap(m, c); m = peak.Load() {
					}
					<-gate
					runtime.Gosched()
					cur.Add(-1)
					ran.Add(1)
					return i, nil
				})
			}
			waitFor(t, "the workers to start", func() bool { return cur.Load() == int64(workers) })
			time.Sleep(10 * time.Millisecond) // a bug would start more now
			if got := cur.Load(); got != int64(workers) {
				t.Errorf("%d tasks running with %d workers", got, workers)
			}
			close(gate)
			for i, fu := range futs {
				if v, err := wait(t, fu); v != i || err != nil {
					t.Errorf("task %d: Wait = %d, %v", i, v, err)
				}
			}
			if got := peak.Load(); got != int64(workers) {
				t.Errorf("at most %d tasks ran at once, want %d", got, workers)
			}
			if ran.Load() != n {
				t.Errorf("%d tasks ran, want %d", ran.Load(), n)
			}
			shutdown(t, p)
		})
	}
}

// TestOrder: with one worker, tasks run in the order they were submitted.
func TestOrder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 1)
	gate := make(chan struct{})
	futs := []*pool.Future[int]{pool.Submit(p, func(context.Context) (int, error) { <-gate; return 0, nil })}
	var mu sync.Mutex
	var order []int
	for i := range 100 {
		futs = append(futs, pool.Submit(p, func(context.Context) (int, error) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			return i, nil
		}))
	}
	close(gate)
	shutdown(t, p)
	for _, fu := range futs {
		if err := fu.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range order {
		if v != i {
			t.Fatalf("tasks ran in order %v", order)
		}
	}
	if len(order) != 100 {
		t.Fatalf("%d tasks ran, want 100", len(order))
	}
}

var errBoom = errors.New("boom")

func TestResults(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 2)
	defer shutdown(t, p)
	tests := []struct {
		name    string
		give    func(context.Context) (string, error)
		want    string
		wantErr error
	}{
		{"value", func(context.Context) (string, error) { return "x", nil }, "x", nil},
		{"error", func(context.Context) (string, error) { return "", errBoom }, "", errBoom},
		{"value and error", func(context.Context) (string, error) { return "partial", errBoom }, "partial", errBoom},
		{"wrapped error", func(context.Context) (string, error) { return "", fmt.Errorf("reading: %w", errBoom) }, "", errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fu := pool.Submit(p, tt.give)
			got, err := wait(t, fu)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Wait = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			select {
			case <-fu.Done():
			default:
				t.Error("Done not closed after Wait returned")
			}
			if !errors.Is(fu.Err(), tt.wantErr) || (fu.Err() == nil) != (tt.wantErr == nil) {
				t.Errorf("Err = %v, want %v", fu.Err(), tt.wantErr)
			}
			// A second Wait returns the same.
			if got2, err2 := wait(t, fu); got2 != got || err2 != err {
				t.Errorf("second Wait = %q, %v; first %q, %v", got2, err2, got, err)
			}
		})
	}
}

func TestDoneAndErrBeforeTheEnd(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 1)
	gate := make(chan struct{})
	fu := pool.Submit(p, func(context.Context) (int, error) { <-gate; return 0, errBoom })
	done := fu.Done()
	select {
	case <-done:
		t.Fatal("Done closed before the task ended")
	default:
	}
	if err := fu.Err(); err != nil {
		t.Errorf("Err before the end = %v, want nil", err)
	}
	if fu.Done() != done {
		t.Error("Done returned another channel the second time")
	}
	close(gate)
	select {
	case <-done:
	case <-time.After(long):
		t.Fatal("Done not closed when the task ended")
	}
	if err := fu.Err(); err != errBoom {
		t.Errorf("Err after the end = %v, want %v", err, errBoom)
	}
	shutdown(t, p)
}

// TestTaskContextValues: a task's context carries the pool context's
// values.
func TestTaskContextValues(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	p := pool.New(ctx, 1)
	defer shutdown(t, p)
	got, _ := wait(t, pool.Submit(p, func(ctx context.Context) (any, error) { return ctx.Value(key{}), nil }))
	if got != "v" {
		t.Errorf("task sees value %v, want v", got)
	}
}

// TestSubmitFromTask: tasks may submit tasks, and wait for them when the
// pool has a worker to spare.
func TestSubmitFromTask(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 2)
	fu := pool.Submit(p, func(ctx context.Context) (int, error) {
		inner := pool.Submit(p, func(context.Context) (int, error) { return 20, nil })
		v, err := inner.Wait(ctx)
		return v + 1, err
	})
	if v, err := wait(t, fu); v != 21 || err != nil {
		t.Errorf("Wait = %d, %v; want 21, nil", v, err)
	}
	shutdown(t, p)
}

func TestMisuse(t *testing.T) {
	tests := []struct {
		name string
		give func()
		want string
	}{
		{"no workers", func() { pool.New(context.Background(), 0) }, "pool: New with 0 workers, want at least 1"},
		{"negative workers", func() { pool.New(context.Background(), -3) }, "pool: New with -3 workers, want at least 1"},
		{"nil context", func() { pool.New(nil, 1) }, "pool: New with a nil context"}, // on purpose
		{"nil function", func() { pool.Submit[int](pool.New(context.Background(), 1), nil) }, "pool: Submit of a nil function"},
		{"nil Map function", func() {
			pool.Map[int, int](context.Background(), pool.New(context.Background(), 1), nil, nil)
		}, "pool: Map of a nil function"},
		{"zero pool", func() {
			pool.Submit(new(pool.Pool), func(context.Context) (int, error) { return 0, nil })
		}, "pool: use of a Pool not made by New"},
		{"zero pool Shutdown", func() { new(pool.Pool).Shutdown(context.Background()) }, "pool: use of a Pool not made by New"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); fmt.Sprint(r) != tt.want {
					t.Errorf("panic %v, want %q", r, tt.want)
				}
			}()
			tt.give()
		})
	}
}

// TestStress runs submitters, waiters and cancellers at once, then
// cancels the pool in the middle of it: every future ends, and the pool
// leaves no goroutine behind.
func TestStress(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for round := range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		p := pool.New(ctx, 1+round%4)
		var wg sync.WaitGroup
		var running, peak atomic.Int64
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					fu := pool.Submit(p, func(ctx context.Context) (int, error) {
						c := running.Add(1)
						defer running.Add(-1)
						for m := peak.Load(); c > m && !peak.CompareAndSwap(m, c); m = peak.Load() {
						}
						if i%7 == 0 {
							panic("stress")
						}
						if i%11 == 0 {
							select {
							case <-ctx.Done():
								return 0, ctx.Err()
							case <-time.After(time.Microsecond):
							}
						}
						return i, nil
					})
					switch (g + i) % 4 {
					case 0:
						fu.Cancel()
					case 1:
						wctx, wcancel := context.WithTimeout(context.Background(), time.Microsecond)
						fu.Wait(wctx)
						wcancel()
					}
					v, err := wait(t, fu)
					if err == nil && v != i {
						t.Errorf("task %d returned %d", i, v)
					}
					var pe *pool.PanicError
					if i%7 == 0 && err != nil && !errors.As(err, &pe) && !errors.Is(err, context.Canceled) {
						t.Errorf("panicking task %d: %v", i, err)
					}
				}
			})
		}
		if round%2 == 1 {
			time.Sleep(time.Millisecond)
			cancel()
		}
		wg.Wait()
		cancel()
		shutdown(t, p)
		if got, limit := peak.Load(), int64(1+round%4); got > limit {
			t.Fatalf("%d tasks ran at once, limit %d", got, limit)
		}
	}
}

func TestPanicErrorString(t *testing.T) {
	e := &pool.PanicError{Value: "bad", Stack: []byte("goroutine 1 [running]:\nmain.f()")}
	got := e.Error()
	if !strings.HasPrefix(got, "pool: task panicked: bad\n\n") || !strings.Contains(got, "main.f()") {
		t.Errorf("Error() = %q", got)
	}
	if e.Unwrap() != nil {
		t.Errorf("Unwrap of a string panic = %v, want nil", e.Unwrap())
	}
}
