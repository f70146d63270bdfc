package sync_test

import (
	"io"
	stdsync "sync"
	"testing"

	"github.com/condiag/condiag/sync"
	"github.com/condiag/condiag/trace"
)

// traced records a trace (to io.Discard) for the rest of the benchmark.
func traced(b *testing.B) {
	if err := trace.Start(io.Discard); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { trace.Stop() })
}

// The benchmarks run each case on the standard library's type ("std")
// and on condiag's ("condiag") in the same run, so that benchstat can
// compare them:
//
//	go test -run=NONE -bench=. -benchmem -count=10 ./sync > new.txt
//	benchstat -col /impl new.txt

func BenchmarkMutexUncontended(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) {
		var mu stdsync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("impl=traced", func(b *testing.B) {
		traced(b)
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
}

func BenchmarkMutexNested(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) {
		var outer, inner stdsync.Mutex
		for b.Loop() {
			outer.Lock()
			inner.Lock()
			inner.Unlock()
			outer.Unlock()
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		var outer, inner sync.Mutex
		for b.Loop() {
			outer.Lock()
			inner.Lock()
			inner.Unlock()
			outer.Unlock()
		}
	})
	b.Run("impl=traced", func(b *testing.B) {
		traced(b)
		var outer, inner sync.Mutex
		for b.Loop() {
			outer.Lock()
			inner.Lock()
			inner.Unlock()
			outer.Unlock()
		}
	})
}

func BenchmarkRWMutexRLock(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) {
		var rw stdsync.RWMutex
		for b.Loop() {
			rw.RLock()
			rw.RUnlock()
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		var rw sync.RWMutex
		for b.Loop() {
			rw.RLock()
			rw.RUnlock()
		}
	})
	b.Run("impl=traced", func(b *testing.B) {
		traced(b)
		var rw sync.RWMutex
		for b.Loop() {
			rw.RLock()
			rw.RUnlock()
		}
	})
}

// contended runs Lock/Unlock pairs with a little work inside and outside
// the critical section on every P at once.
func contended(b *testing.B, l stdsync.Locker) {
	b.RunParallel(func(pb *testing.PB) {
		x := 0
		for pb.Next() {
			l.Lock()
			x++
			l.Unlock()
			for i := 0; i < 10; i++ {
				x *= 3
			}
		}
		_ = x
	})
}

func BenchmarkMutexContended(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) { contended(b, new(stdsync.Mutex)) })
	b.Run("impl=condiag", func(b *testing.B) { contended(b, new(sync.Mutex)) })
	b.Run("impl=traced", func(b *testing.B) { traced(b); contended(b, new(sync.Mutex)) })
}

func BenchmarkRWMutexContended(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) { contended(b, new(stdsync.RWMutex)) })
	b.Run("impl=condiag", func(b *testing.B) { contended(b, new(sync.RWMutex)) })
}

func BenchmarkWaitGroupAddDone(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) {
		var wg stdsync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			wg.Done()
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			wg.Done()
		}
	})
}

func BenchmarkOnce(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) {
		var once stdsync.Once
		f := func() {}
		for b.Loop() {
			once.Do(f)
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		var once sync.Once
		f := func() {}
		for b.Loop() {
			once.Do(f)
		}
	})
}

// BenchmarkMutexFirstLock locks a new mutex each time, as code that
// creates an object with its own lock per request does: condiag's first
// acquisition of an instance allocates its state and records its stack.
func BenchmarkMutexFirstLock(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) {
		for b.Loop() {
			mu := new(stdsync.Mutex)
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		for b.Loop() {
			mu := new(sync.Mutex)
			mu.Lock()
			mu.Unlock()
		}
	})
}

// BenchmarkGoroutineLock starts a goroutine that locks once, as a server
// does per request: condiag keeps state per goroutine structure.
func BenchmarkGoroutineLock(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) {
		var mu stdsync.Mutex
		done := make(chan bool)
		for b.Loop() {
			go func() {
				mu.Lock()
				mu.Unlock()
				done <- true
			}()
			<-done
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		var mu sync.Mutex
		done := make(chan bool)
		for b.Loop() {
			go func() {
				mu.Lock()
				mu.Unlock()
				done <- true
			}()
			<-done
		}
	})
}
