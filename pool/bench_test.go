package pool_test

import (
	"context"
	"runtime"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/condiag/condiag/pool"
)

// The benchmarks compare a Pool of GOMAXPROCS workers (impl=pool) with an
// errgroup.Group limited to GOMAXPROCS goroutines (impl=errgroup) running
// the same function and collecting the results in a slice. One op is one
// task. Compare with
//
//	go test -run=NONE -bench=. -benchmem -count=10 ./pool > x.txt
//	benchstat -col /impl x.txt

//go:noinline
func square(_ context.Context, v int) (int, error) { return v * v, nil }

var sink int

// BenchmarkSubmitWait: one task at a time, submitted and waited for.
func BenchmarkSubmitWait(b *testing.B) {
	n := runtime.GOMAXPROCS(0)
	ctx := context.Background()
	b.Run("impl=errgroup", func(b *testing.B) {
		var g errgroup.Group
		g.SetLimit(n)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			var v int
			g.Go(func() (err error) { v, err = square(ctx, i); return err })
			g.Wait()
			sink += v
		}
	})
	b.Run("impl=pool", func(b *testing.B) {
		p := pool.New(ctx, n)
		defer p.Shutdown(ctx)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			fu := pool.Submit(p, func(ctx context.Context) (int, error) { return square(ctx, i) })
			v, _ := fu.Wait(ctx)
			sink += v
		}
	})
}

const batch = 1000

// BenchmarkBatch: batches of 1000 tasks submitted, then waited for.
func BenchmarkBatch(b *testing.B) {
	n := runtime.GOMAXPROCS(0)
	ctx := context.Background()
	out := make([]int, batch)
	b.Run("impl=errgroup", func(b *testing.B) {
		var g errgroup.Group
		g.SetLimit(n)
		b.ReportAllocs()
		for i := 0; i < b.N; i += batch {
			m := min(batch, b.N-i)
			for j := range m {
				g.Go(func() (err error) { out[j], err = square(ctx, i+j); return err })
			}
			g.Wait()
		}
	})
	b.Run("impl=pool", func(b *testing.B) {
		p := pool.New(ctx, n)
		defer p.Shutdown(ctx)
		futs := make([]*pool.Future[int], batch)
		b.ReportAllocs()
		for i := 0; i < b.N; i += batch {
			m := min(batch, b.N-i)
			for j := range m {
				futs[j] = pool.Submit(p, func(ctx context.Context) (int, error) { return square(ctx, i+j) })
			}
			for j := range m {
				out[j], _ = futs[j].Wait(ctx)
			}
		}
	})
}

// BenchmarkMap: Map over batches of 1000 elements, against errgroup
// filling the result slice.
func BenchmarkMap(b *testing.B) {
	n := runtime.GOMAXPROCS(0)
	ctx := context.Background()
	in := make([]int, batch)
	for i := range in {
		in[i] = i
	}
	b.Run("impl=errgroup", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i += batch {
			part := in[:min(batch, b.N-i)]
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(n)
			out := make([]int, len(part))
			for j, v := range part {
				g.Go(func() (err error) { out[j], err = square(gctx, v); return err })
			}
			g.Wait()
			sink += len(out)
		}
	})
	b.Run("impl=pool", func(b *testing.B) {
		p := pool.New(ctx, n)
		defer p.Shutdown(ctx)
		b.ReportAllocs()
		for i := 0; i < b.N; i += batch {
			out, _ := pool.Map(ctx, p, in[:min(batch, b.N-i)], square)
			sink += len(out)
		}
	})
}
