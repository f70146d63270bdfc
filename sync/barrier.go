package sync

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrBrokenBarrier is the class of the errors [Barrier.Wait] returns when
// the barrier is broken: errors.Is(err, ErrBrokenBarrier) reports whether
// err is a [*BrokenBarrierError].
var ErrBrokenBarrier = errors.New("sync: barrier broken")

// errActionFailed is the Cause of a barrier broken by its action.
var errActionFailed = errors.New("the barrier action panicked or called runtime.Goexit")

// A BrokenBarrierError says that a [Barrier] broke, which party broke it
// and why. It matches [ErrBrokenBarrier] with errors.Is.
//
// It does not unwrap to Cause: the context that ended was another
// party's, so errors.Is(err, context.DeadlineExceeded) stays false for
// the parties that did not time out themselves. Read Cause with
// errors.As.
type BrokenBarrierError struct {
	// Party is the arrival index of the party whose context ended while
	// it waited, or of the party that ran the action; -1 when the barrier
	// was reset, or when a party's context had ended when it called
	// Wait.
	Party int
	// Cause is why the barrier broke: the cause of the party's context
	// (context.Cause: context.Canceled, context.DeadlineExceeded or the
	// cause it was cancelled with), an error saying that the action
	// panicked, or nil when [Barrier.Reset] broke it.
	Cause error
}

func (e *BrokenBarrierError) Error() string {
	switch {
	case e.Cause == nil:
		return "sync: barrier broken: reset"
	case e.Cause == errActionFailed:
		return fmt.Sprintf("sync: barrier broken: party %d: %v", e.Party, e.Cause)
	case e.Party < 0:
		return "sync: barrier broken: a party's context had ended when it called Wait: " + e.Cause.Error()
	}
	return fmt.Sprintf("sync: barrier broken: party %d's context ended: %v", e.Party, e.Cause)
}

// Is reports whether target is [ErrBrokenBarrier].
func (e *BrokenBarrierError) Is(target error) bool { return target == ErrBrokenBarrier }

// A Barrier makes a fixed number of goroutines, its parties, wait for
// each other: each calls [Barrier.Wait], and all of them return once the
// last one has arrived. It is Python's threading.Barrier. A Barrier is
// cyclic: once it trips, the next calls to Wait form the next generation.
//
// Make a Barrier with [NewBarrier] or [NewBarrierFunc]; the zero value is
// not usable, and Wait panics on it. A Barrier must not be copied after
// first use.
//
// In the terminology of the Go memory model, every call to Wait of one
// generation synchronizes before the return of every call to Wait of
// that generation, and the action runs after all of them and before any
// of them returns.
//
// A party whose context ends while it waits breaks the barrier: it
// returns its context's error, and every other party waiting, and every
// later call to Wait, returns a [*BrokenBarrierError] until
// [Barrier.Reset].
//
// The deadlock detector sees the parties that wait: a wait at the
// barrier for a party that is itself blocked on something the waiting
// goroutine holds is reported as DL1002, a wait longer than the hang
// threshold as DL1005. It takes the parties of the previous generation
// for the ones that will arrive, so the first generation proves no
// cycle.
//
// Cost, on the 2-core machine of docs/performance.md (Go 1.26, amd64), side
// by side in one run with a barrier made of sync.Mutex and sync.Cond
// (docs/bench/barrier-event.txt): a round of Wait by 2 parties
// (GOMAXPROCS) takes 480 ns against 196 ns (2.4x), and allocates 160
// bytes in 4 allocations against none: a channel and its state per
// generation (136 bytes, 2 allocations, also with condiagoff, where a
// round takes 372 ns) and the monitor's list of the generation's
// parties. A Barrier of 1 party, which never blocks, takes 91 ns against
// 13 ns. Reproduce with:
//
//	go test -run=NONE -bench='Barrier|Event' -benchmem -count=10 ./sync
type Barrier struct {
	_       noCopy
	parties int
	action  func()
	mon     barrierMon // the monitor's state; nothing with condiagoff

	// mu guards the fields below. It is also the monitor's guard: it is
	// never held while blocking, nor while the action runs.
	mu     sync.Mutex
	cur    *generation         // the generation parties arrive in
	gen    int64               // the number of cur, from 0, for the monitor
	count  int                 // parties arrived in cur
	broken *BrokenBarrierError // why the barrier is broken; nil if it is not
}

// A generation is one round of a Barrier. err is written before done is
// closed, and only read after.
type generation struct {
	done chan struct{} // closed when the generation trips or breaks
	err  error         // nil if it tripped, why it broke otherwise
}

// NewBarrier returns a barrier for the given number of parties. It
// panics if parties is less than 1.
//
//go:noinline
func NewBarrier(parties int) *Barrier {
	return newBarrier(parties, nil)
}

// NewBarrierFunc returns a barrier for the given number of parties that
// calls action each time it trips, like the action of Python's
// threading.Barrier: the last party to arrive (the one that gets index
// parties-1) calls it once all parties have arrived and before any of
// them returns from Wait. It panics if parties is less than 1 or action
// is nil.
//
// The action must be short and must not wait for the barrier's parties.
// Parties arriving meanwhile form the next generation. If action panics
// (or calls runtime.Goexit) the barrier breaks: the other parties get a
// [*BrokenBarrierError], and the panic goes on in the last party.
//
//go:noinline
func NewBarrierFunc(parties int, action func()) *Barrier {
	if action == nil {
		panic("sync: NewBarrierFunc with a nil action")
	}
	return newBarrier(parties, action)
}

