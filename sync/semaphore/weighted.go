//go:build !condiagoff

package semaphore

import (
	"context"
	"sync"

	"github.com/condiag/condiag/internal/fifo"
	"github.com/condiag/condiag/internal/monitor"
)

// Weighted provides a way to bound concurrent access to a resource. The
// callers can request access with a given non-negative weight.
//
// It is x/sync's Weighted, semantics and all: the zero value is a
// semaphore of size 0 (only requests of weight 0 succeed), a Weighted
// must not be copied after first use, a Release synchronizes before the
// Acquire or TryAcquire it lets succeed, waiters are served in the order
// they arrived, a negative weight panics, and releasing more than is held
// panics with "semaphore: released more than held" (leaving the count
// where the Release put it, as x/sync does).
//
// On top of that it tells the monitor which goroutine holds how many
// permits, and which goroutine waits for how many, so that a wait for
// permits held only by goroutines blocked on the waiter is reported as a
// deadlock (DL1002), and a long wait as DL1005 or ST4003. Permits
// granted by a Release to a waiter are recorded against the waiter, by
// the waiter itself once it runs again.
//
// Cost, on the 2-core machine of docs/performance.md (Go 1.26, amd64),
// side by side with x/sync in one run (medians of 10, raw output in
// docs/bench/semaphore.txt): an uncontended Acquire(1)/Release(1) pair
// takes 35.6 ns against 25.4 ns (1.40x), a TryAcquire(1)/Release(1) pair
// 34.1 ns against 25.1 ns (1.36x), a pair on GOMAXPROCS goroutines that
// never run short of permits 43.9 ns against 32.0 ns (1.37x), and on
// GOMAXPROCS goroutines sharing one permit, so that Acquires often wait,
// 273 ns against 221 ns (1.23x); none allocates but a wait (its waiter
// and channel, as x/sync's). The monitor's share is its two operation
// records, about 12 ns a pair, half of it finding the calling
// goroutine's state. NewWeighted takes 241 ns and 512 bytes in 3
// allocations against 40 ns and 80 bytes, for the monitor's state (a
// zero Weighted makes it on its first non-zero operation or wait). While
// a trace is recorded (package trace), a pair takes 91 ns. With the
// tag condiagoff, Weighted is x/sync's type. Reproduce with:
//
//	go test -run=NONE -bench=. -benchmem -count=10 ./sync/semaphore > new.txt
//	benchstat -col /impl new.txt
type Weighted struct {
	// mu guards the fields below. It is obj's guard: the watchdog takes
	// it to read who holds the permits, so nothing blocks while holding
	// it.
	mu sync.Mutex
	// size is the number of permits. cur is the number held, including
	// those granted to waiters that have not run yet; cur <= size, and
	// cur < 0 only after a Release of more than held (which panicked).
	size, cur int64
	// waiters are the waiters, in arrival order. A waiter at the
	// front that asks for more than size-cur holds back
	// every waiter behind it.
	waiters fifo.List[waiter, *waiter]
	// obj is the monitor's state; nil until first needed for a zero
	// Weighted.
	obj *monitor.Lock
}

// A waiter is a goroutine queued in Acquire. Its fields but ready are
// guarded by the Weighted's mu.
type waiter struct {
	n       int64
	ready   chan struct{} // closed once granted
	granted bool          // n permits were counted in cur for it
	links   fifo.Links[waiter]
}

// Links makes waiters elements of a [fifo.List].
func (w *waiter) Links() *fifo.Links[waiter] { return &w.links }

// NewWeighted creates a new weighted semaphore with the given maximum
// combined weight for concurrent access. NewWeighted panics if n is
// negative.
//
// The semaphore's site in reports is the caller of NewWeighted.
//
//go:noinline
func NewWeighted(n int64) *Weighted {
	if n < 0 {
		panic("semaphore: size < 0")
	}
	s := &Weighted{size: n}
	s.obj = monitor.NewResource(monitor.KindSemaphore, n, &s.mu)
	return s
}

