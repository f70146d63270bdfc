package semaphore_test

import (
	"context"
	"io"
	"testing"

	xsemaphore "golang.org/x/sync/semaphore"

	"github.com/condiag/condiag/sync/semaphore"
	"github.com/condiag/condiag/trace"
)

// The benchmarks run each case on x/sync's Weighted ("xsync") and on
// condiag's ("condiag") in the same run, so that benchstat can compare
// them:
//
//	go test -run=NONE -bench=. -benchmem -count=10 ./sync/semaphore > new.txt
//	benchstat -col /impl new.txt

func BenchmarkAcquireRelease(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=xsync", func(b *testing.B) {
		s := xsemaphore.NewWeighted(1)
		for b.Loop() {
			s.Acquire(ctx, 1)
			s.Release(1)
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		s := semaphore.NewWeighted(1)
		for b.Loop() {
			s.Acquire(ctx, 1)
			s.Release(1)
		}
	})
	b.Run("impl=traced", func(b *testing.B) {
		if err := trace.Start(io.Discard); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { trace.Stop() })
		s := semaphore.NewWeighted(1)
		for b.Loop() {
			s.Acquire(ctx, 1)
			s.Release(1)
		}
	})
}

func BenchmarkTryAcquireRelease(b *testing.B) {
	b.Run("impl=xsync", func(b *testing.B) {
		s := xsemaphore.NewWeighted(1)
		for b.Loop() {
			s.TryAcquire(1)
			s.Release(1)
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		s := semaphore.NewWeighted(1)
		for b.Loop() {
			s.TryAcquire(1)
			s.Release(1)
		}
	})
}

// BenchmarkParallel: GOMAXPROCS goroutines share a semaphore with as
// many permits: they contend for its mutex, never wait for permits.
func BenchmarkParallel(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=xsync", func(b *testing.B) {
		s := xsemaphore.NewWeighted(int64(b.N + 1)) // never short
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Acquire(ctx, 1)
				s.Release(1)
			}
		})
	})
	b.Run("impl=condiag", func(b *testing.B) {
		s := semaphore.NewWeighted(int64(b.N + 1))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Acquire(ctx, 1)
				s.Release(1)
			}
		})
	})
}

// BenchmarkContended: GOMAXPROCS goroutines share one permit, so that
// Acquire often waits and Release hands the permit over.
func BenchmarkContended(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=xsync", func(b *testing.B) {
		s := xsemaphore.NewWeighted(1)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Acquire(ctx, 1)
				s.Release(1)
			}
		})
	})
	b.Run("impl=condiag", func(b *testing.B) {
		s := semaphore.NewWeighted(1)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Acquire(ctx, 1)
				s.Release(1)
			}
		})
	})
}

func BenchmarkNewWeighted(b *testing.B) {
	b.Run("impl=xsync", func(b *testing.B) {
		for b.Loop() {
			sink = xsemaphore.NewWeighted(4)
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		for b.Loop() {
			sink = semaphore.NewWeighted(4)
		}
	})
}

var sink any
