// Package semaphore is a drop-in replacement for golang.org/x/sync/semaphore
// that tells condiag's deadlock detector who holds the permits.
//
// Change one import:
//
//	import "github.com/condiag/condiag/sync/semaphore"
//
// and [NewWeighted], [Weighted.Acquire], [Weighted.TryAcquire] and
// [Weighted.Release] behave as x/sync's: waiters are served first come,
// first served (a large request at the head of the queue holds back the
// smaller ones behind it), an Acquire of more than the size waits for its
// context, and releasing more than is held panics with
// "semaphore: released more than held".
//
// On top of that every Acquire that succeeds is recorded against the
// goroutine that made it, so that the watchdog of
// github.com/condiag/condiag/detect/deadlock can report
//
//   - DL1002, a goroutine waiting in Acquire for permits that only
//     goroutines blocked on it hold;
//   - DL1005, an Acquire waiting longer than the hang threshold;
//   - ST4003, an Acquire that waited long for its permits.
//
// Building with the tag condiagoff makes [Weighted] an alias of x/sync's
// type, at exactly its cost. See docs/semaphore.md.
package semaphore
