//go:build !condiagoff

package semaphore

import (
	"sync"
	"testing"

	"github.com/condiag/condiag/internal/monitor"
)

// BenchmarkMonitor measures what the monitor adds to an Acquire/Release
// pair: the two ObjectOp calls alone, under the guard ("ops"), and the
// goroutine look-up each of them starts with ("current"). Run it next to
// BenchmarkAcquireRelease to split condiag's cost:
//
//	go test -run=NONE -bench='AcquireRelease|Monitor' -count=10 ./sync/semaphore
func BenchmarkMonitor(b *testing.B) {
	b.Run("op=lock", func(b *testing.B) {
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("op=ops", func(b *testing.B) {
		s := NewWeighted(1)
		for b.Loop() {
			s.mu.Lock()
			monitor.ObjectOp(s.obj, monitor.OpSemAcquire, 1)
			s.mu.Unlock()
			s.mu.Lock()
			monitor.ObjectOp(s.obj, monitor.OpSemRelease, 1)
			s.mu.Unlock()
		}
	})
	b.Run("op=current", func(b *testing.B) {
		for b.Loop() {
			monitor.Current()
			monitor.Current()
		}
	})
}
