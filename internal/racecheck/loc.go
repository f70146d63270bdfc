package racecheck

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/condiag/condiag/report"
)

// maxHeld is how many of the locks held at an access are kept for a
// report; the lockset itself is complete.
const maxHeld = 4

// maxSeen is how many accesses of distinct sites a location keeps for
// its RC2002 report.
const maxSeen = 4

// access is one read or write of a location.
type access struct {
	e     Epoch
	goid  uint64
	site  uint64
	write bool
	// counted is set once the lockset took the access in, in a shared
	// state (the exclusive state ignores locks).
	counted bool
	n       uint8 // locks in held
	held    [maxHeld]Held
}

func (a *access) locks() []Held { return a.held[:a.n] }

// Lockset states (Eraser's).
const (
	virgin    = iota // never accessed
	exclusive        // accessed by one goroutine, or handed from one to the next
	shared           // read by several, written by one before
	sharedMod        // written and accessed by several: the lockset must not be empty
)

// A Loc is the detector's state of one declared location. The zero
// value is ready; set Name before the first access.
type Loc struct {
	// Name names the location in reports.
	Name string

	// hint is for the fast path: the epoch of the last access, with
	// hintWrite set if it was a write, or 0 when that says nothing (see
	// Skip). It is also the lock of the rest: locked while it holds
	// lockedHint, and unlocked by storing the new hint, one atomic
	// operation for both.
	hint atomic.Uint64

	w     access   // last write
	reads []access // reads since, not ordered before one another

	state uint8
	// The exclusive owner's last access, the last access of all in
	// that state: v.w if ownerWrite, else the read of epoch ownerE.
	ownerE     Epoch
	ownerWrite bool
	cand       []uint64 // candidate lockset, in the shared states
	last       []Epoch  // in the shared states, each goroutine's last access
	seen       []access // accesses of distinct sites since the location was shared

	pairs    map[[2]uint64]bool // pairs of sites reported as RC2001
	raced    bool               // an RC2001 was reported
	unlocked bool               // the RC2002 was reported
}

// Skip reports whether an access by t needs no checking: t already made
// one like it in its present epoch (since its last release), so neither
// order nor lockset can have changed. It is the fast path: two atomic
// loads.
func (v *Loc) Skip(t *Thread, write bool) bool {
	if t.forked.Load() {
		return false
	}
	e, h := uint64(t.Epoch()), v.hint.Load()
	return h == e|hintWrite || !write && h == e
}

// hintWrite marks a hint that is a write's epoch: a read or a write of
// the same epoch is covered by it, where a read's covers only reads.
const hintWrite = 1 << 63

// Access checks a read or write of v by t at site (a driver's stack id)
// with the given locks held.
func (d *Detector) Access(t *Thread, v *Loc, write bool, site uint64, held []Held) {
	t.sync()
	cur := access{e: t.Epoch(), goid: t.goid, site: site, write: write}
	cur.n = uint8(copy(cur.held[:], held))
	var out []report.Finding
	hint := v.lock()
	if write {
		if v.w.e == cur.e && (v.w.counted || v.state == exclusive) {
			v.hint.Store(hint)
			return
		}
		if v.w.e != 0 && !t.before(v.w.e) {
			out = d.race(out, v, &v.w, &cur)
		}
		for i := range v.reads {
			if r := &v.reads[i]; !t.before(r.e) {
				out = d.race(out, v, r, &cur)
			}
		}
		out = d.lockset(out, t, v, &cur, held)
		v.w = cur
		v.reads = v.reads[:0]
		hint = uint64(cur.e) | hintWrite
	} else {
		for i := range v.reads {
			if r := &v.reads[i]; r.e == cur.e && (r.counted || v.state == exclusive) {
				v.hint.Store(hint)
				return
			}
		}
		if v.w.e != 0 && !t.before(v.w.e) {
			out = d.race(out, v, &v.w, &cur)
		}
		out = d.lockset(out, t, v, &cur, held)
		// Reads ordered before this one are covered by it: a later write
		// ordered after it is ordered after them.
		n := 0
		for i := range v.reads {
			if !t.before(v.reads[i].e) {
				v.reads[n] = v.reads[i]
				n++
			}
		}
		v.reads = append(v.reads[:n], cur)
		if hint != uint64(cur.e)|hintWrite { // else t's write of this epoch covers it
			hint = uint64(cur.e)
		}
	}
	v.hint.Store(hint)
	for _, f := range out {
		d.env.Report(f)
	}
}

