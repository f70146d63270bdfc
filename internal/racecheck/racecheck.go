// Package racecheck is the core of condiag's race checks on declared
// shared state: happens-before with vector clocks, kept cheap by
// FastTrack's epochs (RC2001), and Eraser's lockset refinement (RC2002),
// over the synchronisation that condiag sees. It is fed the same calls
// online, by the monitor as the program runs, and offline, by the replay
// of a trace (package analyze): one implementation, two drivers.
//
// Two orders are kept for every goroutine. The happens-before order (vc)
// has every edge: lock releases to later acquisitions, hand-offs
// (WaitGroup, Once, Cond, Barrier, Event, Queue, semaphore, pool tasks,
// race.Edge) and goroutine creation. The hand-off order (hvc) leaves out
// the lock edges: it says when a value passed from one goroutine to
// another, so that the lockset check lets state change owner that way
// (initialised, then handed over) while still finding state that only
// the timing of unrelated critical sections keeps apart.
//
// The calls are safe for concurrent use as the monitor makes them: the
// calls about a Thread from its own goroutine, and Acquire and Release of
// a lock's Sync by the goroutine that holds the lock (after locking,
// before unlocking), so that the lock orders them; a Sync used as a
// hand-off (Signal, Await) is never also used as a lock.
package racecheck

import (
	"sync/atomic"

	"github.com/condiag/condiag/report"
)

// An Epoch is a thread's clock value tagged with the thread: tid<<32 |
// clock. The zero Epoch is no access.
type Epoch uint64

func epoch(tid, clock uint32) Epoch { return Epoch(uint64(tid)<<32 | uint64(clock)) }

func (e Epoch) tid() uint32   { return uint32(e >> 32) }
func (e Epoch) clock() uint32 { return uint32(e) }

// Held is a lock held at an access: its id and whether for writing, in
// one word.
type Held uint64

// Hold returns the Held of lock id, held for writing if write.
func Hold(id uint64, write bool) Held {
	h := Held(id << 1)
	if write {
		h |= 1
	}
	return h
}

// ID returns the lock's id.
func (h Held) ID() uint64 { return uint64(h >> 1) }

// Write reports whether the lock is held for writing.
func (h Held) Write() bool { return h&1 != 0 }

// Env is what a detector needs from its driver.
type Env struct {
	// Stack returns the frames of an access site, innermost first.
	Stack func(site uint64) []report.Frame
	// Lock describes a lock, for the findings.
	Lock func(id uint64) report.Lock
	// Report receives the findings. It is called with no lock of the
	// detector held.
	Report func(report.Finding)
}

// A Detector holds the threads of one process.
type Detector struct {
	env Env

	mu      spin
	threads map[uint64]*Thread // by goroutine id
	tids    uint32             // tids handed out
	// dead joins the clocks of the goroutines forgotten when their
	// runtime structure was reused: what an unknown creator may have
	// seen includes it.
	dead vc
}

// New returns a detector that reports through env.
func New(env Env) *Detector {
	return &Detector{env: env, threads: map[uint64]*Thread{}}
}

// A Thread is the detector's state of one goroutine. Only the goroutine
// changes it, with atomic stores, and reads it plainly; another goroutine
// reads its clocks, when it creates a goroutine's state (fork), through
// the published copies with atomic loads. Every element only grows, so
// such a read, made while the owner goes on, gives clocks at least as
// late as when it started.
type Thread struct {
	tid    uint32
	goid   uint64
	vc     clock // happens-before
	hvc    clock // hand-offs only; its own element is vc's, not kept here
	forked atomic.Bool
	// learned counts the joins that changed vc: while it stays the
	// same, vc differs from an earlier copy of it only in t's own
	// element.
	learned uint64
}

// A clock is a thread's vector clock, with the current slice published
// for readers.
type clock struct {
	v   vc
	pub atomic.Pointer[vc]
}

func (c *clock) get(tid uint32) uint32 { return c.v.get(tid) }

// set sets element tid to x; the owner calls it.
func (c *clock) set(tid uint32, x uint32) {
	if int(tid) >= len(c.v) {
		c.grow(int(tid) + 1)
	}
	atomic.StoreUint32(&c.v[tid], x)
}

