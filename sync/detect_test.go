//go:build !condiagoff

package sync_test

import (
	"fmt"
	stdsync "sync"
	"testing"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
)

func TestMain(m *testing.M) {
	condiag.VerifyTestMain(m,
		condiag.IgnoreID("DL1001", "triggered on purpose by TestSubclass, TestClassName and TestPanickingHandlerOnNewEdge"),
		condiag.IgnoreID("DL1003", "triggered on purpose by TestPanickingHandler"),
	)
}

// record runs f with a handler that records findings, and returns them.
func record(t *testing.T, f func()) []report.Finding {
	t.Helper()
	var mu stdsync.Mutex
	var got []report.Finding
	old := condiag.SetHandler(func(f report.Finding) {
		mu.Lock()
		got = append(got, f)
		mu.Unlock()
	})
	defer condiag.SetHandler(old)
	f()
	mu.Lock()
	defer mu.Unlock()
	return append([]report.Finding(nil), got...)
}

// runs counts the runs of the tests in this process (go test -count).
var runs = map[string]int{}

// runName returns name made unique to this run of the calling test.
func runName(name string) string {
	runs[name]++
	return fmt.Sprintf("%s#run%d", name, runs[name])
}

func ids(fs []report.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+"/"+f.Confidence.String())
	}
	return out
}

// TestPanickingHandler: a handler that panics makes Lock panic in the
// goroutine that found the problem, before it blocks, and leaves no lock
// of condiag's held: the monitor goes on working.
func TestPanickingHandler(t *testing.T) {
	old := condiag.SetHandler(func(f report.Finding) { panic(f.ID) })
	defer condiag.SetHandler(old)
	var mu sync.Mutex
	mu.Lock()
	got := func() (p any) {
		defer func() { p = recover() }()
		mu.Lock() // self-deadlock: reported, then the handler panics
		return nil
	}()
	mu.Unlock()
	if got != "DL1003" {
		t.Fatalf("recovered %v, want the DL1003 panic", got)
	}
	// Every slow path still works: a new chain (graph lock), a report
	// (sink lock), from another goroutine.
	done := make(chan bool)
	go func() {
		var a, b sync.Mutex
		a.Lock()
		b.Lock()
		b.Unlock()
		a.Unlock()
		done <- true
	}()
	<-done
	if n := len(sink.Findings()); n == 0 {
		t.Error("the DL1003 finding was not recorded")
	}
}

// TestSubclass: nodes of one class nested parent-then-child are not a
// class cycle; with subclasses for the levels, a child-then-parent order
// elsewhere is.
func TestSubclass(t *testing.T) {
	type node struct{ mu sync.Mutex }
	class := runName("node") // predicted findings are reported once per process
	newNode := func(level int, named bool) *node {
		n := new(node)
		sync.SetClass(&n.mu, class)
		if named {
			sync.SetSubclass(&n.mu, level)
		}
		return n
	}
	lockPair := func(first, second *node) {
		first.mu.Lock()
		second.mu.Lock()
		second.mu.Unlock()
		first.mu.Unlock()
	}
	t.Run("one class", func(t *testing.T) {
		got := record(t, func() {
			lockPair(newNode(0, false), newNode(1, false)) // parent, child
			lockPair(newNode(1, false), newNode(0, false)) // child, parent
		})
		if len(got) != 0 {
			t.Errorf("findings %v, want none: same-class nesting is not checked over classes", ids(got))
		}
	})
	t.Run("subclasses", func(t *testing.T) {
		got := record(t, func() {
			lockPair(newNode(0, true), newNode(1, true)) // parent, child
			lockPair(newNode(1, true), newNode(0, true)) // child, parent
		})
		if len(got) != 1 || got[0].ID != "DL1001" || got[0].Confidence != report.Predicted {
			t.Errorf("findings %v, want one predicted DL1001", ids(got))
		}
	})
}

// TestClassName: two different stores, each with its own pair of locks,
// taken in opposite orders: a predicted cycle over named classes, and
// the finding names both classes.
func TestClassName(t *testing.T) {
	type store struct{ data, stats sync.Mutex }
	dataClass, statsClass := runName("store.data"), runName("store.stats")
	newStore := func() *store {
		s := new(store)
		sync.SetClass(&s.data, dataClass)
		sync.SetClass(&s.stats, statsClass)
		return s
	}
	got := record(t, func() {
		s1, s2 := newStore(), newStore()
		s1.data.Lock()
		s1.stats.Lock()
		s1.stats.Unlock()
		s1.data.Unlock()
		s2.stats.Lock()
		s2.data.Lock()
		s2.data.Unlock()
		s2.stats.Unlock()
	})
	if len(got) != 1 || got[0].Confidence != report.Predicted {
		t.Fatalf("findings %v, want one predicted DL1001", ids(got))
	}
	classes := map[string]bool{}
	for _, l := range got[0].Locks {
		classes[l.Class] = true
	}
	if !classes[dataClass] || !classes[statsClass] {
		t.Errorf("locks %+v, want classes store.data and store.stats", got[0].Locks)
	}
}

// TestConsistentStress takes locks in one global order from many
// goroutines, in every mode, with contention: nothing may be reported.
// Run it with -race too.
func TestConsistentStress(t *testing.T) {
	var locks [4]sync.RWMutex
	var plain sync.Mutex
	got := record(t, func() {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 300 {
					func() {
						for j := range locks {
							if (i+j+g)%3 == 0 {
								continue
							}
							if (i+g)%2 == 0 {
								locks[j].RLock()
								defer locks[j].RUnlock()
							} else {
								locks[j].Lock()
								defer locks[j].Unlock()
							}
						}
						plain.Lock()
						plain.Unlock()
					}()
				}
			})
		}
		wg.Wait()
	})
	if len(got) != 0 {
		t.Errorf("findings %v, want none", ids(got))
	}
}

func TestCondWithRLocker(t *testing.T) {
	var rw sync.RWMutex
	c := sync.NewCond(rw.RLocker())
	ready := false
	done := make(chan bool)
	go func() {
		c.L.Lock()
		for !ready {
			c.Wait()
		}
		c.L.Unlock()
		done <- true
	}()
	rw.Lock()
	ready = true
	rw.Unlock()
	for {
		c.Broadcast()
		select {
		case <-done:
			return
		default:
		}
	}
}

// TestPanickingHandlerOnNewEdge: the lock-order check runs before the
// lock is taken, so a handler that panics on DL1001 leaves the lock free
// (a caller's deferred Unlock was never registered).
func TestPanickingHandlerOnNewEdge(t *testing.T) {
	old := condiag.SetHandler(func(f report.Finding) { panic(f.ID) })
	defer condiag.SetHandler(old)
	var a, b sync.Mutex
	pair := func(first, second *sync.Mutex) {
		first.Lock()
		defer first.Unlock()
		second.Lock()
		defer second.Unlock()
	}
	pair(&a, &b)
	got := func() (p any) {
		defer func() { p = recover() }()
		pair(&b, &a)
		return nil
	}()
	if got != "DL1001" {
		t.Fatalf("recovered %v, want the DL1001 panic", got)
	}
	for _, m := range []*sync.Mutex{&a, &b} {
		if !m.TryLock() {
			t.Fatal("a lock stayed locked after the handler panicked")
		}
		m.Unlock()
	}
}
