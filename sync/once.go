//go:build !condiagoff

package sync

import (
	"sync/atomic"

	"github.com/condiag/condiag/internal/monitor"
)

// Once is an object that will perform exactly one action, exactly like
// the standard library's: the zero value is ready; it must not be copied
// after first use; the return from f synchronizes before the return from
// any call of once.Do(f).
//
// On top of that a Do called from inside its own f (which deadlocks) is
// reported as DL1003 before it blocks, and the lock held while f runs
// takes part in the lock-order graph, so a cycle through a Once is found
// like a cycle through a Mutex.
//
// Cost: after the first call, Do is two atomic loads (the standard
// library's is one; the other says whether the race checks of
// detect/race run): 0.50 ns against 0.34 ns, go test -run=NONE
// -bench=Once -count=10 ./sync.
type Once struct {
	_ noCopy

	done atomic.Uint32
	m    Mutex
}

// Do calls the function f if and only if Do is being called for the
// first time for this instance of Once. If f panics, Do considers it to
// have returned; future calls of Do return without calling f.
func (o *Once) Do(f func()) {
	if o.done.Load()&^monitor.RaceFlag.Load() == 0 {
		o.doSlow(f)
	}
}

func (o *Once) doSlow(f func()) {
	if o.m.st.Load() == nil {
		// Do is inlined into its caller, where a frame-pointer walk
		// cannot see it: record the site with the runtime's unwinder.
		o.m.initState(monitor.KindOnce).SiteFromCallers()
	}
	if monitor.RaceOn() {
		// Every Do is ordered after f, for the race checks.
		defer monitor.Await(o.m.state())
		if o.done.Load() != 0 {
			return
		}
	}
	o.m.Lock()
	defer o.m.Unlock()
	if o.done.Load() == 0 {
		defer o.done.Store(1)
		defer o.signal() // f may start the race checks (declare a Var)
		f()
	}
}

// signal hands what f did over to every Do that returns after it, for
// the race checks.
func (o *Once) signal() {
	if monitor.RaceOn() {
		monitor.Signal(o.m.state())
	}
}