// join makes c the element-wise maximum of c and o, and reports
// whether c changed; the owner calls it.
func (c *clock) join(o vc) bool {
	if len(o) > len(c.v) {
		c.grow(len(o))
	}
	w := c.v[:len(o)]
	changed := false
	for i, x := range o {
		if x > w[i] {
			atomic.StoreUint32(&w[i], x)
			changed = true
		}
	}
	return changed
}

func (c *clock) grow(n int) {
	v := make(vc, n, n+n/4+4)
	copy(v, c.v)
	c.v = v
	p := new(vc) // readers get a header of their own, never the field
	*p = v
	c.pub.Store(p)
}

// readInto joins c, as another goroutine sees it, into dst.
func (c *clock) readInto(dst *vc) {
	p := c.pub.Load()
	if p == nil {
		return
	}
	src := *p
	if len(src) > len(*dst) {
		dst.join(make(vc, len(src)))
	}
	for i := range src {
		if x := atomic.LoadUint32(&src[i]); x > (*dst)[i] {
			(*dst)[i] = x
		}
	}
}

func (t *Thread) own() uint32 { return t.vc.v[t.tid] }

// Epoch returns t's current epoch.
func (t *Thread) Epoch() Epoch { return epoch(t.tid, t.own()) }

// tick starts a new epoch of t, after t released something.
//
// A clock that reached its largest value stays there: the goroutine's
// later accesses then look ordered before what its last releases reach,
// so a race can be missed, never made up (2^32 releases by one goroutine,
// three minutes of nothing but Lock and Unlock).
func (t *Thread) tick() {
	if c := t.own(); c < ^uint32(0) {
		t.vc.set(t.tid, c+1)
	}
}

// sync starts a new epoch if t created a goroutine since its last call:
// its accesses from now on are not before the new goroutine.
func (t *Thread) sync() {
	if t.forked.Load() && t.forked.CompareAndSwap(true, false) {
		t.tick()
	}
}

// before reports whether the access at e happens before t's present.
func (t *Thread) before(e Epoch) bool {
	return e.tid() == t.tid || e.clock() <= t.vc.get(e.tid())
}

// handedOff reports whether the access at e was handed over to t.
func (t *Thread) handedOff(e Epoch) bool {
	return e.tid() == t.tid || e.clock() <= t.hvc.get(e.tid())
}

// Thread returns the state of goroutine goid, made at its first call:
// goroutine creator (0 if unknown) started it, and it runs on the
// runtime structure of goroutine reuses, which has exited (0 if none).
//
// The new goroutine is ordered after what its creator did until now: the
// go statement itself is not seen, so a creator's access after the go
// statement but before this call counts as before the goroutine (a race
// between the two can be missed, never made up). A creator the detector
// does not know yet (or none, for the runtime's goroutines) is taken to
// have seen everything seen so far. Every
// goroutine gets a tid of its own, so vector clocks grow with the
// goroutines that made calls while the checks run; reuses only lets the
// detector forget the exited goroutine's state.
func (d *Detector) Thread(goid, creator, reuses uint64) *Thread {
	d.mu.lock()
	if old := d.threads[reuses]; reuses != 0 && old != nil {
		// The exited goroutine makes no more calls; a goroutine it
		// created that has not made its first finds its creator unknown,
		// and is ordered after dead.
		old.vc.readInto(&d.dead)
		delete(d.threads, reuses)
	}
	if t := d.threads[goid]; t != nil {
		d.mu.unlock()
		return t
	}
	t := &Thread{goid: goid, tid: d.newTid()}
	if creator == 0 {
		// The runtime's own goroutines (time.AfterFunc's, say) name no
		// creator: as for an unknown one, everything seen so far.
		v := d.everything()
		t.vc.join(v)
		t.hvc.join(v)
	} else {
		p := d.threads[creator]
		if p == nil {
			p = d.placeholder(creator)
		}
		var v, h vc
		p.vc.readInto(&v)
		p.hvc.readInto(&h)
		h.join(make(vc, len(v)))
		h[p.tid] = v[p.tid]
		t.vc.join(v)
		t.hvc.join(h)
		t.learned++
		// The creator's later accesses are not before the goroutine.
		p.forked.Store(true)
	}
	t.vc.set(t.tid, 1)
	t.hvc.set(t.tid, 1)
	d.threads[goid] = t
	d.mu.unlock()
	return t
}

