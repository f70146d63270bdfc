package monitor

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/condiag/condiag/detect/starve"
	"github.com/condiag/condiag/internal/goid"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/internal/tracefmt"
)

// BeforeLock checks a blocking acquisition of l in mode against the locks
// g already holds: DL1003 when it can never be granted, DL1004 for a
// second read lock. A chain of held locks that was not validated before
// goes to the lock-order graph. All of it happens before the caller
// acquires or blocks, so a finding handler that panics leaves l as it
// was.
//
// try attempts the acquisition without blocking. When g holds l itself,
// another goroutine might still release it (a lock used as a semaphore),
// so before reporting, BeforeLock yields and tries for up to selfGrace; it
// returns true if one try acquired the lock, and the caller then goes on
// as after a successful acquisition.
func (g *G) BeforeLock(l *Lock, mode Mode, try func() bool) bool {
	if r := recording.Load(); r != nil {
		g.tlock(r, l, lockKind(mode, tracefmt.EvLock, tracefmt.EvRLock))
	}
	if g.n == 0 {
		return false
	}
	if g.checkSelf(l, mode, try) {
		return true
	}
	if g.n > 0 && g.n < maxHeld && !validated(g.next(l, mode, false)) {
		g.feed(l, mode)
	}
	return false
}

// selfGrace is how long BeforeLock yields and tries a lock that its
// goroutine holds before reporting a self-deadlock: long enough for a
// runnable goroutine that is to unlock it to run, on a loaded machine.
const selfGrace = 20 * time.Millisecond

func (g *G) checkSelf(l *Lock, mode Mode, try func() bool) bool {
	l.sited()
	for i := g.n - 1; i >= 0; i-- {
		e := &g.held[i]
		if e.l != l {
			continue
		}
		if !g.valid(e) {
			g.dropStale(i)
			g.rehash(i)
			continue
		}
		switch {
		case e.mode == Read && mode == Read:
			reportSelf("DL1004", g.goid, g.heldIDs(), l, e.mode, mode, nil, reportNow)
		case e.mode == Read || l.handedOver.Load():
			// Another goroutine may release g's hold: read holds are
			// handed over (as through RLocker), and so are the holds of
			// a lock already released once by a goroutine that did not
			// take it. The watchdog reports it once g is seen blocked
			// for good.
		default:
			for start := time.Now(); time.Since(start) < selfGrace; {
				runtime.Gosched()
				if try() {
					return true
				}
			}
			reportSelf("DL1003", g.goid, g.heldIDs(), l, e.mode, mode, nil, reportNow)
		}
		return false
	}
	return false
}

// valid reports whether entry e still describes a lock g holds: a lock
// taken by g may have been released by another goroutine since.
func (g *G) valid(e *entry) bool {
	if e.mode == Write {
		return loadOwner(e.l) == g.goid
	}
	return e.l.rEpoch.Load() == e.epoch
}

// Acquired records that g acquired l in mode, at pc (the caller's call
// site, for reports of locks still held; 0 if unknown). A blocking
// acquisition was checked by [G.BeforeLock] first; one by TryLock adds
// no edge.
func (g *G) Acquired(l *Lock, mode Mode, try bool, pc uintptr) {
	if RaceOn() {
		g.raceAcquired(l, mode)
	}
	if try {
		if r := recording.Load(); r != nil {
			g.tlock(r, l, lockKind(mode, tracefmt.EvTryLock, tracefmt.EvTryRLock))
		}
	}
	l.sited()
	if mode == Write {
		l.owner = g.goid
		l.grants++
	}
	if g.n == maxHeld {
		g.overflow++
		return
	}
	h := g.next(l, mode, try)
	e := &g.held[g.n]
	e.l, e.mode, e.try, e.chain, e.pc = l, mode, try, h, pc
	if mode == Read {
		e.epoch = l.rEpoch.Load()
	}
	g.n++
}

// next returns the hash of g's chain extended by l.
func (g *G) next(l *Lock, mode Mode, try bool) uint64 {
	prev := uint64(chainSeed)
	if g.n > 0 {
		prev = g.held[g.n-1].chain
	}
	return mix(prev, l.id, mode, try)
}

// Released records that g released l held in mode, and reports whether g
// held it. A false result means that another goroutine took it (a lock
// handed over between goroutines) or that nobody did (a misuse, which the
// caller checks).
func (g *G) Released(l *Lock, mode Mode) bool {
	if RaceOn() {
		g.raceReleased(l, mode)
	}
	if r := recording.Load(); r != nil {
		g.tobj(r, l, lockKind(mode, tracefmt.EvUnlock, tracefmt.EvRUnlock))
	}
	if mode == Write {
		l.owner = 0
	}
	if g.gp == 0 {
		defer g.settle()
	}
	for i := g.n - 1; i >= 0; i-- {
		if e := &g.held[i]; e.l == l && e.mode == mode {
			g.remove(i)
			return true
		}
	}
	if g.overflow > 0 {
		g.overflow--
		return true
	}
	if mode == Read {
		// A read hold of g's own that was dropped as stale, after
		// another goroutine released a read hold it did not take: g
		// releases its own hold now, which invalidates nobody else's.
		for i, p := range g.staleReads {
			if p == l {
				g.staleReads[i] = nil
				return true
			}
		}
		l.rEpoch.Add(1)
	}
	if !l.handedOver.Load() {
		l.handedOver.Store(true)
	}
	return false
}

