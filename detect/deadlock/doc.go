// Package deadlock finds deadlocks in programs that use condiag's
// instrumented primitives.
//
// Online, while the program runs, the instrumented primitives of
// github.com/condiag/condiag/sync feed this package's detectors:
//
//   - [Graph] keeps the lock-order graph over lock instances and over lock
//     classes and reports a cycle of any length as DL1001;
//   - [WaitCycles] finds goroutines blocked on each other right now (DL1002);
//   - self-deadlocks (DL1003), recursive read locks (DL1004), waits past
//     the hang threshold (DL1005) and misuse (DL1006) are reported by the
//     primitives themselves through the same finding model.
//
// The detectors are plain state machines over lock ids, modes and
// goroutine ids: they do not care whether the events come live from the
// monitor or from a recorded trace.
//
// [Findings] returns what was reported so far in this process.
//
// # Lock classes
//
// Every lock instance belongs to a class. By default the class is the
// source line where the instance was first acquired (lockdep's "init
// site"); reports use it to say where a lock comes from.
// [github.com/condiag/condiag/sync.SetClass] names the class instead,
// after a role ("Store.mu"). Cycles over instances are reported as
// observed. Cycles over named classes whose instances never formed a
// cycle are reported as predicted: two other instances of the same roles
// taken in the other order would deadlock.
//
// Only named classes are used for predictions. Automatic classes are too
// coarse for it without false alarms: the locks of an array taken in
// index order, some first by an RLock line and some by a Lock line, form
// two automatic classes taken in both orders although no two instances
// ever are; and one role first locked at two different lines splits in
// two. Naming the roles states what the program means.
//
// Nesting two locks of the same class (a parent and a child node) is
// never reported at class level, since the graph cannot tell the parent
// from the child; inversions between the very same instances still are.
// To have the order between levels of a hierarchy checked, give the
// levels different subclasses with
// [github.com/condiag/condiag/sync.SetSubclass].
//
// # Policy
//
//   - A cycle every edge of which was taken while holding one common lock
//     in write mode (a gate lock) cannot deadlock and is not reported.
//   - A cycle all of whose edges were taken by one goroutine is reported:
//     the code paths that took them deadlock when they run concurrently.
//     The finding says so in a note.
//   - An acquisition with TryLock adds no edge into the lock taken, since
//     it cannot block; edges out of it are recorded as usual.
//   - Read locks count: Go's RWMutex is writer-preferring, so an RLock
//     can block behind a queued writer, and a cycle through read
//     acquisitions deadlocks once writers queue.
package deadlock
