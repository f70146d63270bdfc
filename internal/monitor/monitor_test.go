package monitor

import (
	stdsync "sync"
	"testing"

	"github.com/condiag/condiag/internal/goid"
)

func TestCurrentIsPerGoroutine(t *testing.T) {
	const n = 2000 // enough to grow the table several times
	states := make([]*G, n)
	var wg, ready stdsync.WaitGroup
	ready.Add(n)
	release := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := Current()
			if g.ID() != goid.ID() {
				t.Errorf("state for goroutine %d has id %d", goid.ID(), g.ID())
			}
			ready.Done()
			<-release // all alive at once: distinct g structures
			if Current() != g {
				t.Errorf("goroutine %d: Current changed", g.ID())
			}
			states[i] = g
		}()
	}
	ready.Wait()
	close(release)
	wg.Wait()
	seen := map[*G]bool{}
	for _, g := range states {
		if seen[g] {
			t.Fatalf("two goroutines share state %p", g)
		}
		seen[g] = true
	}
}

func TestCurrentFreshAfterReuse(t *testing.T) {
	l := NewLock(KindMutex)
	// A goroutine exits holding l; the runtime reuses its g structure for
	// later goroutines, which must not inherit its chain.
	done := make(chan bool)
	var holder uint64
	go func() {
		holder = Current().ID()
		Current().Acquired(l, Write, false, 0)
		done <- true
	}()
	<-done
	for range 100 {
		go func() {
			g := Current()
			done <- g.n == 0 && g.goid == goid.ID()
		}()
		if !<-done {
			t.Fatal("a new goroutine inherited the state of an exited one")
		}
	}
	// The hold outlives the reuse of the state (an orphan): reports
	// still name the goroutine that exited holding l, until l is
	// released.
	if !holds(Snapshot(), holder, l) {
		t.Errorf("the snapshot lost goroutine %d's hold of lock %d", holder, l.ID())
	}
	Current().Released(l, Write)
	if holds(Snapshot(), holder, l) {
		t.Errorf("goroutine %d still holds lock %d after its release", holder, l.ID())
	}
}

func holds(s State, g uint64, l *Lock) bool {
	for _, h := range s.Holds[int64(g)] {
		if h.Lock.ID == l.ID() {
			return true
		}
	}
	return false
}

func TestHeldChain(t *testing.T) {
	a, b, c := NewLock(KindMutex), NewLock(KindMutex), NewLock(KindMutex)
	g := &G{goid: goid.ID()}
	g.Acquired(a, Write, false, 0)
	g.Acquired(b, Write, false, 0)
	g.Acquired(c, Write, false, 0)
	top := g.held[2].chain
	if !g.Released(b, Write) { // out of order
		t.Fatal("Released(b) = false")
	}
	if g.n != 2 || g.held[1].l != c {
		t.Fatalf("after releasing b: n=%d, held[1]=%v", g.n, g.held[1].l)
	}
	if g.held[1].chain == top {
		t.Error("chain hash not recomputed after an out-of-order release")
	}
	if g.held[1].chain != mix(mix(chainSeed, a.id, Write, false), c.id, Write, false) {
		t.Error("chain hash of [a c] differs from a fresh computation")
	}
	if g.Released(b, Write) {
		t.Error("Released(b) = true for a lock not held")
	}
}

func TestHandoffInvalidatesEntry(t *testing.T) {
	l := NewLock(KindMutex)
	g := &G{goid: 1 << 60}
	g.Acquired(l, Write, false, 0)
	other := &G{goid: 1<<60 + 1}
	if other.Released(l, Write) {
		t.Fatal("another goroutine's release found an entry")
	}
	if g.valid(&g.held[0]) {
		t.Error("entry still valid after another goroutine released the lock")
	}
	// Taking another lock on top of the stale entry prunes it: no edge
	// from l.
	r := NewLock(KindRWMutex)
	g.BeforeLock(r, Read, func() bool { return false })
	g.Acquired(r, Read, false, 0)
	if g.n != 1 || g.held[0].l != r {
		t.Fatalf("after acquiring r: n=%d, held[0]=%p; want only r", g.n, g.held[0].l)
	}
	if GraphHas(l) {
		t.Error("the stale entry reached the graph")
	}
	other.Released(r, Read)
	if g.valid(&g.held[0]) {
		t.Error("read entry still valid after another goroutine released it")
	}
	g.prune()
	if g.n != 0 {
		t.Errorf("prune left %d entries", g.n)
	}
}

func TestChainCache(t *testing.T) {
	c := new(chainCache)
	if c.has(42) {
		t.Fatal("empty cache has 42")
	}
	c.add(42)
	if !c.has(42) {
		t.Fatal("cache lost 42")
	}
	// Hashes with the same top bits share a probe window; past its size
	// the cache forgets some, but never reports one it was not given.
	base := uint64(7) << (64 - chainBits)
	for i := uint64(1); i <= 2*chainProbe; i++ {
		c.add(base + i)
	}
	if !c.has(base + 2*chainProbe) {
		t.Error("the newest hash of a full window is missing")
	}
	if c.has(base + 100) {
		t.Error("cache has a hash it was never given")
	}
}

func TestIsOwnFrame(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"github.com/condiag/condiag/sync.(*Mutex).Lock", true},
		{"github.com/condiag/condiag/sync/semaphore.(*Weighted).Acquire", true},
		{"github.com/condiag/condiag/internal/monitor.(*G).feed", true},
		{"github.com/condiag/condiag/detect/deadlock.(*Graph).Acquire", true},
		{"github.com/condiag/condiag/sync_test.TestX", false},
		{"github.com/condiag/condiag/fixtures/abba.main", false},
		{"sync.(*Mutex).Lock", false},
		{"main.main", false},
	}
	for _, tt := range tests {
		if got := isOwnFrame(tt.give); got != tt.want {
			t.Errorf("isOwnFrame(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}
