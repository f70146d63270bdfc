//go:build !condiagoff

package sync

import (
	"sync"
	"sync/atomic"

	"github.com/condiag/condiag/internal/monitor"
)

// eventMon is an Event's state in the monitor, made on first use, since
// the zero Event is usable. Its methods but unblocked and await are
// called with the Event's mu held, under which o is made; await reads it
// without (o is atomic for that).
type eventMon struct {
	o atomic.Pointer[monitor.Lock]
}

// object returns the monitor's object, made on first use. The Event's site
// is the caller of its first Set, Clear or blocking Wait.
func (m *eventMon) object(guard *sync.Mutex) *monitor.Lock {
	if o := m.o.Load(); o != nil {
		return o
	}
	return m.create(guard)
}

//go:noinline
func (m *eventMon) create(guard *sync.Mutex) *monitor.Lock {
	o := monitor.NewResource(monitor.KindEvent, 0, guard)
	m.o.Store(o)
	return o
}

// set records that the caller set the Event.
func (m *eventMon) set(guard *sync.Mutex) {
	o := m.object(guard)
	monitor.Signal(o)
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
	if o := m.o.Load(); o != nil {
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
