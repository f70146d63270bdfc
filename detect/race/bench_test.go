package race_test

import (
	stdsync "sync"
	"testing"

	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/sync"
)

// BenchmarkGuarded: an increment under its lock, with a Guarded and a
// condiag Mutex (impl=condiag) against a plain field under a plain
// sync.Mutex (impl=std); and the checked access alone, with the lock
// held around the whole loop (impl=access) against the plain field.
func BenchmarkGuarded(b *testing.B) {
	b.Run("impl=std", func(b *testing.B) {
		var mu stdsync.Mutex
		n := 0
		for b.Loop() {
			mu.Lock()
			n++
			mu.Unlock()
		}
		_ = n
	})
	b.Run("impl=condiag", func(b *testing.B) {
		var mu sync.Mutex
		g := race.Guard(&mu, 0)
		for b.Loop() {
			mu.Lock()
			g.Set(g.Get() + 1)
			mu.Unlock()
		}
	})
	b.Run("impl=access", func(b *testing.B) {
		var mu sync.Mutex
		g := race.Guard(&mu, 0)
		mu.Lock()
		for b.Loop() {
			g.Set(g.Get() + 1)
		}
		mu.Unlock()
	})
}
