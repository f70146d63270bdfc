package sync

import (
	"context"
	"sync"
	"sync/atomic"
)

// An Event is a flag that goroutines wait for: [Event.Set] sets it and
// wakes every goroutine waiting in [Event.Wait], [Event.Clear] clears it,
// and Wait returns at once while it is set. It is Python's
// threading.Event.
//
// The zero value is an Event that is not set. An Event must not be copied
// after first use.
//
// In the terminology of the Go memory model, a call to Set that sets the
// event synchronizes before the return of every call to Wait that
// returns nil, and of every call to IsSet that returns true, because of
// it. A call to Set that finds the event set does nothing, and
// synchronizes with nothing.
//
// The deadlock detector sees the goroutines blocked in Wait: a wait
// longer than the hang threshold is reported as DL1005, and a goroutine
// left blocked in Wait as a leak (LK3001). Since any goroutine may call
// Set, a wait on an Event proves no deadlock cycle (no DL1002). A
// goroutine that waits on [Event.Done] instead is not seen at all.
//
// Cost, on the 2-core machine of docs/performance.md (Go 1.26, amd64), side
// by side in one run with an event made of a channel closed while it is
// set (docs/bench/barrier-event.txt): IsSet takes 1.1 ns against 5.9 ns,
// Wait on a set event 1.5 ns against 23 ns (1.2 ns against 53 ns from 2
// goroutines at once), Set on a set event 1.3 ns against 14 ns, a Set
// and Clear pair 45 ns against 88 ns, and a Wait that blocks until
// another goroutine's Set, round trip, 727 ns against 749 ns. Nothing
// allocates but a Wait that blocks, which makes the channel (96 bytes)
// if no goroutine waits yet, and the first Set, Clear or blocking Wait,
// which makes the monitor's state. Reproduce with:
//
//	go test -run=NONE -bench='Barrier|Event' -benchmem -count=10 ./sync
type Event struct {
	_   noCopy
	set atomic.Bool // written with mu held, read without it

	// mu guards the fields below. It is also the monitor's guard: it is
	// never held while blocking.
	mu sync.Mutex
	// ch is closed while the event is set and open while it is not, or
	// nil until needed.
	ch  chan struct{}
	mon eventMon // the monitor's state, made on first use; nothing with condiagoff
}

// closedchan is a closed channel, for Done on a set Event.
var closedchan = make(chan struct{})

func init() { close(closedchan) }

// Set sets e and wakes every goroutine waiting in Wait. Setting a set
// Event does nothing.
func (e *Event) Set() {
	if e.set.Load() {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set.Load() {
		return
	}
	e.mon.set(&e.mu)
	e.set.Store(true)
	if e.ch != nil {
		close(e.ch)
	}
}

// Clear clears e: Wait blocks again until the next Set. Clearing an Event
// that is not set does nothing.
func (e *Event) Clear() {
	if !e.set.Load() {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.set.Load() {
		return
	}
	e.set.Store(false)
	e.ch = nil
	e.mon.clear(&e.mu)
}

// IsSet reports whether e is set.
func (e *Event) IsSet() bool {
	if e.set.Load() {
		e.mon.await()
		return true
	}
	return false
}

// Wait waits until e is set, and returns nil: at once if e is set now.
// If ctx ends first, it returns ctx.Err(), also when ctx had ended when
// Wait was called while e was not set. A goroutine woken by Set returns
// nil even if e was cleared again before it ran, as in Python.
func (e *Event) Wait(ctx context.Context) error {
	if e.set.Load() {
		e.mon.await()
		return nil
	}
	if err := ctx.Err(); err != nil { // without e.mu: a Context is anybody's code
		return err
	}
	e.mu.Lock()
	if e.set.Load() {
		e.mu.Unlock()
		e.mon.await()
		return nil
	}
	if e.ch == nil {
		e.ch = make(chan struct{})
	}
	ch := e.ch
	e.mon.block(&e.mu)
	e.mu.Unlock()
	var err error
	select {
	case <-ch:
	case <-ctx.Done():
		select {
		case <-ch: // set meanwhile: the event wins
		default:
			err = ctx.Err()
		}
	}
	e.mon.unblocked()
	if err == nil {
		e.mon.await()
	}
	return err
}

// Done returns a channel that is closed when e is set: closed already if
// e is set now, else closed by the next Set. Once closed it stays closed,
// even after Clear; Done called after Clear returns a new channel. Use it
// in a select; a goroutine that waits on it is invisible to the deadlock
// detector, unlike one in Wait.
func (e *Event) Done() <-chan struct{} {
	if e.set.Load() {
		return closedchan
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ch == nil {
		if e.set.Load() {
			e.ch = closedchan
		} else {
			e.ch = make(chan struct{})
		}
	}
	return e.ch
}

// SetName gives e a name for condiag's reports ("ready" instead of
// "Event#2"), as [SetName] does for a lock.
func (e *Event) SetName(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mon.setName(&e.mu, name)
}