// placeholder makes the state of goroutine goid, which created a
// goroutine before it made any call of its own: nothing says what it
// had seen, so it is ordered after everything seen so far. d.mu is held.
func (d *Detector) placeholder(goid uint64) *Thread {
	t := &Thread{goid: goid, tid: d.newTid()}
	v := d.everything()
	t.vc.join(v)
	t.hvc.join(v)
	t.vc.set(t.tid, 1)
	t.hvc.set(t.tid, 1)
	d.threads[goid] = t
	return t
}

// maxTid is the last tid: an epoch keeps its top bit free (loc.go's
// hints). Goroutines past it share it, taken as one goroutine: a race
// between them is missed. No program that could run the checks comes
// near it (its clocks would take 8 GiB each).
const maxTid = 1<<31 - 2

// newTid hands out a tid; d.mu is held.
func (d *Detector) newTid() uint32 {
	t := d.tids
	if t < maxTid {
		d.tids++
	}
	return t
}

// everything returns the join of every clock seen so far, and makes the
// goroutines' later accesses come after it. d.mu is held.
func (d *Detector) everything() vc {
	v := append(vc(nil), d.dead...)
	for _, o := range d.threads {
		o.vc.readInto(&v)
		o.forked.Store(true)
	}
	return v
}

// Lookup returns the state of goroutine goid, or nil.
func (d *Detector) Lookup(goid uint64) *Thread {
	d.mu.lock()
	defer d.mu.unlock()
	return d.threads[goid]
}

// A Sync is the detector's state of a synchronisation object: a lock,
// or anything that hands over (WaitGroup, Event, Queue...).
//
// A lock's write clock is only changed by a write release and read by
// acquisitions, which the lock itself orders (the monitor calls Release
// before unlocking and Acquire after locking); its read clock is joined
// by concurrent read releases, under mu.
//
// A lock released and taken again by the same goroutine, the common case,
// costs no walk of the clocks: w remembers who wrote it last (wBy, tid+1)
// and what that goroutine had learned then (wLearned).
type Sync struct {
	mu       spin
	w        vc // a lock's last write release; a hand-off's releases
	r        vc // a lock's read releases since its last write release
	h        vc // a hand-off's releases in the hand-off order
	wBy      uint32
	wLearned uint64
}

// Acquire records that t acquired lock s, for writing or reading.
func (d *Detector) Acquire(t *Thread, s *Sync, write bool) {
	t.sync()
	if s.wBy != t.tid+1 && t.vc.join(s.w) {
		t.learned++
	}
	if write && len(s.r) > 0 && t.vc.join(s.r) {
		t.learned++
	}
}

// Release records that t is releasing lock s, held for writing or
// reading.
func (d *Detector) Release(t *Thread, s *Sync, write bool) {
	t.sync()
	if write {
		if s.wBy == t.tid+1 && s.wLearned == t.learned && len(s.r) == 0 {
			s.w[t.tid] = t.own() // only t's own clock moved on
		} else {
			s.w.assign(t.vc.v)
			s.r = s.r[:0]
			s.wBy, s.wLearned = t.tid+1, t.learned
		}
	} else {
		s.mu.lock()
		s.r.join(t.vc.v)
		s.mu.unlock()
	}
	t.tick()
}

// Signal records that what t did so far is handed over through s: to
// whoever awaits s later.
func (d *Detector) Signal(t *Thread, s *Sync) {
	t.sync()
	s.mu.lock()
	s.w.join(t.vc.v)
	s.h.join(t.hvc.v)
	s.h[t.tid] = t.own() // s.w has it, so s.h is long enough
	s.mu.unlock()
	t.tick()
}

// Await records that t received what was handed over through s.
func (d *Detector) Await(t *Thread, s *Sync) {
	t.sync()
	s.mu.lock()
	if t.vc.join(s.w) {
		t.learned++
	}
	handed := t.hvc.join(s.h)
	s.mu.unlock()
	if handed {
		// A location may be t's alone again (allHandedOff): t's next
		// access must not be skipped as a repeat of one before this.
		t.tick()
	}
}
