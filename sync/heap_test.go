//go:build !condiagoff

package sync

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/condiag/condiag/internal/monitor"
)

// TestMillionMutexesHeap creates, locks in nested pairs and drops a
// million mutexes. Every pair is a new chain that the lock-order graph
// learns; when the mutexes die, the graph must forget them, so the heap
// ends about where it started.
func TestMillionMutexesHeap(t *testing.T) {
	n := 1_000_000
	if v := os.Getenv("CONDIAG_HEAP_PAIRS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	if testing.Short() || raceEnabled {
		n = 100_000 // the race detector makes each pair ten times slower
	}
	lockPairs := func(n int) {
		for range n {
			a, b := new(Mutex), new(Mutex)
			a.Lock()
			b.Lock()
			b.Unlock()
			a.Unlock()
		}
	}
	lockPairs(10_000) // warm up the tables
	before := settledHeap(t, 0)
	start := time.Now()
	lockPairs(n)
	t.Logf("%d pairs in %v", n, time.Since(start))
	after := settledHeap(t, 1000)

	// Kept for every pair, the graph would hold two nodes and an edge
	// (several hundred bytes) per pair: hundreds of megabytes.
	const bound = 16 << 20
	t.Logf("heap before %d, after %d bytes", before, after)
	if grew := int64(after) - int64(before); grew > bound {
		t.Errorf("heap grew by %d bytes after %d mutex pairs; want at most %d", grew, n, bound)
	}
	if l := monitor.GraphLen(); l > 1000 {
		t.Errorf("lock-order graph still holds %d lock instances", l)
	}
}

// settledHeap collects garbage until the cleanups that remove dead locks
// from the graph have run (the graph holds at most maxGraph instances),
// then returns the live heap.
func settledHeap(t *testing.T, maxGraph int) uint64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		runtime.GC()
		if monitor.GraphLen() <= maxGraph || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