// lockedHint is the hint while the location is locked: no epoch, since a
// tid of 2^31-1 is never handed out.
const lockedHint = ^uint64(0)

// lock locks v and returns the hint to store when unlocking.
func (v *Loc) lock() uint64 {
	for {
		if h := v.hint.Load(); h != lockedHint && v.hint.CompareAndSwap(h, lockedHint) {
			return h
		}
		runtime.Gosched()
	}
}

// lockset runs Eraser's state machine for the access cur, before v.w
// and v.reads take it in.
func (d *Detector) lockset(out []report.Finding, t *Thread, v *Loc, cur *access, held []Held) []report.Finding {
	switch v.state {
	case virgin:
		v.state = exclusive
		v.own(cur)
		return out
	case exclusive:
		if t.handedOff(v.ownerE) {
			v.own(cur)
			return out
		}
		v.last = append(v.last[:0], v.ownerE)
		// The owner's accesses were initialisation: the lockset starts
		// with this access, the first by a second goroutine.
		v.state = shared
		if cur.write {
			v.state = sharedMod
		}
		v.cand = v.cand[:0]
		for _, h := range held {
			if h.Write() || !cur.write {
				v.cand = append(v.cand, h.ID())
			}
		}
		if o := v.owner(); o != nil {
			v.see(o)
		}
	default:
		if v.allHandedOff(t) {
			// Every goroutine's accesses were handed over to this one
			// (the workers were waited for, say): it owns the location
			// again, as after initialisation.
			v.state = exclusive
			v.own(cur)
			v.seen = v.seen[:0]
			return out
		}
		v.cand = slices.DeleteFunc(v.cand, func(id uint64) bool {
			for _, h := range held {
				if h.ID() == id && (h.Write() || !cur.write) {
					return false
				}
			}
			return true
		})
		if cur.write {
			v.state = sharedMod
		}
	}
	cur.counted = true
	v.see(cur)
	v.last = slices.DeleteFunc(v.last, func(e Epoch) bool { return e.tid() == cur.e.tid() })
	v.last = append(v.last, cur.e)
	if v.state == sharedMod && len(v.cand) == 0 && !v.unlocked && !v.raced {
		v.unlocked = true
		out = append(out, d.unlockedFinding(v, cur))
	}
	return out
}

// own makes cur the exclusive owner's last access.
func (v *Loc) own(cur *access) { v.ownerE, v.ownerWrite = cur.e, cur.write }

// owner returns the exclusive owner's last access, which v.w or v.reads
// hold until the access being checked replaces it.
func (v *Loc) owner() *access {
	if v.ownerWrite {
		return &v.w
	}
	for i := len(v.reads) - 1; i >= 0; i-- {
		if v.reads[i].e == v.ownerE {
			return &v.reads[i]
		}
	}
	return nil
}

// allHandedOff reports whether the last access of every goroutine to v
// was handed over to t.
func (v *Loc) allHandedOff(t *Thread) bool {
	for _, e := range v.last {
		if !t.handedOff(e) {
			return false
		}
	}
	return true
}

// see keeps a for the RC2002 report, if its site is new.
func (v *Loc) see(a *access) {
	for i := range v.seen {
		if v.seen[i].site == a.site && v.seen[i].write == a.write {
			v.seen[i] = *a
			return
		}
	}
	if len(v.seen) < maxSeen {
		v.seen = append(v.seen, *a)
	} else {
		v.seen[maxSeen-1] = *a
	}
}