// remove deletes entry i and rehashes the entries above it.
func (g *G) remove(i int) {
	copy(g.held[i:g.n], g.held[i+1:g.n])
	g.n--
	g.held[g.n] = entry{}
	g.rehash(i)
}

func (g *G) rehash(from int) {
	prev := uint64(chainSeed)
	if from > 0 {
		prev = g.held[from-1].chain
	}
	for j := from; j < g.n; j++ {
		e := &g.held[j]
		e.chain = mix(prev, e.l.id, e.mode, e.try)
		prev = e.chain
	}
}

// prune drops entries of locks that g no longer holds.
func (g *G) prune() {
	for i := g.n - 1; i >= 0; i-- {
		if !g.valid(&g.held[i]) {
			g.dropStale(i)
		}
	}
	g.rehash(0)
}

// dropStale deletes entry i, which no longer describes a hold of g's,
// remembering a read entry in staleReads; the caller rehashes.
func (g *G) dropStale(i int) {
	if e := &g.held[i]; e.mode == Read {
		g.staleReads[g.staleNext%len(g.staleReads)] = e.l
		g.staleNext++
	}
	copy(g.held[i:g.n], g.held[i+1:g.n])
	g.n--
	g.held[g.n] = entry{}
}

// Wait records that g is about to block on l, and makes sure the watchdog
// runs. The caller blocks next, then calls [G.Waited].
func (g *G) Wait(l *Lock, mode Mode) {
	l.sited()
	g.waitSeq = waitSeqs.Add(1)
	g.waitMode, g.waitOp = mode, 0
	g.waitStart = nanotime()
	g.waitAhead = l.nwait.Add(1) - 1
	g.waitGrants, g.waitReadHeld = loadGrants(l), loadOwner(l) == 0
	if r := recording.Load(); r != nil {
		g.tobj(r, l, tracefmt.EvBlock)
	}
	g.waitLock.Store(l)
	wakeWatchdog()
}

// waitSeqs numbers waits across the process, so that a wait is never
// mistaken for an earlier one, even by a goroutine state created anew.
var waitSeqs atomic.Uint64

// Waited records that g stopped waiting: it acquired the lock it waited
// for. It checks the wait for starvation (ST4001, ST4002).
func (g *G) Waited() {
	l := g.waitLock.Load()
	if l == nil {
		return
	}
	l.nwait.Add(-1)
	waited := time.Duration(nanotime() - g.waitStart)
	overtaken, readHeld := 0, false
	if g.waitMode == Write {
		// Write acquisitions since the wait began, less those of the
		// goroutines that were blocked ahead of g: the others asked
		// after g and went first. The lock is held now, so grants is
		// ordered.
		writes := int(l.grants - g.waitGrants)
		overtaken = max(0, writes-int(g.waitAhead))
		// Kept out by readers only: nobody held it for writing when
		// the wait began, and no writer took it since.
		readHeld = g.waitReadHeld && writes == 0
	}
	if r := recording.Load(); r != nil {
		if l.tstate.Load() != r.want {
			r.announce(g, l)
		}
		b := g.tbegin(r, tracefmt.EvUnblock)
		b = binary.AppendUvarint(b, l.id)
		b = binary.AppendUvarint(b, uint64(overtaken))
		g.tend(b)
	}
	g.waitLock.Store(nil)
	if waited >= starve.LockFloor() {
		g.checkStarved(l, waited, overtaken, readHeld)
	}
}

// checkStarved reports a lock wait that was starvation.
//
//go:noinline
func (g *G) checkStarved(l *Lock, waited time.Duration, overtaken int, readHeld bool) {
	if f, ok := starve.Online().LockWaited(starve.LockWait{
		Goroutine: int64(g.goid), Lock: l.Info(), Mode: g.waitMode, Waited: waited,
		Overtaken: overtaken, ReadHeld: readHeld, Stack: frames(stackPCs(2)),
	}); ok {
		sink.ReportAsync(f)
	}
}

// loadGrants reads l.grants without synchronization (the lock is not
// held): an estimate, see the package invariants.
//
//go:norace
func loadGrants(l *Lock) uint64 { return l.grants }

// stackPCs captures the stack of the calling goroutine, skipping skip
// frames, with condiag's own frames removed.
func stackPCs(skip int) []uintptr {
	pcs := make([]uintptr, 48)
	n := runtime.Callers(skip+1, pcs)
	return pcs[:n]
}

// Holds reports in which mode g holds l, if it does. A goroutine that
// holds more locks than its chain tracks may hold l untracked: then it
// is taken to hold it for writing.
//
//go:norace
func (g *G) Holds(l *Lock) (Mode, bool) {
	for i := g.n - 1; i >= 0; i-- {
		if e := &g.held[i]; e.l == l && g.mayHold(e) {
			return e.mode, true
		}
	}
	if g.overflow > 0 {
		return Write, true
	}
	return 0, false
}

// Owner returns the goroutine that holds l for writing, 0 if none (a
// hint: it may change at once).
func Owner(l *Lock) uint64 { return loadOwner(l) }

// LockOf returns the state of a condiag lock (a *sync.Mutex, *sync.RWMutex
// or the RLocker of one), nil for another Locker. Package sync sets it.
var LockOf = func(any) *Lock { return nil }

// HeldByCaller reports whether the calling goroutine holds l, for
// writing if write: the owner's id first, which answers for a write hold
// without finding the goroutine's state.
//
//go:norace
func HeldByCaller(l *Lock, write bool) bool {
	if _, id := goid.G(); l.owner == id {
		return true
	}
	if write {
		return false
	}
	_, ok := Current().Holds(l)
	return ok
}
