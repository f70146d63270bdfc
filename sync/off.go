//go:build condiagoff

package sync

import "sync"

// With the condiagoff build tag every type is the standard library's own,
// at exactly its cost, and nothing is detected.

// Mutex is [sync.Mutex].
type Mutex = sync.Mutex

// RWMutex is [sync.RWMutex].
type RWMutex = sync.RWMutex

// WaitGroup is [sync.WaitGroup].
type WaitGroup = sync.WaitGroup

// Cond is [sync.Cond].
type Cond = sync.Cond

// Once is [sync.Once].
type Once = sync.Once

// NewCond returns a new Cond with Locker l.
func NewCond(l Locker) *Cond { return sync.NewCond(l) }

// OnceFunc returns a function that invokes f only once.
func OnceFunc(f func()) func() { return sync.OnceFunc(f) }

// OnceValue returns a function that invokes f only once and returns its
// value.
func OnceValue[T any](f func() T) func() T { return sync.OnceValue(f) }

// OnceValues returns a function that invokes f only once and returns its
// values.
func OnceValues[T1, T2 any](f func() (T1, T2)) func() (T1, T2) { return sync.OnceValues(f) }

// SetClass does nothing with the condiagoff build tag.
func SetClass(Locker, string) {}

// SetSubclass does nothing with the condiagoff build tag.
func SetSubclass(Locker, int) {}

// SetName does nothing with the condiagoff build tag.
func SetName(Locker, string) {}

// Holds reports true, true: without instrumentation condiag cannot tell.
func Holds(l Locker) (held, write bool) { return true, true }

// Holder returns 0: without instrumentation condiag cannot tell.
func Holder(l Locker) int64 { return 0 }
