package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/condiag/condiag/internal/monitor"
)

// The errors of the operations that do not wait, and of every operation
// on a closed queue.
var (
	// ErrClosed is returned by Put and TryPut on a closed queue, and by
	// Get and TryGet on a closed queue that is empty.
	ErrClosed = errors.New("queue: closed")
	// ErrFull is returned by TryPut when the queue has no free slot.
	ErrFull = errors.New("queue: full")
	// ErrEmpty is returned by TryGet when the queue has no item.
	ErrEmpty = errors.New("queue: empty")
)

// A Queue is a bounded first-in, first-out queue of values of type T, safe
// for concurrent use: Put blocks while it is full, Get while it is empty,
// and both give up when their context is done. Create one with [New]; the
// zero Queue is not usable (its methods other than Len and Cap panic), and
// a Queue must not be copied.
//
// Items leave in the order they entered. The Put that puts an item
// synchronizes before the Get or TryGet that takes it, and Close
// synchronizes before every operation that returns [ErrClosed] because of
// it.
//
// Blocked goroutines are served in the order they blocked, ahead of any
// later caller: when a slot frees up, the item of the Put blocked longest
// moves into it, and an item put while Gets are blocked is handed to the
// one blocked longest, as a channel does.
//
// Every item put and taken, Close, and every wait is reported to condiag's
// monitor, which finds goroutines blocked on each other through the queue
// (DL1002: a producer blocked on a full queue while the only consumers
// wait for something the producer holds), waits longer than the hang
// threshold (DL1005) and Puts that wait a long time for room (ST4003).
//
// Cost, on the 2-core machine of docs/performance.md (Go 1.26, amd64), side
// by side with a buffered channel of the same capacity in one run
// (medians of 10, docs/bench/queue.txt): a Put then a Get on one
// goroutine take 31 ns against 29 ns for a send and a receive (1.1x), a
// TryPut then a TryGet 35 ns against 29 ns for two selects with a default
// case (1.2x); one producer and one consumer goroutine pass an item in
// 42 ns against 36 ns with capacity 64 (1.16x) and in 191 ns against
// 107 ns with capacity 1 (1.8x), where nearly every item makes a goroutine
// block. Nothing allocates, but the first goroutines to block in a queue
// allocate their waiters (a struct and a channel each), which the queue
// keeps for reuse. The monitor calls take 8 ns of the one-goroutine pair
// and 56 ns of the capacity-1 hand-over (two clock reads per wait); with
// the tag condiagoff the figures are 24, 27, 37 and 161 ns. While a trace
// is recorded (package trace), the one-goroutine pair takes 90 ns.
// Reproduce with:
//
//	go test -run=NONE -bench=. -benchmem -count=10 ./queue > new.txt
//	benchstat -col /impl new.txt
type Queue[T any] struct {
	// mu guards everything below. It is also the monitor object's guard:
	// it is held for every monitor call, and never while blocking.
	//
	// Invariants, whenever mu is not held:
	//   - Puts wait only on a full queue: if putters is not empty,
	//     n == len(buf);
	//   - Gets wait only on an empty queue: if getters is not empty,
	//     n == 0;
	//   - nobody waits on a closed queue: Close empties both lists.
	mu               sync.Mutex
	buf              []T // a ring of the queue's capacity
	head             int // index in buf of the oldest item
	n                int // items in buf
	closed           bool
	putters, getters waitList[T]
	free             waitList[T] // waiters kept for reuse
	nfree            int

	o *monitor.Lock // the monitor's state of the queue
}

// New returns an empty queue that holds up to capacity items. It panics
// if capacity is less than 1, as make does for a channel of negative
// size. The capacity is allocated up front.
//
//go:noinline
func New[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		panic(fmt.Sprintf("queue: New with capacity %d, want at least 1", capacity))
	}
	q := &Queue[T]{buf: make([]T, capacity)}
	if instrumented {
		q.o = monitor.NewResource(monitor.KindQueue, int64(capacity), &q.mu)
	}
	return q
}