// Acquire acquires the semaphore with a non-negative weight of n,
// blocking until resources are available or ctx is done. On success,
// returns nil. On failure, returns ctx.Err() and leaves the semaphore
// unchanged.
//
// If ctx is already done, Acquire fails even if the permits are free.
// A request of more than the size fails only when ctx is done, and
// holds back nobody meanwhile.
func (s *Weighted) Acquire(ctx context.Context, n int64) error {
	if n < 0 {
		panic("semaphore: n < 0")
	}
	done := ctx.Done()
	s.mu.Lock()
	select {
	case <-done:
		// ctx became done before the semaphore could be acquired: fail,
		// although the permits may be free.
		s.mu.Unlock()
		return ctx.Err()
	default:
	}
	if s.size-s.cur >= n && s.waiters.Front() == nil {
		s.cur += n
		s.acquired(n)
		s.mu.Unlock()
		return nil
	}
	return s.wait(ctx, done, n)
}

// wait blocks until n permits are granted or done is closed. s.mu is
// held on entry and released on return.
func (s *Weighted) wait(ctx context.Context, done <-chan struct{}, n int64) error {
	g := monitor.Current()
	if n > s.size {
		// Doomed: queueing it would hold back every later request.
		g.BlockOn(s.object(), monitor.OpSemAcquire, n)
		s.mu.Unlock()
		<-done
		g.Unblocked()
		return ctx.Err()
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	s.waiters.PushBack(w)
	g.BlockOn(s.object(), monitor.OpSemAcquire, n)
	s.mu.Unlock()
	select {
	case <-done:
	case <-w.ready:
	}
	g.Unblocked()

	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-done:
		// Cancelled, maybe after the permits were granted: then give
		// them back, as if never granted.
		if w.granted {
			s.cur -= n
			s.notify()
		} else {
			front := s.waiters.Front() == w
			s.waiters.Remove(w)
			if front && s.size > s.cur {
				s.notify() // the waiters behind w may fit now
			}
		}
		return ctx.Err()
	default:
	}
	// Granted by a Release on another goroutine: the permits are this
	// goroutine's from now on.
	s.acquired(n)
	return nil
}

// TryAcquire acquires the semaphore with a non-negative weight of n
// without blocking. On success, returns true. On failure, returns false
// and leaves the semaphore unchanged. It fails while any Acquire waits,
// even if n permits are free.
func (s *Weighted) TryAcquire(n int64) bool {
	if n < 0 {
		panic("semaphore: n < 0")
	}
	s.mu.Lock()
	ok := s.size-s.cur >= n && s.waiters.Front() == nil
	if ok {
		s.cur += n
		s.acquired(n)
	}
	s.mu.Unlock()
	return ok
}

// Release releases the semaphore with a non-negative weight of n. It
// panics if that is more than is held.
func (s *Weighted) Release(n int64) {
	if n < 0 {
		panic("semaphore: n < 0")
	}
	s.mu.Lock()
	s.cur -= n
	if s.cur < 0 {
		s.mu.Unlock()
		panic("semaphore: released more than held")
	}
	if n != 0 {
		monitor.Signal(s.object())
		monitor.ObjectOp(s.object(), monitor.OpSemRelease, n)
	}
	s.notify()
	s.mu.Unlock()
}

// acquired records that the current goroutine acquired n permits. s.mu
// is held. A weight of 0 changes nothing and is not recorded: it would
// make the goroutine a holder that never releases.
func (s *Weighted) acquired(n int64) {
	if n != 0 {
		monitor.ObjectOp(s.object(), monitor.OpSemAcquire, n)
		monitor.Await(s.object())
	}
}

// notify grants their permits to the waiters at the head of the queue
// while they fit. It stops at the first that does not: letting smaller
// requests overtake it would starve large ones. s.mu is held.
func (s *Weighted) notify() {
	for w := s.waiters.Front(); w != nil && s.size-s.cur >= w.n; w = s.waiters.Front() {
		s.cur += w.n
		s.waiters.Remove(w)
		w.granted = true
		close(w.ready)
	}
}

// object returns s's monitor state, made on first use for a zero
// Weighted. s.mu is held.
func (s *Weighted) object() *monitor.Lock {
	if s.obj == nil {
		s.newObject()
	}
	return s.obj
}

//go:noinline
func (s *Weighted) newObject() {
	s.obj = monitor.NewResource(monitor.KindSemaphore, s.size, &s.mu)
}
