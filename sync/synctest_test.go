//go:build !condiagoff

package sync_test

import (
	"runtime"
	"testing"
	"testing/synctest"

	"github.com/condiag/condiag/sync"
)

// TestSynctestBubble: contention inside a synctest bubble must not leave
// a goroutine of condiag's in the bubble (the watchdog runs outside).
func TestSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		mu.Lock()
		done := make(chan bool)
		go func() {
			mu.Lock() // contended: the slow path wakes the watchdog
			mu.Unlock()
			done <- true
		}()
		for range 100 {
			runtime.Gosched()
		}
		mu.Unlock()
		<-done
	})
}
