// Package fifo is an intrusive doubly linked list, oldest first, for the
// waiters of condiag's primitives (the semaphore's, the queue's): a
// waiter embeds [Links] and joins and leaves a list without allocating,
// from anywhere in it (a waiter whose context ends leaves from the
// middle). A List is not safe for concurrent use; its primitive's mutex
// guards it.
package fifo

// Links are the list pointers an element embeds.
type Links[T any] struct{ prev, next *T }

// Elem is a pointer to an element, which knows its Links.
type Elem[T any] interface {
	*T
	Links() *Links[T]
}

// List is a FIFO of elements of type T. The zero value is empty.
type List[T any, E Elem[T]] struct{ head, tail *T }

// Front returns the oldest element, or nil.
func (l *List[T, E]) Front() *T { return l.head }

// Next returns the element after x, which is in l, or nil.
func (l *List[T, E]) Next(x *T) *T { return E(x).Links().next }

// PushBack appends x, which must not be in a list.
func (l *List[T, E]) PushBack(x *T) {
	lx := E(x).Links()
	lx.prev, lx.next = l.tail, nil
	if l.tail == nil {
		l.head = x
	} else {
		E(l.tail).Links().next = x
	}
	l.tail = x
}

// Remove takes x, which is in l, out of it.
func (l *List[T, E]) Remove(x *T) {
	lx := E(x).Links()
	if lx.prev == nil {
		l.head = lx.next
	} else {
		E(lx.prev).Links().next = lx.next
	}
	if lx.next == nil {
		l.tail = lx.prev
	} else {
		E(lx.next).Links().prev = lx.prev
	}
	lx.prev, lx.next = nil, nil
}

// PopFront removes and returns the oldest element, or nil.
func (l *List[T, E]) PopFront() *T {
	x := l.head
	if x != nil {
		l.Remove(x)
	}
	return x
}
