//go:build !condiagoff

package sync

import (
	"sync"
	"sync/atomic"

	"github.com/condiag/condiag/internal/monitor"
	"github.com/condiag/condiag/internal/tracefmt"
)

// Cond implements a condition variable, a rendezvous point for goroutines
// waiting for or announcing the occurrence of an event, exactly like the
// standard library's: each Cond has a Locker L, held when changing the
// condition and when calling Wait; it must not be copied after first use.
// A call to Broadcast or Signal synchronizes before any Wait call that it
// unblocks.
//
// When L is a condiag [Mutex] or [RWMutex] (or its RLocker), the unlock
// and relock inside Wait are seen by the detectors like any other.
//
// A goroutine blocked in Wait is known to the leak checks (package
// detect/leak), which name the Cond.
//
// Cost: the standard Cond's, plus one atomic load per call; Wait also
// publishes the wait in the goroutine's state (an atomic store before and
// after) and its first call allocates the Cond's state (208 bytes).
type Cond struct {
	noCopy noCopy

	// L is held while observing or changing the condition
	L Locker

	c    sync.Cond // c.L forwards to L; set once
	once sync.Once
	st   atomic.Pointer[monitor.Lock] // trace identity, made when first traced
}

// state returns c's trace identity.
func (c *Cond) state() *monitor.Lock {
	if s := c.st.Load(); s != nil {
		return s
	}
	s := monitor.NewObject(monitor.KindCond)
	if c.st.CompareAndSwap(nil, s) {
		return s
	}
	return c.st.Load()
}

// condLocker forwards Lock and Unlock to the outer Cond's L, read at each
// call, as the standard Cond reads its own L.
type condLocker Cond

func (c *condLocker) Lock() {
	// Only Cond.Wait locks through condLocker: it woke up.
	monitor.Current().WaitedOn()
	if monitor.Tracing() {
		monitor.TraceCond((*Cond)(c).state(), tracefmt.EvCondWoken)
	}
	if monitor.RaceOn() {
		monitor.Await((*Cond)(c).state())
	}
	c.L.Lock()
}
func (c *condLocker) Unlock() { c.L.Unlock() }

// NewCond returns a new Cond with Locker l.
func NewCond(l Locker) *Cond {
	return &Cond{L: l}
}

func (c *Cond) inner() *sync.Cond {
	c.once.Do(func() { c.c.L = (*condLocker)(c) })
	return &c.c
}

// Wait atomically unlocks c.L and suspends execution of the calling
// goroutine. After later resuming execution, Wait locks c.L before
// returning. Wait cannot return unless awoken by Broadcast or Signal, so
// the caller typically waits in a loop until the condition holds.
func (c *Cond) Wait() {
	monitor.Current().WaitOn(c.state())
	if monitor.Tracing() {
		var l *monitor.Lock
		if m, ok := c.L.(instrumented); ok {
			l = m.monitorLock()
		}
		monitor.TraceCondWait(c.state(), l)
	}
	c.inner().Wait()
}

// Signal wakes one goroutine waiting on c, if there is any. It is allowed
// but not required for the caller to hold c.L during the call.
func (c *Cond) Signal() {
	if monitor.Tracing() {
		monitor.TraceCond(c.state(), tracefmt.EvCondSignal)
	}
	if monitor.RaceOn() {
		monitor.Signal(c.state())
	}
	c.inner().Signal()
}

// Broadcast wakes all goroutines waiting on c. It is allowed but not
// required for the caller to hold c.L during the call.
func (c *Cond) Broadcast() {
	if monitor.Tracing() {
		monitor.TraceCond(c.state(), tracefmt.EvCondBcast)
	}
	if monitor.RaceOn() {
		monitor.Signal(c.state())
	}
	c.inner().Broadcast()
}
