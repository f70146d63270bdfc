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

// BenchmarkVar is the cost of an annotated access. It runs after
// BenchmarkGuarded: declaring a Var starts the race checks for the whole
// process, so every lock operation after it pays for them.
//
//   - op=repeat: a write in a loop with no release in between, the fast
//     path (an access like one the goroutine made in its present epoch);
//   - op=locked: Lock, Write, Unlock of a condiag Mutex, with the race
//     checks on: every write is in a new epoch and is checked in full;
//   - op=lockedread: the same with a Read;
//   - op=lockonly: the same Lock and Unlock without the access, in the
//     same run, to subtract;
//   - op=std: a plain sync.Mutex's Lock and Unlock, for scale.
func BenchmarkVar(b *testing.B) {
	// A Var per run: the runs are goroutines that testing orders through
	// channels, which condiag does not see.
	b.Run("op=repeat", func(b *testing.B) {
		v := race.NewVar("bench")
		for b.Loop() {
			v.Write()
		}
	})
	b.Run("op=locked", func(b *testing.B) {
		v := race.NewVar("bench")
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			v.Write()
			mu.Unlock()
		}
	})
	b.Run("op=lockedread", func(b *testing.B) {
		v := race.NewVar("bench")
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			v.Read()
			mu.Unlock()
		}
	})
	b.Run("op=lockonly", func(b *testing.B) {
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("op=std", func(b *testing.B) {
		var mu stdsync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
}