// newBarrier is called by the exported constructors only, so that the
// barrier's site is their caller.
func newBarrier(parties int, action func()) *Barrier {
	if parties < 1 {
		panic(fmt.Sprintf("sync: NewBarrier with %d parties, want at least 1", parties))
	}
	b := &Barrier{parties: parties, action: action, cur: newGeneration()}
	b.mon.init(parties, &b.mu)
	return b
}

func newGeneration() *generation {
	return &generation{done: make(chan struct{})}
}

// Wait waits until all parties have called Wait on b, and returns the
// caller's arrival index: 0 for the first party of the generation to
// arrive, parties-1 for the last, which runs the action if there is one.
//
// If ctx ends first, the barrier breaks and Wait returns -1 and
// ctx.Err(), unless the generation tripped meanwhile: then it returns its
// index and nil. If ctx has already ended when Wait is called, the
// caller does not arrive: the barrier breaks, even if the caller would
// have been the last party. If the barrier breaks, or is broken when
// Wait is called, Wait returns -1 and a [*BrokenBarrierError].
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	// The context's methods are called without b.mu held: a Context may
	// be anybody's code.
	ended := ctx.Err()
	var cause error
	if ended != nil {
		cause = context.Cause(ctx)
	}
	b.mu.Lock()
	if b.parties == 0 {
		b.mu.Unlock()
		panic("sync: Wait on a Barrier not made by NewBarrier")
	}
	if b.broken != nil {
		err := b.broken
		b.mu.Unlock()
		return -1, err
	}
	if ended != nil {
		b.breakLocked(&BrokenBarrierError{Party: -1, Cause: cause})
		b.mu.Unlock()
		return -1, ended
	}
	g, i := b.cur, b.count
	b.count++
	b.mon.arrive(b.gen)
	if b.count == b.parties {
		b.nextLocked()
		b.mu.Unlock()
		b.trip(g, i)
		b.mon.passed()
		return i, nil
	}
	b.mon.block(b.gen)
	b.mu.Unlock()
	if err := b.await(ctx, g, i); err != nil {
		return -1, err
	}
	b.mon.passed()
	return i, nil
}

// await waits for generation g, where the caller arrived as party i, and
// ends the caller's wait in the monitor.
func (b *Barrier) await(ctx context.Context, g *generation, i int) error {
	done := ctx.Done()
	if done != nil {
		select {
		case <-g.done:
		case <-done:
			err, cause := ctx.Err(), context.Cause(ctx)
			b.mu.Lock()
			if b.cur == g {
				b.mon.unblocked()
				b.breakLocked(&BrokenBarrierError{Party: i, Cause: cause})
				b.mu.Unlock()
				return err
			}
			b.mu.Unlock()
			// g tripped or broke meanwhile; if it tripped, its action may
			// still run, and nobody returns before it is done.
		}
	}
	<-g.done
	b.mon.unblocked()
	return g.err
}

// trip ends generation g, which party i (the last) completed: it runs
// the action and releases the parties.
func (b *Barrier) trip(g *generation, i int) {
	if b.action != nil {
		ok := false
		defer func() {
			if ok {
				return
			}
			e := &BrokenBarrierError{Party: i, Cause: errActionFailed}
			b.mu.Lock()
			if b.broken == nil {
				b.breakLocked(e)
			}
			b.mu.Unlock()
			g.err = e
			close(g.done)
		}()
		b.action()
		ok = true
		b.mon.acted()
	}
	close(g.done)
}

// nextLocked starts the next generation. b.mu is held.
func (b *Barrier) nextLocked() {
	b.cur, b.count = newGeneration(), 0
	b.gen++
}

// endLocked ends the current generation with err and starts the next.
// b.mu is held.
func (b *Barrier) endLocked(err error) {
	g := b.cur
	b.nextLocked()
	g.err = err
	close(g.done)
}

// breakLocked breaks the barrier: the current generation's parties and
// every later Wait until Reset get e. b.mu is held.
func (b *Barrier) breakLocked(e *BrokenBarrierError) {
	b.mon.broke(b.gen)
	b.broken = e
	b.endLocked(e)
}

// Reset returns b to its initial state, unbroken with no party waiting.
// The parties waiting in the current generation return a
// [*BrokenBarrierError] whose Cause is nil.
func (b *Barrier) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.count > 0 {
		b.mon.broke(b.gen)
		b.endLocked(&BrokenBarrierError{Party: -1})
	}
	b.broken = nil
}

// Parties returns the number of parties b waits for.
func (b *Barrier) Parties() int { return b.parties }

// Waiting returns the number of parties waiting in the current
// generation.
func (b *Barrier) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.count
}

// Broken reports whether b is broken: Wait fails until [Barrier.Reset].
func (b *Barrier) Broken() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.broken != nil
}

// SetName gives b a name for condiag's reports ("jobs.start" instead of
// "Barrier#3"), as [SetName] does for a lock.
func (b *Barrier) SetName(name string) { b.mon.setName(name) }
