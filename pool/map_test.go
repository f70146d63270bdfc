package pool_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/condiag/condiag/pool"
)

func TestMapOrder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 4)
	defer shutdown(t, p)
	for _, n := range []int{0, 1, 7, 500} {
		in := make([]int, n)
		for i := range in {
			in[i] = i
		}
		got, err := pool.Map(context.Background(), p, in, func(_ context.Context, v int) (int, error) {
			if v%3 == 0 {
				runtime.Gosched() // finish out of order
			}
			return v * v, nil
		})
		if err != nil {
			t.Fatalf("Map of %d: %v", n, err)
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i * i
		}
		if !slices.Equal(got, want) {
			t.Errorf("Map of %d = %v, want %v", n, got, want)
		}
		if got == nil {
			t.Errorf("Map of %d returned a nil slice", n)
		}
	}
}

// TestMapContext: f's context carries the values of Map's.
func TestMapContext(t *testing.T) {
	type key struct{}
	p := pool.New(context.Background(), 2)
	defer shutdown(t, p)
	ctx := context.WithValue(context.Background(), key{}, "map")
	got, err := pool.Map(ctx, p, []int{1, 2}, func(ctx context.Context, _ int) (any, error) {
		return ctx.Value(key{}), nil
	})
	if err != nil || got[0] != "map" || got[1] != "map" {
		t.Errorf("Map = %v, %v; want the values of Map's context", got, err)
	}
}

func TestMapFirstError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 2)
	in := make([]int, 100)
	for i := range in {
		in[i] = i
	}
	var started, sawCancel atomic.Int64
	got, err := pool.Map(context.Background(), p, in, func(ctx context.Context, v int) (int, error) {
		started.Add(1)
		if v == 1 {
			return 0, errBoom
		}
		select {
		case <-ctx.Done():
			sawCancel.Add(1)
			if context.Cause(ctx) != errBoom {
				t.Errorf("element %d: cause %v, want the first error", v, context.Cause(ctx))
			}
			return 0, ctx.Err()
		case <-time.After(long):
			return v, nil
		}
	})
	if got != nil || err != errBoom {
		t.Fatalf("Map = %v, %v; want nil, %v", got, err, errBoom)
	}
	if n := started.Load(); n != 2 {
		// Element 0 and 1 run first; 1 fails and 0 is cancelled, and
		// nothing else starts.
		t.Errorf("%d elements started, want 2", n)
	}
	if sawCancel.Load() != 1 {
		t.Errorf("%d running elements saw their context cancelled, want 1", sawCancel.Load())
	}
	shutdown(t, p)
}

func TestMapPanic(t *testing.T) {
	p := pool.New(context.Background(), 2)
	defer shutdown(t, p)
	_, err := pool.Map(context.Background(), p, []int{0, 1, 2}, func(ctx context.Context, v int) (int, error) {
		if v == 1 {
			return explode("in Map")
		}
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if pe, ok := errors.AsType[*pool.PanicError](err); !ok || pe.Value != "in Map" {
		t.Errorf("Map = %v, want the *PanicError", err)
	}
}

func TestMapCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 1)
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped")
	var started atomic.Int64
	_, err := pool.Map(ctx, p, []int{0, 1, 2, 3}, func(ctx context.Context, v int) (int, error) {
		started.Add(1)
		cancel(stop)
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})
	if err != stop {
		t.Errorf("Map = %v, want the cause of its context", err)
	}
	if n := started.Load(); n != 1 {
		t.Errorf("%d elements started, want 1", n)
	}
	// A done context: nothing starts.
	_, err = pool.Map(ctx, p, []int{0}, func(context.Context, int) (int, error) {
		t.Error("element started with a done context")
		return 0, nil
	})
	if err != stop {
		t.Errorf("Map with a done context = %v, want its cause", err)
	}
	shutdown(t, p)
}

// TestMapPoolCancel: when the pool's context is done, a Map on it ends
// with the pool's cause, its running elements cancelled.
func TestMapPoolCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("pool stopped")
	p := pool.New(ctx, 1)
	_, err := pool.Map(context.Background(), p, []int{0, 1, 2}, func(ctx context.Context, v int) (int, error) {
		cancel(stop)
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})
	if err != stop {
		t.Errorf("Map = %v, want the pool's cause", err)
	}
	shutdown(t, p)
}

func TestMapAfterShutdown(t *testing.T) {
	p := pool.New(context.Background(), 1)
	shutdown(t, p)
	_, err := pool.Map(context.Background(), p, []int{1, 2}, func(context.Context, int) (int, error) {
		t.Error("element ran after Shutdown")
		return 0, nil
	})
	if err != pool.ErrShutdown {
		t.Errorf("Map after Shutdown = %v, want ErrShutdown", err)
	}
}
