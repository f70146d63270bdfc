//go:build !condiagoff

package sync

import (
	"sync"

	"github.com/condiag/condiag/internal/monitor"
)

// barrierMon is a Barrier's state in the monitor. Its methods but
// unblocked are called with the Barrier's mu held.
type barrierMon struct{ o *monitor.Lock }

// init makes the monitor's object; the Barrier's site is the caller of
// the exported constructor.
//
//go:noinline
func (m *barrierMon) init(parties int, guard *sync.Mutex) {
	m.o = monitor.NewResource(monitor.KindBarrier, int64(parties), guard)
}

// arrive records that the caller arrived in generation gen.
func (m *barrierMon) arrive(gen int64) {
	monitor.Signal(m.o)
	monitor.ObjectOp(m.o, monitor.OpBarrierWait, gen)
}

// passed records that the caller's generation completed, for the race
// checks: every party's work before Wait is before every party's after.
func (m *barrierMon) passed() { monitor.Await(m.o) }

// acted records that the last party ran the barrier's action, which the
// parties see done when they pass.
func (m *barrierMon) acted() { monitor.Signal(m.o) }

// block records that the caller is about to wait for the other parties
// of generation gen.
func (m *barrierMon) block(gen int64) {
	monitor.Current().BlockOn(m.o, monitor.OpBarrierWait, gen)
}

// unblocked records that the caller's wait ended.
func (m *barrierMon) unblocked() { monitor.Current().Unblocked() }

// broke records that generation gen broke.
func (m *barrierMon) broke(gen int64) { monitor.ObjectOp(m.o, monitor.OpBarrierBreak, gen) }

// setName names the Barrier in reports.
func (m *barrierMon) setName(name string) {
	if m.o != nil {
		monitor.SetName(m.o, name)
	}
}
