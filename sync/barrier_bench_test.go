package sync_test

import (
	"context"
	"fmt"
	"runtime"
	stdsync "sync"
	"testing"

	"github.com/condiag/condiag/sync"
)

// condBarrier is a barrier made of the standard library's Mutex and
// Cond, the reference of the benchmarks.
type condBarrier struct {
	mu         stdsync.Mutex
	cond       stdsync.Cond
	n, count   int
	generation int
}

func newCondBarrier(n int) *condBarrier {
	b := &condBarrier{n: n}
	b.cond.L = &b.mu
	return b
}

func (b *condBarrier) Wait() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := b.count
	if b.count++; b.count == b.n {
		b.count = 0
		b.generation++
		b.cond.Broadcast()
		return i
	}
	for gen := b.generation; gen == b.generation; {
		b.cond.Wait()
	}
	return i
}

// BenchmarkBarrier measures one round of Wait by GOMAXPROCS parties (and
// by one party, which never blocks): ns/op is the time per generation.
func BenchmarkBarrier(b *testing.B) {
	for _, parties := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("parties=%d/impl=std", parties), func(b *testing.B) {
			bar := newCondBarrier(parties)
			rounds(b, parties, func() { bar.Wait() })
		})
		b.Run(fmt.Sprintf("parties=%d/impl=condiag", parties), func(b *testing.B) {
			bar := sync.NewBarrier(parties)
			ctx := context.Background()
			rounds(b, parties, func() { bar.Wait(ctx) })
		})
	}
}

// rounds runs b.N rounds of wait: parties-1 goroutines and the
// benchmark's own.
func rounds(b *testing.B, parties int, wait func()) {
	b.ReportAllocs()
	var wg stdsync.WaitGroup
	for range parties - 1 {
		wg.Go(func() {
			for range b.N {
				wait()
			}
		})
	}
	for range b.N {
		wait()
	}
	wg.Wait()
}
