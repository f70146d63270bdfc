// Package sync is a drop-in replacement for the standard library's sync
// package that detects deadlocks while the program runs.
//
// Change one import:
//
//	import "github.com/condiag/condiag/sync"
//
// and every exported name of the standard package is there with the same
// signature, the same zero values and the same semantics: [Mutex],
// [RWMutex], [WaitGroup], [Cond] and [NewCond], [Once], [OnceFunc],
// [OnceValue], [OnceValues], [Map], [Pool] and [Locker]. Beyond the
// standard names: [Barrier] and [Event]. The primitives
// wrap the standard ones, so fairness, starvation mode, the race
// detector's happens-before edges and the fatal errors on misuse are the
// standard library's own.
//
// On top of that they report, through
// github.com/condiag/condiag/detect/deadlock:
//
//   - DL1001, lock-order cycles of any length, over instances and over
//     lock classes ([SetClass], [SetSubclass]);
//   - DL1002, goroutines blocked on each other right now;
//   - DL1003, a goroutine locking what it already holds (and a recursive
//     [Once.Do]), before it blocks;
//   - DL1004, a recursive read lock;
//   - DL1005, a wait longer than the hang threshold;
//   - DL1006, unlock of an unlocked lock and a negative WaitGroup counter,
//     printed before the standard library's fatal error or panic.
//
// Findings go to the handler set with condiag.SetHandler (by default they
// are printed to standard error); the library never exits on its own.
//
// The methods that acquire a lock are marked //go:noinline: the site of a
// lock's first acquisition is found by walking frame pointers, which do
// not see inlined frames, so they must stay out of the caller's body.
//
// # Cost
//
// See the doc comment of each type and docs/performance.md. Building with
// the tag condiagoff makes every type an alias of the standard one, at
// exactly the standard cost.
package sync
