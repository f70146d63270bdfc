package semaphore_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestStress mixes Acquire, TryAcquire, Release and cancellations on
// both implementations: the holders never exceed the size, and every
// permit is back at the end (a waiter cancelled after being granted
// gives its permits back).
func TestStress(t *testing.T) {
	rounds := 3000
	if testing.Short() {
		rounds = 300
	}
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			const size, workers = 4, 8
			s := im.new(size)
			var held atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(w), 1))
					for range rounds {
						n := r.Int64N(size) + 1
						ok := false
						switch r.IntN(3) {
						case 0:
							ok = s.TryAcquire(n)
						case 1:
							ok = s.Acquire(context.Background(), n) == nil
						default:
							ctx, cancel := context.WithCancel(context.Background())
							if r.IntN(2) == 0 {
								go cancel()
							} else {
								cancel()
							}
							ok = s.Acquire(ctx, n) == nil
							cancel()
						}
						if !ok {
							continue
						}
						if h := held.Add(n); h > size {
							t.Errorf("%d permits held, size %d", h, size)
						}
						runtime.Gosched()
						held.Add(-n)
						s.Release(n)
					}
				})
			}
			wg.Wait()
			if !s.TryAcquire(size) {
				t.Fatalf("TryAcquire(%d) after the stress = false, want every permit back", size)
			}
			s.Release(size)
		})
	}
}

// TestCancelRacesRelease cancels a waiter and grants it its permits at
// once, in either order, before it runs: then it fails, and a waiter
// that failed holds nothing afterwards (if granted first, it gives the
// permits back). With one P the waiter runs only once both happened,
// and then sees both channels ready and picks one at random.
func TestCancelRacesRelease(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rounds := 1000
	if testing.Short() {
		rounds = 100
	}
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			s := im.new(2)
			var failed, acquired int
			for i := range rounds {
				s.Acquire(testContext(t), 2)
				ctx, cancel := context.WithCancel(context.Background())
				c := start(s, ctx, 1)
				queued(t, s)
				if i%2 == 0 {
					cancel()
					s.Release(2)
				} else {
					s.Release(2)
					cancel()
				}
				// A preemption may still let the waiter run in between
				// and succeed.
				if result(t, c) == "<nil>" {
					acquired++
					s.Release(1)
				} else {
					failed++
				}
				if !s.TryAcquire(2) {
					t.Fatalf("after %d failed and %d successful waits, a permit is missing", failed, acquired)
				}
				s.Release(2)
			}
			t.Logf("%d waits failed, %d succeeded", failed, acquired)
		})
	}
}
