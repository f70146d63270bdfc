package monitor

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/internal/sink"
)

// tick is the watchdog's period. A deadlock is reported once its
// goroutines were seen blocked, unchanged, on two consecutive ticks.
const tick = 100 * time.Millisecond

// idleTicks is how many ticks without a waiter the watchdog keeps ticking
// before it parks until the next wait.
const idleTicks = 50

// The watchdog goroutine is started by init, outside any synctest bubble,
// and parks on wake while no goroutine waits on a lock. watching is set
// while it ticks. A goroutine that starts to wait publishes its wait
// (G.waitLock, atomic) and then, if watching is clear, wakes it; the
// watchdog clears watching and then scans before it parks. Both sides use
// sequentially consistent atomics, so one of them sees the other.
var (
	watching atomic.Bool
	wake     = make(chan struct{}, 1)
)

func init() { go watchdog() }

// wakeWatchdog makes sure the watchdog ticks.
func wakeWatchdog() {
	if !watching.Load() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// waitKey identifies one wait of one goroutine.
type waitKey struct {
	g   uint64
	seq uint64
}

// sample is one blocked goroutine seen by a scan.
type sample struct {
	key  waitKey
	lock *Lock
	mode Mode
	op   Op // for a wait on an object, 0 for a lock
	n    int64
}

// heldSample is one lock held by a goroutine seen by a scan.
type heldSample struct {
	g     uint64
	lock  *Lock
	mode  Mode
	epoch uint32  // for an orphaned read hold, see snapshot.go
	pc    uintptr // where it was taken, 0 if unknown
}

// watchState is the watchdog's memory between ticks. Only the watchdog
// goroutine uses it.
type watchState struct {
	since map[waitKey]time.Time // first tick each wait was seen
	// reported holds the cycles, hangs and self-waits already reported,
	// with the waits they were made of; an entry goes when one of its
	// waits ends, since a wait never comes back.
	reported map[string][]waitKey
}

func watchdog() {
	st := &watchState{since: map[waitKey]time.Time{}, reported: map[string][]waitKey{}}
	for {
		watching.Store(true)
		st.run()
		watching.Store(false)
		if ws, _ := scan(); len(ws) == 0 {
			<-wake
		}
	}
}

// run ticks until no goroutine has waited for idleTicks ticks.
func (st *watchState) run() {
	t := time.NewTicker(tick)
	defer t.Stop()
	for idle := 0; idle < idleTicks; {
		now := <-t.C
		if st.check(now) {
			idle = 0
		} else {
			idle++
		}
	}
}

// scan reads every goroutine's wait and held locks. The reads race with
// the goroutines themselves by design (see the package invariants).
//
//go:norace
func scan() (waits []sample, held []heldSample) {
	for _, g := range states() {
		if l := g.waitLock.Load(); l != nil {
			waits = append(waits, sample{key: waitKey{g.goid, g.waitSeq}, lock: l, mode: g.waitMode, op: g.waitOp, n: g.waitN})
		}
		n := min(g.n, maxHeld)
		for i := 0; i < n; i++ {
			e := g.held[i]
			if e.l == nil {
				continue
			}
			if holdValid(g.goid, e) {
				held = append(held, heldSample{g: g.goid, lock: e.l, mode: e.mode, pc: e.pc})
			}
		}
	}
	return waits, append(held, liveOrphans()...)
}

// check runs one tick and reports whether any goroutine was waiting.
func (st *watchState) check(now time.Time) bool {
	waits, held := scan()
	if len(waits) == 0 {
		clear(st.since)
		return false
	}
	// Keep the waits seen on the previous tick too: those are stable.
	var stable []sample
	seen := map[waitKey]bool{}
	for _, w := range waits {
		seen[w.key] = true
		if _, ok := st.since[w.key]; ok {
			stable = append(stable, w)
		} else {
			st.since[w.key] = now
		}
	}
	for k := range st.since {
		if !seen[k] {
			delete(st.since, k)
		}
	}
	for key, ks := range st.reported {
		for _, k := range ks {
			if !seen[k] {
				delete(st.reported, key)
				break
			}
		}
	}
	if len(stable) == 0 {
		return true
	}
	ws := waiters(stable, held)
	var snap *deadlock.Snapshot
	snapshot := func() deadlock.Snapshot {
		if snap == nil {
			snap = &deadlock.Snapshot{Holds: holdsOf(held), Stacks: dumpStacks()}
		}
		return *snap
	}
	for _, w := range stable {
		// Waiting for a lock g holds itself, in a mode that g's own hold
		// excludes (a read wait on a read hold is DL1002's business).
		// Only Lock under one's own read hold: a Lock under one's own
		// write hold was reported before blocking (BeforeLock).
		mode, ok := holdsMode(held, w.key.g, w.lock)
		if ok && w.op == 0 && mode == Read && w.mode == Write && !w.lock.handedOver.Load() {
			key := fmt.Sprintf("self %d/%d", w.key.g, w.key.seq)
			if st.reported[key] == nil {
				st.reported[key] = []waitKey{w.key}
				g := snapshot().Stacks[int64(w.key.g)]
				reportSelf("DL1003", w.key.g, holdIDs(held, w.key.g), w.lock, mode, w.mode, g.Stack, sink.ReportAsync)
			}
		}
	}
	for _, c := range deadlock.WaitCycles(ws) {
		key, keys := cycleKey(c, stable)
		if st.reported[key] != nil {
			continue
		}
		st.reported[key] = keys
		sink.ReportAsync(deadlock.BlockedFinding(ws, c, snapshot()))
	}
	if limit := deadlock.HangThreshold(); limit > 0 {
		for i, w := range stable {
			waited := now.Sub(st.since[w.key])
			key := fmt.Sprintf("hang %d/%d", w.key.g, w.key.seq)
			if waited < limit || st.reported[key] != nil {
				continue
			}
			st.reported[key] = []waitKey{w.key}
			sink.ReportAsync(deadlock.HangFinding(ws[i], waited, snapshot()))
		}
	}
	return true
}

// waiters builds the wait-for graph of the stable waits: a writer waits
// for the write holder and every read holder; a reader waits for the
// write holder and for writers queued on the lock (Go's RWMutex is
// writer-preferring).
func waiters(stable []sample, held []heldSample) []deadlock.Waiter {
	readers := map[*Lock][]uint64{}
	for _, h := range held {
		if h.mode == Read {
			readers[h.lock] = append(readers[h.lock], h.g)
		}
	}
	queued := map[*Lock][]uint64{}
	for _, w := range stable {
		if w.mode == Write {
			queued[w.lock] = append(queued[w.lock], w.key.g)
		}
	}
	ws := make([]deadlock.Waiter, len(stable))
	for i, w := range stable {
		// The holds of a lock handed over between goroutines are
		// released by others than their holders: a wait on it proves no
		// cycle (DL1005 still reports a long one, with the holders).
		ws[i] = deadlock.Waiter{
			Goroutine: int64(w.key.g), Lock: w.lock.Info(), Mode: w.mode,
			Uncertain: w.lock.handedOver.Load(),
		}
		if w.lock.res != nil {
			// A wait on an object: its state says who can end it.
			o := w.lock
			o.guard.Lock()
			rw := o.res.WaitsFor(w.key.g, w.op, w.n)
			o.guard.Unlock()
			ws[i] = ws[i].Resource(rw)
			continue
		}
		var on []uint64
		if o := loadOwner(w.lock); o != 0 {
			on = append(on, o)
		}
		if w.mode == Write {
			on = append(on, readers[w.lock]...)
		} else {
			on = append(on, queued[w.lock]...)
		}
		for _, g := range on {
			if g != w.key.g && !slices.Contains(ws[i].WaitsFor, int64(g)) {
				ws[i].WaitsFor = append(ws[i].WaitsFor, int64(g))
			}
		}
	}
	return ws
}

func holdsOf(held []heldSample) map[int64][]deadlock.HeldLock {
	out := map[int64][]deadlock.HeldLock{}
	for _, h := range held {
		out[int64(h.g)] = append(out[int64(h.g)], deadlock.HeldLock{Lock: h.lock.Info(), Mode: h.mode})
	}
	return out
}

func cycleKey(c []int, stable []sample) (string, []waitKey) {
	keys := make([]waitKey, len(c))
	for i, j := range c {
		keys[i] = stable[j].key
	}
	slices.SortFunc(keys, func(a, b waitKey) int {
		if a.g != b.g {
			return cmp.Compare(a.g, b.g)
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return fmt.Sprint(keys), keys
}

// holdsMode returns the mode in which goroutine g holds l, if it does.
func holdsMode(held []heldSample, g uint64, l *Lock) (Mode, bool) {
	for _, h := range held {
		if h.g == g && h.lock == l {
			return h.mode, true
		}
	}
	return 0, false
}

// holdIDs returns the ids of the locks goroutine g holds.
func holdIDs(held []heldSample, g uint64) []uint64 {
	var ids []uint64
	for _, h := range held {
		if h.g == g {
			ids = append(ids, h.lock.id)
		}
	}
	return ids
}