// race reports the unordered accesses prev and cur, once per pair of
// sites.
func (d *Detector) race(out []report.Finding, v *Loc, prev, cur *access) []report.Finding {
	k := [2]uint64{min(prev.site, cur.site), max(prev.site, cur.site)}
	if v.pairs[k] {
		return out
	}
	if v.pairs == nil {
		v.pairs = map[[2]uint64]bool{}
	}
	v.pairs[k] = true
	v.raced = true
	// The finding is placed at the write (the later one for two), so
	// that a race is reported at the same line whichever access came
	// first.
	first, second := cur, prev
	if !cur.write {
		first, second = prev, cur
	}
	f := report.New("RC2001")
	f.Confidence = report.Observed
	st1, st2 := d.env.Stack(first.site), d.env.Stack(second.site)
	if len(st1) > 0 {
		f.Location = st1[0]
	}
	f.Message = fmt.Sprintf("data race on %s: %s by goroutine %d and %s by goroutine %d at %s, in no order that condiag saw",
		v.label(), verb(first), first.goid, verb(second), second.goid, top(st2))
	f.Goroutines = []report.Goroutine{d.goroutine(&f, first, st1), d.goroutine(&f, second, st2)}
	if cur == first {
		f.Goroutines[1].State = "previous " + f.Goroutines[1].State
	} else {
		f.Goroutines[0].State = "previous " + f.Goroutines[0].State
	}
	for _, a := range [2]*access{first, second} {
		if a.write && readOnly(a) {
			f.Notes = append(f.Notes, fmt.Sprintf("The write by goroutine %d held %s for reading only: read holds do not exclude each other, a write needs the lock held for writing.", a.goid, d.lockNames(a)))
		}
	}
	return append(out, f)
}

// unlockedFinding is the RC2002 for v, whose lockset the access cur
// emptied.
func (d *Detector) unlockedFinding(v *Loc, cur *access) report.Finding {
	f := report.New("RC2002")
	f.Confidence = report.Predicted
	st := d.env.Stack(cur.site)
	if len(st) > 0 {
		f.Location = st[0]
	}
	var parts []string
	for i := range v.seen {
		a := &v.seen[i]
		s := d.env.Stack(a.site)
		parts = append(parts, fmt.Sprintf("%s at %s holding %s", verbNoun(a), top(s), d.lockNames(a)))
		f.Goroutines = append(f.Goroutines, d.goroutine(&f, a, s))
	}
	f.Message = fmt.Sprintf("no lock is held at every access to %s: %s", v.label(), strings.Join(parts, "; "))
	f.Notes = append(f.Notes, "The accesses need not have overlapped in this run: each pair that holds no lock in common could, under another schedule.")
	return f
}

func (d *Detector) goroutine(f *report.Finding, a *access, st []report.Frame) report.Goroutine {
	g := report.Goroutine{ID: int64(a.goid), State: verb(a), Stack: st}
	for _, h := range a.locks() {
		g.Holds = append(g.Holds, h.ID())
		if _, ok := f.Lock(h.ID()); !ok && d.env.Lock != nil {
			l := d.env.Lock(h.ID())
			l.ID = h.ID()
			f.Locks = append(f.Locks, l)
		}
	}
	return g
}

// readOnly reports whether a held locks, all of them for reading.
func readOnly(a *access) bool {
	for _, h := range a.locks() {
		if h.Write() {
			return false
		}
	}
	return a.n > 0
}

func (d *Detector) lockNames(a *access) string {
	if a.n == 0 {
		return "no lock"
	}
	var names []string
	for _, h := range a.locks() {
		name := fmt.Sprintf("lock#%d", h.ID())
		if d.env.Lock != nil {
			l := d.env.Lock(h.ID())
			l.ID = h.ID()
			name = l.Label()
		}
		if !h.Write() {
			name += " (read)"
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

func (v *Loc) label() string {
	if v.Name == "" {
		return "a shared location"
	}
	return fmt.Sprintf("%q", v.Name)
}

func verb(a *access) string {
	if a.write {
		return "write"
	}
	return "read"
}

func verbNoun(a *access) string {
	if a.write {
		return "written"
	}
	return "read"
}

func top(st []report.Frame) string {
	if len(st) == 0 {
		return "?"
	}
	return st[0].String()
}