// SetName gives q a name for condiag's reports. With the tag condiagoff
// it does nothing.
func (q *Queue[T]) SetName(name string) {
	q.mustInit()
	if instrumented {
		monitor.SetName(q.o, name)
	}
}

// Put adds v at the end of q, waiting while q is full. It returns nil once
// v is in q (or handed to a Get); [ErrClosed] if q is closed, or is closed
// while Put waits; and ctx.Err() if ctx is done before v could be put,
// even if q has room (as golang.org/x/sync/semaphore's Acquire does).
// When it returns an error, v is not in q. A wait that ends with v put at
// the same time as ctx is done returns nil.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	if done := ctx.Done(); done != nil {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if q.n < len(q.buf) {
		q.put(v)
		q.mu.Unlock()
		return nil
	}
	return q.putSlow(ctx, v)
}

// putSlow waits until a Get moves v into q; q.mu is held and q is full.
func (q *Queue[T]) putSlow(ctx context.Context, v T) error {
	q.mustInitLocked()
	if instrumented {
		monitor.Signal(q.o)
	}
	w := q.park(&q.putters, v)
	_, s := q.block(ctx, &q.putters, w, monitor.OpQueuePut, int64(len(q.buf)))
	switch s {
	case waiting:
		q.mu.Unlock()
		return ctx.Err()
	case closed:
		q.mu.Unlock()
		return ErrClosed
	}
	if instrumented {
		// A Get moved v in when it freed the slot; this goroutine
		// reports its own Put.
		monitor.ObjectOp(q.o, monitor.OpQueuePut, int64(q.n))
	}
	q.mu.Unlock()
	return nil
}

// TryPut adds v at the end of q if it can do so without waiting. It
// returns nil if v is in q (or handed to a Get), [ErrClosed] if q is
// closed and [ErrFull] if q is full.
func (q *Queue[T]) TryPut(v T) error {
	q.mustInit()
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return ErrClosed
	case q.n == len(q.buf):
		return ErrFull
	}
	q.put(v)
	return nil
}

// Get removes and returns the item at the front of q, waiting while q is
// empty. It returns the item and nil; [ErrClosed] once q is closed and
// empty (the items in q when it is closed are still taken, in order); and
// ctx.Err() if ctx is done before it got an item, even if q has one. When
// it returns an error, no item was taken. A wait that ends with an item
// handed over at the same time as ctx is done returns the item and nil.
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	if done := ctx.Done(); done != nil {
		select {
		case <-done:
			var zero T
			return zero, ctx.Err()
		default:
		}
	}
	q.mu.Lock()
	if q.n > 0 {
		v := q.get()
		q.mu.Unlock()
		return v, nil
	}
	return q.getSlow(ctx)
}

// getSlow waits until a Put hands over an item; q.mu is held and q is
// empty.
func (q *Queue[T]) getSlow(ctx context.Context) (T, error) {
	var zero T
	if q.closed {
		q.mu.Unlock()
		return zero, ErrClosed
	}
	q.mustInitLocked()
	w := q.park(&q.getters, zero)
	v, s := q.block(ctx, &q.getters, w, monitor.OpQueueGet, 0)
	switch s {
	case waiting:
		q.mu.Unlock()
		return zero, ctx.Err()
	case closed:
		q.mu.Unlock()
		return zero, ErrClosed
	}
	if instrumented {
		// A Put handed v over; this goroutine reports its own Get.
		monitor.ObjectOp(q.o, monitor.OpQueueGet, int64(q.n))
		monitor.Await(q.o)
	}
	q.mu.Unlock()
	return v, nil
}

// TryGet removes and returns the item at the front of q if it can do so
// without waiting. It returns the item and nil, [ErrEmpty] if q is empty,
// and [ErrClosed] if q is closed and empty.
func (q *Queue[T]) TryGet() (T, error) {
	q.mustInit()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n > 0 {
		return q.get(), nil
	}
	var zero T
	if q.closed {
		return zero, ErrClosed
	}
	return zero, ErrEmpty
}

