package monitor

import (
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/condiag/condiag/internal/callers"
	"github.com/condiag/condiag/internal/racecheck"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
)

// The race checks (package racecheck) run once the program declares a
// shared location ([NewVar]) or an edge: until then no primitive pays
// for them but one atomic load. From then on every acquisition and
// release of a lock, and every hand-off of the other primitives
// ([Signal], [Await]), updates the vector clocks of its goroutine.

var detector = racecheck.New(racecheck.Env{Stack: siteStack, Lock: raceLock, Report: func(f report.Finding) { sink.Report(f) }})

// RaceFlag is 1 while the race checks run, 0 before. RaceOn says the
// same; a fast path that must stay small enough to inline (Once.Do's)
// reads the flag itself.
var RaceFlag atomic.Uint32

// RaceOn reports whether the race checks run.
func RaceOn() bool { return RaceFlag.Load() != 0 }

// EnableRace starts the race checks. It stores only once: every lock
// operation reads the flag.
func EnableRace() {
	if RaceFlag.Load() == 0 {
		RaceFlag.Store(1)
	}
}

// rt returns g's state in the race checks.
func (g *G) rt() *racecheck.Thread {
	if t := g.race; t != nil {
		return t
	}
	return g.raceStart()
}

//go:noinline
func (g *G) raceStart() *racecheck.Thread {
	// A goroutine's state is made again after its last is dropped (the
	// slow goroutine ids of gtable.go): its thread is known.
	t := detector.Lookup(g.goid)
	if t == nil {
		creator, _ := g.creation()
		t = detector.Thread(g.goid, creator, g.prevGoid)
	}
	g.race = t
	return t
}

// raceLocks maps the ids of the locks the race checks met to the locks,
// for the findings.
var raceLocks sync.Map // uint64 -> weak.Pointer[Lock]

// hbSync returns l's state as a lock in the race checks.
func (l *Lock) hbSync() *racecheck.Sync {
	if s := l.hb.Load(); s != nil {
		return s
	}
	return l.syncInit(&l.hb)
}

// hoSync returns l's state as a hand-off in the race checks.
func (l *Lock) hoSync() *racecheck.Sync {
	if s := l.ho.Load(); s != nil {
		return s
	}
	return l.syncInit(&l.ho)
}

//go:noinline
func (l *Lock) syncInit(p *atomic.Pointer[racecheck.Sync]) *racecheck.Sync {
	if p.CompareAndSwap(nil, new(racecheck.Sync)) && p == &l.hb {
		raceLocks.Store(l.id, weak.Make(l))
		runtime.AddCleanup(l, func(id uint64) { raceLocks.Delete(id) }, l.id)
	}
	return p.Load()
}

func raceLock(id uint64) report.Lock {
	if v, ok := raceLocks.Load(id); ok {
		if l := v.(weak.Pointer[Lock]).Value(); l != nil {
			return l.Info().Report()
		}
	}
	return report.Lock{ID: id, Kind: "lock"}
}

// raceAcquired and raceReleased are the lock edges; the caller checked
// RaceOn.
func (g *G) raceAcquired(l *Lock, mode Mode) { detector.Acquire(g.rt(), l.hbSync(), mode == Write) }
func (g *G) raceReleased(l *Lock, mode Mode) { detector.Release(g.rt(), l.hbSync(), mode == Write) }

// Signal records that what the calling goroutine did so far is handed
// over through o: to the goroutines that [Await] o later. A WaitGroup's
// Done, an Event's Set, a Queue's Put signal; the matching Wait or Get
// awaits.
func Signal(o *Lock) {
	if RaceOn() {
		hbOp(o, tracefmt.SyncRelease)
	}
}

// Await records that the calling goroutine received what was handed over
// through o.
func Await(o *Lock) {
	if RaceOn() {
		hbOp(o, tracefmt.SyncAcquire)
	}
}

//go:noinline
func hbOp(o *Lock, op uint64) {
	g := Current()
	if op == tracefmt.SyncRelease {
		detector.Signal(g.rt(), o.hoSync())
	} else {
		detector.Await(g.rt(), o.hoSync())
	}
	if r := recording.Load(); r != nil {
		if o.tstate.Load() != r.want {
			r.announce(g, o)
		}
		b := g.tbegin(r, tracefmt.EvSync)
		b = binary.AppendUvarint(b, o.id)
		b = binary.AppendUvarint(b, op)
		g.tend(b)
	}
	if g.gp == 0 {
		g.settle()
	}
}

// NewVar returns the monitor's state of a declared shared location,
// which the caller keeps next to the location's racecheck.Loc. The
// location's site is its creator's caller, outside condiag. It starts the
// race checks.
//
//go:noinline
func NewVar(name string) *Lock {
	EnableRace()
	l := NewObject(KindVar)
	l.name = name
	announceNow(l)
	return l
}

// NewEdge returns the state of a happens-before annotation, and starts
// the race checks.
//
//go:noinline
func NewEdge() *Lock {
	EnableRace()
	l := NewObject(KindEdge)
	announceNow(l)
	return l
}

// announceNow describes l in the trace being recorded, if any, so that
// the replay starts the race checks where the program did.
func announceNow(l *Lock) {
	if r := recording.Load(); r != nil {
		g := Current()
		r.announce(g, l)
		if g.gp == 0 {
			g.settle()
		}
	}
}

