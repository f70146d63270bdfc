package monitor

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/report"
)

// Holds of goroutines that exited holding locks outlive their states: a
// state is reused when the runtime reuses the goroutine's structure, and
// its held entries are moved here then, so that a lock whose holder
// returned without unlocking still names that holder. An orphan goes
// once its lock changed hands (a write hold) or its read holds were
// disturbed; the list is bounded.
var (
	orphanMu sync.Mutex
	orphans  []heldSample
)

const maxOrphans = 4096

// orphan moves g's valid holds to the orphans; g is being reused.
//
//go:norace
func (g *G) orphan() {
	n := min(g.n, maxHeld)
	if n == 0 {
		return
	}
	orphanMu.Lock()
	defer orphanMu.Unlock()
	for i := 0; i < n; i++ {
		e := g.held[i]
		if e.l == nil || !holdValid(g.goid, e) {
			continue
		}
		if len(orphans) >= maxOrphans {
			orphans = orphans[1:]
		}
		orphans = append(orphans, heldSample{g: g.goid, lock: e.l, mode: e.mode, epoch: e.epoch, pc: e.pc})
	}
}

// holdValid reports whether entry e of goroutine goid still describes a
// hold.
//
//go:norace
func holdValid(goid uint64, e entry) bool {
	if e.mode == Read {
		return e.l.rEpoch.Load() == e.epoch
	}
	return loadOwner(e.l) == goid
}

// liveOrphans returns the orphans that still hold their locks, and drops
// the others.
func liveOrphans() []heldSample {
	orphanMu.Lock()
	defer orphanMu.Unlock()
	kept := orphans[:0]
	for _, h := range orphans {
		if holdValid(h.g, entry{l: h.lock, mode: h.mode, epoch: h.epoch}) {
			kept = append(kept, h)
		}
	}
	clear(orphans[len(kept):])
	orphans = kept
	return append([]heldSample(nil), kept...)
}

// WaitOn records that g is about to block in Wait on the WaitGroup or
// Cond whose state is o; [G.WaitedOn] ends it. Only reports read it: the
// lock detectors do not take part.
func (g *G) WaitOn(o *Lock) { g.waitObj.Store(o) }

// WaitedOn records that g's Wait returned.
func (g *G) WaitedOn() { g.waitObj.Store(nil) }

// NewWaitGroup returns the state of a WaitGroup whose counter is n, read
// by reports.
func NewWaitGroup(n *atomic.Int64) *Lock {
	l := NewObject(KindWaitGroup)
	l.count = n
	return l
}

// Wait is what one goroutine is blocked on, as far as condiag knows.
type Wait struct {
	Lock    deadlock.LockInfo
	Mode    Mode    // for a lock
	Holders []int64 // goroutines holding the lock, for a lock
	// Object is set for a Wait on a WaitGroup or Cond; Count is the
	// WaitGroup's counter.
	Object bool
	Count  int64
	// Resource is set for a wait on a semaphore, barrier, event, queue
	// or pool: what it waits to do and for whom (also in Holders).
	Resource *deadlock.Wait
}

// Hold is one lock a goroutine holds.
type Hold struct {
	deadlock.HeldLock
	Taken report.Frame // where it was taken (Lock, RLock, TryLock), zero if unknown
}

// State is what the monitor knows of every goroutine at one moment.
type State struct {
	Waits map[int64]Wait
	Holds map[int64][]Hold // including goroutines that exited
}

// Snapshot returns what every goroutine waits on and holds. Like the
// watchdog's, its reads race with the goroutines (see the package
// invariants): a goroutine may have moved on since.
func Snapshot() State {
	waits, held := scan()
	st := State{Waits: map[int64]Wait{}, Holds: map[int64][]Hold{}}
	holders := map[*Lock][]int64{}
	for _, h := range held {
		holders[h.lock] = append(holders[h.lock], int64(h.g))
		st.Holds[int64(h.g)] = append(st.Holds[int64(h.g)], Hold{
			HeldLock: deadlock.HeldLock{Lock: h.lock.Info(), Mode: h.mode},
			Taken:    callSite(h.pc),
		})
	}
	for _, w := range waits {
		if o := w.lock; o.res != nil {
			o.guard.Lock()
			rw := o.res.WaitsFor(w.key.g, w.op, w.n)
			o.guard.Unlock()
			st.Waits[int64(w.key.g)] = Wait{Lock: o.Info(), Holders: rw.On, Resource: &rw}
			continue
		}
		st.Waits[int64(w.key.g)] = Wait{Lock: w.lock.Info(), Mode: w.mode, Holders: holders[w.lock]}
	}
	for _, o := range objectWaits() {
		w := Wait{Lock: o.lock.Info(), Object: true}
		if o.lock.count != nil {
			w.Count = o.lock.count.Load()
		}
		st.Waits[int64(o.g)] = w
	}
	return st
}

// objectWaits returns the goroutines blocked in a WaitGroup's or a Cond's
// Wait.
//
//go:norace
func objectWaits() []heldSample {
	var out []heldSample
	for _, g := range states() {
		if o := g.waitObj.Load(); o != nil {
			out = append(out, heldSample{g: g.goid, lock: o})
		}
	}
	return out
}

// Deadlocks returns a DL1002 finding for each cycle of goroutines blocked
// on each other right now, without waiting for the watchdog's two ticks:
// for a diagnosis of a program about to be killed.
func Deadlocks() []report.Finding {
	waits, held := scan()
	if len(waits) == 0 {
		return nil
	}
	ws := waiters(waits, held)
	snap := deadlock.Snapshot{Holds: holdsOf(held), Stacks: dumpStacks()}
	var out []report.Finding
	for _, c := range deadlock.WaitCycles(ws) {
		out = append(out, deadlock.BlockedFinding(ws, c, snap))
	}
	return out
}

// callSite returns the user's call at return address pc, or the zero
// Frame when pc is 0 or in condiag's own code (a Cond relocking its L, an
// RLocker).
func callSite(pc uintptr) report.Frame {
	if pc == 0 {
		return report.Frame{}
	}
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	if f.Function == "" || isOwnFrame(f.Function) {
		return report.Frame{}
	}
	return report.Frame{Func: f.Function, File: f.File, Line: f.Line}
}
