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
// The calls are safe for concurrent use, as the monitor makes them; a
// Thread's methods are called by its own goroutine only.
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

// Held is a lock held at an access.
type Held struct {
	ID    uint64
	Write bool
}

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
}

// New returns a detector that reports through env.
func New(env Env) *Detector {
	return &Detector{env: env, threads: map[uint64]*Thread{}}
}

// A Thread is the detector's state of one goroutine.
type Thread struct {
	mu   spin // guards vc and hvc against other goroutines' reads
	tid  uint32
	goid uint64
	vc   vc // happens-before; vc[tid] is read and changed atomically
	hvc  vc // hand-offs only
}

// Goid returns the goroutine id.
func (t *Thread) Goid() uint64 { return t.goid }

func (t *Thread) own() uint32 { return atomic.LoadUint32(&t.vc[t.tid]) }

// Epoch returns t's current epoch.
func (t *Thread) Epoch() Epoch { return epoch(t.tid, t.own()) }

// tick starts a new epoch of t, after t released something.
func (t *Thread) tick() {
	t.mu.lock()
	atomic.AddUint32(&t.vc[t.tid], 1)
	t.hvc[t.tid]++
	t.mu.unlock()
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
// does not know yet is taken to have seen everything seen so far. Every
// goroutine gets a tid of its own, so vector clocks grow with the
// goroutines that made calls while the checks run; reuses only lets the
// detector forget the exited goroutine's state.
func (d *Detector) Thread(goid, creator, reuses uint64) *Thread {
	d.mu.lock()
	if t := d.threads[goid]; t != nil {
		d.mu.unlock()
		return t
	}
	t := &Thread{goid: goid, tid: d.tids}
	d.tids++
	if reuses != 0 {
		// The exited goroutine creates nothing more.
		delete(d.threads, reuses)
	}
	if p := d.threads[creator]; creator != 0 {
		if p == nil {
			p = d.placeholder(creator)
		}
		p.mu.lock()
		t.vc.assign(p.vc)
		t.hvc.assign(p.hvc)
		// The creator's later accesses are not before the goroutine.
		atomic.AddUint32(&p.vc[p.tid], 1)
		p.hvc[p.tid]++
		p.mu.unlock()
	}
	t.vc.setAt(t.tid, 1)
	t.hvc.setAt(t.tid, 1)
	d.threads[goid] = t
	d.mu.unlock()
	return t
}

// placeholder makes the state of goroutine goid, which created a
// goroutine before it made any call of its own: nothing says what it
// had seen, so it is ordered after everything seen so far. d.mu is held.
func (d *Detector) placeholder(goid uint64) *Thread {
	t := &Thread{goid: goid, tid: d.tids}
	d.tids++
	for _, o := range d.threads {
		o.mu.lock()
		t.vc.join(o.vc)
		t.hvc.join(o.hvc)
		o.mu.unlock()
	}
	t.vc.setAt(t.tid, 1)
	t.hvc.setAt(t.tid, 1)
	d.threads[goid] = t
	return t
}

// Lookup returns the state of goroutine goid, or nil.
func (d *Detector) Lookup(goid uint64) *Thread {
	d.mu.lock()
	defer d.mu.unlock()
	return d.threads[goid]
}

// A Sync is the detector's state of a synchronisation object: a lock,
// or anything that hands over (WaitGroup, Event, Queue...).
type Sync struct {
	mu spin
	w  vc // a lock's last write release; a hand-off's releases
	r  vc // a lock's read releases since its last write release
	h  vc // a hand-off's releases in the hand-off order
}

// Acquire records that t acquired lock s, for writing or reading.
func (d *Detector) Acquire(t *Thread, s *Sync, write bool) {
	s.mu.lock()
	if len(s.w) > 0 || write && len(s.r) > 0 {
		t.mu.lock()
		t.vc.join(s.w)
		if write {
			t.vc.join(s.r)
		}
		t.mu.unlock()
	}
	s.mu.unlock()
}

// Release records that t is releasing lock s, held for writing or
// reading.
func (d *Detector) Release(t *Thread, s *Sync, write bool) {
	s.mu.lock()
	if write {
		s.w.assign(t.vc)
		s.r = s.r[:0]
	} else {
		s.r.join(t.vc)
	}
	s.mu.unlock()
	t.tick()
}

// Signal records that what t did so far is handed over through s: to
// whoever awaits s later.
func (d *Detector) Signal(t *Thread, s *Sync) {
	s.mu.lock()
	s.w.join(t.vc)
	s.h.join(t.hvc)
	s.mu.unlock()
	t.tick()
}

// Await records that t received what was handed over through s.
func (d *Detector) Await(t *Thread, s *Sync) {
	s.mu.lock()
	if len(s.w) > 0 {
		t.mu.lock()
		t.vc.join(s.w)
		t.hvc.join(s.h)
		t.mu.unlock()
	}
	s.mu.unlock()
}
