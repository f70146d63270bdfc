//go:build !condiagoff

package sync

import (
	"sync"
	"sync/atomic"

	"github.com/condiag/condiag/internal/callers"
	"github.com/condiag/condiag/internal/monitor"
)

// A Mutex is a mutual exclusion lock, exactly like the standard
// library's: the zero value is an unlocked mutex, a Mutex must not be
// copied after first use, the n'th call to Unlock synchronizes before the
// m'th call to Lock for any n < m, a failed TryLock synchronizes with
// nothing, and unlocking an unlocked Mutex is a fatal run-time error. A
// locked Mutex is not associated with a particular goroutine: one
// goroutine may lock it and another unlock it.
//
// On top of that it records which goroutine holds it and in which order
// locks are taken, and reports lock-order cycles (DL1001), deadlocks
// (DL1002), self-deadlocks (DL1003), long waits (DL1005) and unlocks of
// an unlocked Mutex (DL1006, before the fatal error).
//
// Cost, on the 2-core machine of docs/performance.md (Go 1.26, amd64), side
// by side with sync.Mutex in one run: an uncontended Lock/Unlock pair takes
// 24 ns against 12.7 ns, two nested pairs 48 ns against 21 ns, a contended
// pair 28 ns against 18 ns, with no allocation. The first Lock of an
// instance allocates its monitor state (208 bytes) and records its stack
// (138 ns in all against 16 ns). A chain of held locks never seen before
// costs a stack capture. Each acquisition records its caller's address
// (about 1 ns), so that a lock left held can be reported where it was
// taken. While a trace is recorded (package trace), a pair
// takes 88.5 ns: a timestamp per event and a stack walk per Lock. Reproduce
// with:
//
//	go test -run=NONE -bench=Mutex -benchmem -count=10 ./sync
type Mutex struct {
	mu sync.Mutex
	st atomic.Pointer[monitor.Lock]
}

func (m *Mutex) state() *monitor.Lock {
	if s := m.st.Load(); s != nil {
		return s
	}
	return m.initState(monitor.KindMutex)
}

//go:noinline
func (m *Mutex) initState(kind monitor.Kind) *monitor.Lock {
	s := monitor.NewLock(kind)
	if m.st.CompareAndSwap(nil, s) {
		return s
	}
	return m.st.Load()
}

func (m *Mutex) monitorLock() *monitor.Lock { return m.state() }

// Lock locks m. If the lock is already in use, the calling goroutine
// blocks until the mutex is available.
//
//go:noinline
func (m *Mutex) Lock() {
	s := m.state()
	g := monitor.Current()
	if g.BeforeLock(s, monitor.Write, m.mu.TryLock) {
		g.Acquired(s, monitor.Write, false, callers.Caller())
		return
	}
	if !m.mu.TryLock() {
		g.Wait(s, monitor.Write)
		m.mu.Lock()
		g.Waited()
	}
	g.Acquired(s, monitor.Write, false, callers.Caller())
}

// TryLock tries to lock m and reports whether it succeeded.
//
// Note that while correct uses of TryLock do exist, they are rare, and use
// of TryLock is often a sign of a deeper problem in a particular use of
// mutexes.
//
//go:noinline
func (m *Mutex) TryLock() bool {
	if !m.mu.TryLock() {
		if monitor.Tracing() {
			monitor.TraceTryFail(m.state(), monitor.Write)
		}
		return false
	}
	monitor.Current().Acquired(m.state(), monitor.Write, true, callers.Caller())
	return true
}

// Unlock unlocks m. It is a run-time error if m is not locked on entry to
// Unlock.
func (m *Mutex) Unlock() {
	s := m.st.Load()
	if s == nil || !monitor.Current().Released(s, monitor.Write) {
		if !mutexLocked(&m.mu) {
			monitor.Misuse(s, monitor.KindMutex, "Unlock of unlocked Mutex")
		}
	}
	m.mu.Unlock()
}
