package monitor

import (
	"sync"
	"sync/atomic"

	"github.com/condiag/condiag/internal/goid"
	"github.com/condiag/condiag/internal/racecheck"
	"github.com/condiag/condiag/report"
)

// maxHeld is how many held locks a goroutine's chain tracks. Deeper
// nesting is counted but not checked.
const maxHeld = 16

// entry is one held lock in a goroutine's chain.
type entry struct {
	l     *Lock
	chain uint64 // hash of the chain up to and including this entry
	epoch uint32 // l.rEpoch when taken, for read entries
	mode  Mode
	try   bool
	pc    uintptr // where it was taken (callers.Caller), 0 if unknown
}

// G is the monitor's state of one goroutine.
type G struct {
	goid uint64
	gp   uintptr

	tr gtrace // trace buffer, see record.go

	n        int // entries in held
	overflow int // acquisitions past maxHeld, not tracked
	held     [maxHeld]entry

	// staleReads are read locks whose entries were dropped as possibly
	// released by another goroutine: when g itself releases one later,
	// that is its own hold, not a handover (a small ring).
	staleReads [4]*Lock
	staleNext  int

	waitLock atomic.Pointer[Lock] // lock or object this goroutine is blocked on, or nil
	waitMode Mode
	waitSeq  uint64 // number of the current or last wait, from waitSeqs
	// For a wait on an object (object.go): the operation and its
	// argument, 0 for a lock wait; and the most permits another
	// goroutine held, for a semaphore.
	waitOp      Op
	waitN       int64
	waitLargest int64
	// When the wait began (nanotime); for a lock wait, the lock's
	// grants then, the goroutines blocked on it ahead of this one, and
	// whether it was read-held (starve.go).
	waitStart    int64
	waitGrants   uint64
	waitAhead    int32
	waitReadHeld bool

	// waitObj is the WaitGroup or Cond this goroutine is blocked in
	// Wait on, or nil (snapshot.go).
	waitObj atomic.Pointer[Lock]

	// race is the goroutine's state in the race checks (hb.go), made at
	// its first event while they run; prevGoid the goroutine that used
	// the runtime's g structure before, 0 if none.
	race     *racecheck.Thread
	prevGoid uint64

	// naming is set while g records a SetName, SetClass or SetSubclass,
	// with slowMu held (record.go's theld).
	naming bool

	// Who created the goroutine and where, once created is set
	// (G.creation).
	created   bool
	creator   uint64
	createdAt report.Frame
}

// ID returns the goroutine id.
func (g *G) ID() uint64 { return g.goid }

// gslot is a slot of the goroutine table. key is the g pointer; it is set
// after st, so a reader that sees the key sees a state.
type gslot struct {
	key atomic.Uintptr
	st  atomic.Pointer[G]
}

type gtable struct {
	slots []gslot
	mask  uintptr
	used  int // guarded by tableMu
}

var (
	table   atomic.Pointer[gtable]
	tableMu sync.Mutex // guards inserts and growth

	// slowG maps goroutine ids to states when goid has no fast method;
	// states are removed when they hold nothing and wait for nothing.
	slowG sync.Map
)

func init() { table.Store(newTable(256)) }

func newTable(n int) *gtable {
	return &gtable{slots: make([]gslot, n), mask: uintptr(n - 1)}
}

func hashPtr(p uintptr) uintptr {
	return uintptr(uint64(p) * 0x9E3779B97F4A7C15 >> 20)
}

// Current returns the state of the calling goroutine, creating it if
// needed. The table holds one state per runtime g structure, and the
// runtime reuses those, so it is bounded by the peak number of goroutines.
func Current() *G {
	gp, id := goid.G()
	if gp == 0 {
		return currentSlow(id)
	}
	t := table.Load()
	for i := hashPtr(gp); ; i++ {
		s := &t.slots[i&t.mask]
		switch s.key.Load() {
		case gp:
			st := s.st.Load()
			if st.goid == id {
				return st
			}
			if raceEnabled {
				return insert(gp, id)
			}
			st.reset(id)
			return st
		case 0:
			return insert(gp, id)
		}
	}
}

// reset makes g the state of goroutine id, which reuses the runtime's g
// structure of the goroutine g described, which has exited. The locks it
// still held keep its id as their owner, so reports say it has exited.
func (g *G) reset(id uint64) {
	g.tdetach()
	g.orphan()
	for i := 0; i < g.n; i++ {
		g.held[i] = entry{}
	}
	g.n, g.overflow = 0, 0
	g.staleReads, g.staleNext = [4]*Lock{}, 0
	g.waitLock.Store(nil)
	g.waitObj.Store(nil)
	g.prevGoid, g.goid = g.goid, id
	g.race = nil
	g.created = false
}

// insert adds or replaces the state for gp: a new goroutine, or one that
// reuses the g structure of a goroutine that exited.
func insert(gp uintptr, id uint64) *G {
	tableMu.Lock()
	defer tableMu.Unlock()
	st := &G{goid: id, gp: gp}
	t := table.Load()
	if s := find(t, gp); s != nil {
		old := s.st.Load()
		st.prevGoid = old.goid
		old.tdetach()
		old.orphan()
		s.st.Store(st)
		return st
	}
	if (t.used+1)*2 > len(t.slots) {
		t = grow(t)
	}
	place(t, gp, st)
	return st
}

func find(t *gtable, gp uintptr) *gslot {
	for i := hashPtr(gp); ; i++ {
		s := &t.slots[i&t.mask]
		switch s.key.Load() {
		case gp:
			return s
		case 0:
			return nil
		}
	}
}

func place(t *gtable, gp uintptr, st *G) {
	for i := hashPtr(gp); ; i++ {
		s := &t.slots[i&t.mask]
		if s.key.Load() == 0 {
			s.st.Store(st)
			s.key.Store(gp)
			t.used++
			return
		}
	}
}

func grow(old *gtable) *gtable {
	t := newTable(len(old.slots) * 2)
	for i := range old.slots {
		s := &old.slots[i]
		if k := s.key.Load(); k != 0 {
			place(t, k, s.st.Load())
		}
	}
	table.Store(t)
	return t
}

func currentSlow(id uint64) *G {
	if v, ok := slowG.Load(id); ok {
		return v.(*G)
	}
	st := &G{goid: id}
	slowG.Store(id, st)
	return st
}

// settle forgets the state of an idle goroutine in the slow mode, where
// states are keyed by ids that are never reused.
func (g *G) settle() {
	if g.gp == 0 && g.n == 0 && g.overflow == 0 && g.waitLock.Load() == nil && g.waitObj.Load() == nil {
		g.tdetach()
		slowG.Delete(g.goid)
	}
}

// states returns the state of every goroutine known to the monitor.
func states() []*G {
	var out []*G
	t := table.Load()
	for i := range t.slots {
		if st := t.slots[i].st.Load(); st != nil && t.slots[i].key.Load() != 0 {
			out = append(out, st)
		}
	}
	slowG.Range(func(_, v any) bool {
		out = append(out, v.(*G))
		return true
	})
	return out
}