// Access checks a read or write of the location v, whose monitor state
// is l, by the calling goroutine. An access like one the goroutine made
// since its last release returns at once.
func Access(l *Lock, v *racecheck.Loc, write bool) {
	g := Current()
	t := g.race
	if t != nil && v.Skip(t, write) {
		return
	}
	g.access(l, v, write)
}

//go:noinline
func (g *G) access(l *Lock, v *racecheck.Loc, write bool) {
	var top [siteDepth]uintptr
	site := siteKey(top[:callers.Get(top[:])])
	r := recording.Load()
	if r != nil || !siteKnown(site) {
		g.accessStack(r, l, site, write)
	}
	var held [maxHeld]racecheck.Held
	nh := 0
	for i := 0; i < g.n; i++ {
		e := &g.held[i]
		if e.l.kind == KindMutex || e.l.kind == KindRWMutex {
			if g.mayHold(e) {
				held[nh] = racecheck.Hold(e.l.id, e.mode == Write)
				nh++
			}
		}
	}
	detector.Access(g.rt(), v, write, site, held[:nh])
	if g.gp == 0 {
		g.settle()
	}
}

// accessStack walks the whole stack of an access: for a site not known
// yet, and for the trace being recorded (r, if not nil), which gets the
// access's event. Its first frames are condiag's own, which are dropped
// when stacks are symbolized.
//
//go:noinline
func (g *G) accessStack(r *recorder, l *Lock, site uint64, write bool) {
	var pcs [stackDepth]uintptr
	n := callers.Get(pcs[:])
	learnSite(site, pcs[:n])
	if r == nil {
		return
	}
	if l.tstate.Load() != r.want {
		r.announce(g, l)
	}
	st := r.stackID(pcs[:n])
	b := g.tbegin(r, tracefmt.EvAccess)
	b = binary.AppendUvarint(b, l.id)
	b = binary.AppendUvarint(b, flag(write))
	b = binary.AppendUvarint(b, st)
	g.tend(b)
}

// An access site is known by its siteDepth innermost return addresses
// (condiag's own one or two, then the access and its callers): a short
// frame-pointer walk and a hash, where the whole stack would cost three
// times as much. The stack a report shows for a site is the first one
// seen from there: exact in those frames, and in the deeper ones unless
// the same innermost frames were reached from another path. Sites are
// kept in a map, with a lock-free cache of the known ones in front, and
// symbolized when a finding needs them. The trace records every access's
// own stack.
const siteDepth = 4

var (
	siteCache [1 << 12]atomic.Uint64
	siteMu    sync.Mutex
	sitePCs   = map[uint64][]uintptr{}
)

// siteKey hashes the innermost return addresses of an access: a sum of
// independent products, which the processor computes in parallel.
func siteKey(pcs []uintptr) uint64 {
	keys := [siteDepth]uint64{0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93}
	h := uint64(len(pcs))
	for i, pc := range pcs {
		h += uint64(pc) * keys[i]
	}
	h ^= h >> 29
	return h | 1
}

func siteKnown(h uint64) bool { return siteCache[h>>(64-12)].Load() == h }

// learnSite records pcs as the stack of site h, if it has none.
func learnSite(h uint64, pcs []uintptr) {
	if siteKnown(h) {
		return
	}
	siteMu.Lock()
	if _, ok := sitePCs[h]; !ok {
		sitePCs[h] = append([]uintptr(nil), pcs...)
	}
	siteMu.Unlock()
	siteCache[h>>(64-12)].Store(h)
}

func siteStack(site uint64) []report.Frame {
	siteMu.Lock()
	pcs := sitePCs[site]
	siteMu.Unlock()
	return frames(pcs)
}

// mayHold reports whether g may still hold the lock of entry e: a write
// hold it owns, or a read hold, which a release of a read hold by a
// goroutine that did not take it may or may not have ended (valid says
// no). The race checks and Holds take it as held: a race can be missed,
// never made up.
//
//go:norace
func (g *G) mayHold(e *entry) bool { return e.mode == Read || e.l.owner == g.goid }

// TraceUnguarded records an access without its lock l held to a
// race.Guarded value of type typ, reported as RC2003, with holder the
// goroutine holding l then (0 if none), so that the replay reports it
// too.
//
//go:noinline
func TraceUnguarded(l *Lock, write bool, typ string, holder uint64) {
	r := recording.Load()
	if r == nil {
		return
	}
	g := Current()
	if l.tstate.Load() != r.want {
		r.announce(g, l)
	}
	var pcs [stackDepth]uintptr
	st := r.stackID(pcs[:callers.Get(pcs[:])])
	b := g.tbegin(r, tracefmt.EvUnguarded)
	b = binary.AppendUvarint(b, l.id)
	b = binary.AppendUvarint(b, flag(write))
	b = binary.AppendUvarint(b, r.intern(typ))
	b = binary.AppendUvarint(b, holder)
	b = binary.AppendUvarint(b, st)
	g.tend(b)
	if g.gp == 0 {
		g.settle()
	}
}

// flag is a bool as an event argument.
func flag(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
