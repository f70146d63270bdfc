package queue

import "github.com/condiag/condiag/internal/fifo"

// A waiter is a goroutine blocked in Put or Get. It sits in one of its
// queue's wait lists until another goroutine serves it or closes the
// queue, which takes it out of the list, sets its state and sends one
// value on ready, all under the queue's mutex; a waiter whose context is
// done first takes itself out. Either way it goes back to its queue's
// free list once ready is empty again, so that a goroutine blocking again
// allocates nothing.
type waiter[T any] struct {
	links fifo.Links[waiter[T]]
	ready chan struct{} // capacity 1: one send when state leaves waiting
	state state
	// v is the item of a blocked Put, until a Get moves it into the
	// queue, or the item handed to a blocked Get.
	v T
}

// state is how a waiter's wait ended.
type state uint8

const (
	waiting state = iota // still in its list
	served               // a Put's item was moved into the queue; a Get was handed an item
	closed               // woken by Close, without being served
)

// wake sets w's state and wakes it. w is out of its list; the queue's
// mutex is held.
func (w *waiter[T]) wake(s state) {
	w.state = s
	w.ready <- struct{}{}
}

// Links makes waiters elements of a [fifo.List].
func (w *waiter[T]) Links() *fifo.Links[waiter[T]] { return &w.links }

// waitList is a FIFO of waiters, oldest first.
type waitList[T any] = fifo.List[waiter[T], *waiter[T]]

// maxFree bounds the waiters a queue keeps for reuse.
const maxFree = 8

// park returns a waiter appended to l, holding v. The queue's mutex is
// held.
func (q *Queue[T]) park(l *waitList[T], v T) *waiter[T] {
	w := q.free.PopFront()
	if w != nil {
		q.nfree--
	} else {
		w = &waiter[T]{ready: make(chan struct{}, 1)}
	}
	w.state, w.v = waiting, v
	l.PushBack(w)
	return w
}

// release keeps w, out of any list and with ready empty, for reuse. The
// queue's mutex is held.
func (q *Queue[T]) release(w *waiter[T]) {
	var zero T
	w.v = zero
	if q.nfree < maxFree {
		q.free.PushBack(w)
		q.nfree++
	}
}
