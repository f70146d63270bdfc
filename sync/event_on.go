//go:build !condiagoff

package sync

import (
	"sync"
	"sync/atomic"

	"github.com/condiag/condiag/internal/monitor"
)

// eventMon is an Event's state in the monitor, made on first use, since
// the zero Event is usable. Its methods but unblocked are called with the
// Event's mu held, which guards o: no atomic is needed.
type eventMon struct {
	o   *monitor.Lock
	hbo atomic.Pointer[monitor.Lock] // o, once set: for await, without mu
}

// object returns the monitor's object, made on first use. The Event's site
// is the caller of its first Set, Clear or blocking Wait.
func (m *eventMon) object(guard *sync.Mutex) *monitor.Lock {
	if m.o == nil {
		m.create(guard)
	}
	return m.o
}

//go:noinline
func (m *eventMon) create(guard *sync.Mutex) {
	m.o = monitor.NewResource(monitor.KindEvent, 0, guard)
}

// set records that the caller set the Event.
func (m *eventMon) set(guard *sync.Mutex) {
	o := m.object(guard)
	if monitor.RaceOn() {
		m.hbo.Store(o)
		monitor.Signal(o)
	}
	monitor.ObjectOp(o, monitor.OpEventSet, 0)
}

// await records that the caller saw the Event set, for the race checks.
func (m *eventMon) await() {
	if monitor.RaceFlag.Load() != 0 {
		m.awaitSlow()
	}
}

//go:noinline
func (m *eventMon) awaitSlow() {
	if o := m.hbo.Load(); o != nil {
		monitor.Await(o)
	}
}

// clear records that the caller cleared the Event.
func (m *eventMon) clear(guard *sync.Mutex) {
	monitor.ObjectOp(m.object(guard), monitor.OpEventClear, 0)
}

// block records that the caller is about to wait for a Set.
func (m *eventMon) block(guard *sync.Mutex) {
	monitor.Current().BlockOn(m.object(guard), monitor.OpEventSet, 0)
}

// unblocked records that the caller's wait ended.
func (m *eventMon) unblocked() { monitor.Current().Unblocked() }

// setName names the Event in reports.
func (m *eventMon) setName(guard *sync.Mutex, name string) {
	monitor.SetName(m.object(guard), name)
}