// Close closes q: every Put from then on returns [ErrClosed], and so do
// the Puts blocked in q, without putting their items. The items in q stay
// there for Get and TryGet to take in order; once q is empty, Get and
// TryGet return ErrClosed, and so do the Gets blocked in q. Closing a
// closed queue does nothing.
func (q *Queue[T]) Close() {
	q.mustInit()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	if instrumented {
		monitor.ObjectOp(q.o, monitor.OpQueueClose, int64(q.n))
	}
	for w := q.putters.PopFront(); w != nil; w = q.putters.PopFront() {
		w.wake(closed)
	}
	for w := q.getters.PopFront(); w != nil; w = q.getters.PopFront() {
		w.wake(closed)
	}
}

// Len returns the number of items in q. An item handed straight to a
// blocked Get is not counted, as it is not in a channel's len.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Cap returns the capacity of q, the most items it holds.
func (q *Queue[T]) Cap() int { return len(q.buf) }

// put adds v to q, which has room: it hands v to the Get blocked longest,
// if any (q is empty then), or appends it. q.mu is held.
func (q *Queue[T]) put(v T) {
	if instrumented {
		monitor.Signal(q.o)
	}
	if w := q.getters.PopFront(); w != nil {
		w.v = v
		if instrumented {
			monitor.ObjectOp(q.o, monitor.OpQueuePut, int64(q.n))
		}
		w.wake(served)
		return
	}
	q.buf[q.index(q.n)] = v
	q.n++
	if instrumented {
		monitor.ObjectOp(q.o, monitor.OpQueuePut, int64(q.n))
	}
}

// get removes and returns the oldest item, which is there, and moves the
// item of the Put blocked longest, if any, into the slot it freed. q.mu
// is held.
func (q *Queue[T]) get() T {
	v := q.buf[q.head]
	var zero T
	q.buf[q.head] = zero
	if q.head++; q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	if instrumented {
		monitor.ObjectOp(q.o, monitor.OpQueueGet, int64(q.n))
		monitor.Await(q.o)
	}
	if w := q.putters.PopFront(); w != nil {
		q.buf[q.index(q.n)] = w.v
		q.n++
		w.wake(served)
	}
	return v
}

// index returns the index in buf of the i'th item from the front.
func (q *Queue[T]) index(i int) int {
	if i += q.head; i >= len(q.buf) {
		i -= len(q.buf)
	}
	return i
}

// block waits until w, in list l, is served or q closed, or ctx is done,
// and returns w's item and how the wait ended (waiting if ctx ended it).
// The wait is reported to the monitor as operation op with argument n.
// q.mu is held on entry and on return, but not while it waits.
func (q *Queue[T]) block(ctx context.Context, l *waitList[T], w *waiter[T], op monitor.Op, n int64) (T, state) {
	var g *monitor.G
	if instrumented {
		g = monitor.Current()
		g.BlockOn(q.o, op, n)
	}
	q.mu.Unlock()
	woken := true
	if done := ctx.Done(); done == nil {
		<-w.ready
	} else {
		select {
		case <-w.ready:
		case <-done:
			woken = false
		}
	}
	if instrumented {
		g.Unblocked()
	}
	q.mu.Lock()
	v, s := w.v, w.state
	if s == waiting {
		l.Remove(w)
	} else if !woken {
		<-w.ready // sent under q.mu, so it is there
	}
	q.release(w)
	return v, s
}

const errZero = "queue: use of a Queue not created by New"

// mustInit panics if q was not made by New.
func (q *Queue[T]) mustInit() {
	if len(q.buf) == 0 {
		panic(errZero)
	}
}

// mustInitLocked is mustInit with q.mu held, for the paths that unlock
// it themselves: it unlocks it before panicking, so that a recovered
// panic leaves q unlocked.
func (q *Queue[T]) mustInitLocked() {
	if len(q.buf) == 0 {
		q.mu.Unlock()
		panic(errZero)
	}
}
