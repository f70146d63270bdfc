// Package monitor is the online driver of condiag's detectors: it keeps,
// for every goroutine that uses an instrumented lock, the chain of locks
// it holds; it feeds new chains to the lock-order graph; and a watchdog
// goroutine looks for goroutines blocked on each other (DL1002) or for too
// long (DL1005) while any goroutine waits on a lock.
//
// # Cost
//
// The uncontended path of Lock and Unlock takes no global lock, does not
// allocate and captures no stack:
//
//  1. [Current] finds the goroutine's state in an open-addressing table
//     keyed by the runtime's g pointer (internal/goid), read without locks.
//  2. The held-lock chain is a fixed array in that state, written only by
//     its goroutine. Each entry carries a hash of the chain up to it.
//  3. When a lock is taken while others are held, the chain hash is looked
//     up in a lock-free cache of validated chains (lockdep's trick). Only
//     a chain never seen before goes to the slow path, which takes the
//     graph lock, captures the stack and adds the edges.
//
// # Invariants
//
//   - A G's fields are written only by the goroutine it belongs to. The
//     watchdog reads them without synchronization, in functions marked
//     //go:norace, and treats what it reads as a hint to be confirmed on
//     the next tick (a deadlock is stable; a torn read is not).
//   - Lock.owner is written only while the lock is held in write mode (at
//     acquisition and at release), so its writers are ordered by the lock
//     itself; every other read is //go:norace.
//   - slowMu guards the graph, the classes and lock names. It is never held
//     while a finding handler runs.
package monitor
