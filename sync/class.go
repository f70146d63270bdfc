//go:build !condiagoff

package sync

import "github.com/condiag/condiag/internal/monitor"

// instrumented is implemented by condiag's locks.
type instrumented interface {
	monitorLock() *monitor.Lock
}

func init() {
	monitor.LockOf = func(l any) *monitor.Lock {
		if m, ok := l.(instrumented); ok {
			return m.monitorLock()
		}
		return nil
	}
}

// SetClass names the lock class of l, a *[Mutex], a *[RWMutex] or the
// RLocker of one; other Lockers are ignored. Locks with the same class
// name share a node in the class graph, so an inversion between two
// different instances of the same roles is reported (DL1001, predicted).
// Without a name, the class of a lock is the line where the instance was
// first acquired. Call it before the lock is first used.
//
// With the condiagoff build tag it does nothing.
func SetClass(l Locker, name string) {
	if m, ok := l.(instrumented); ok {
		monitor.SetClass(m.monitorLock(), name)
	}
}

// SetSubclass marks a legitimate nesting of locks of one class, such as a
// parent and a child node of a tree: give each level its own subclass
// (0, the default, for the top). Locks of one class and subclass nested
// in each other are never reported at class level; with subclasses, the
// order between levels is checked: a child locked before its parent in
// one place and after it in another is reported.
//
// With the condiagoff build tag it does nothing.
func SetSubclass(l Locker, level int) {
	if m, ok := l.(instrumented); ok {
		monitor.SetSubclass(m.monitorLock(), level)
	}
}

// SetName gives the instance l a name that reports use instead of its
// kind and id, such as "accounts[7].mu".
//
// With the condiagoff build tag it does nothing.
func SetName(l Locker, name string) {
	if m, ok := l.(instrumented); ok {
		monitor.SetName(m.monitorLock(), name)
	}
}

// Holds reports whether the calling goroutine holds l, a *[Mutex], a
// *[RWMutex] or the RLocker of one, and whether for writing: an
// assertion for code that must run under a lock, as lockdep's
// lockdep_assert_held. A read hold of an RWMutex is held but not write.
// For a Locker condiag does not instrument it cannot tell, and reports
// true, true. Holder returns who holds l for writing.
func Holds(l Locker) (held, write bool) {
	m, ok := l.(instrumented)
	if !ok {
		return true, true
	}
	mode, ok := monitor.Current().Holds(m.monitorLock())
	return ok, ok && mode == monitor.Write
}

// Holder returns the id of the goroutine that holds l for writing, 0 if
// none or if l is not one of condiag's locks. It is a hint, for reports:
// the lock may change hands at once.
func Holder(l Locker) int64 {
	if m, ok := l.(instrumented); ok {
		return int64(monitor.Owner(m.monitorLock()))
	}
	return 0
}
