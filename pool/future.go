package pool

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/condiag/condiag/internal/monitor"
)

// The states of a task, in the order it goes through them (a task
// cancelled or failed before it starts goes from queued to done).
const (
	queued uint32 = iota
	running
	done
)

// task is the part of a [Future] that does not depend on its type: what
// the pool queues and its workers run.
type task struct {
	p  *Pool
	r  runner // the Future this task belongs to
	id int64  // the monitor's task id; 0 if never queued

	state    atomic.Uint32 // queued, running, done
	observed atomic.Bool   // the monitor was told that the result was asked for

	ctx taskCtx // the context the task runs with; its parent is set on Submit

	// Guarded by p.mu. err is set before state becomes done, and read
	// without the lock once state is done.
	err        error
	done       chan struct{} // made by Done, closed when state becomes done
	waiters    *waiter       // blocked in Wait, woken when state becomes done
	prev, next *task         // in p.running while running
}

// A waiter is a goroutine blocked in Wait. Waiters are reused: a Wait
// that blocks costs no allocation.
type waiter struct {
	ch   chan struct{} // buffered; sent to once when the task is done
	next *waiter
}

var waiters = sync.Pool{New: func() any { return &waiter{ch: make(chan struct{}, 1)} }}

// runner is what differs between the tasks of [Submit] and those of
// [Map].
type runner interface {
	// call runs the task's function with ctx and keeps its value.
	call(ctx context.Context) error
	// failed is told the error of a task that failed, with p.mu held.
	failed(err error)
}

// closed is the Done channel of every future already done when asked.
var closed = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// complete ends t with err. p.mu is held.
func (t *task) complete(err error) {
	if instrumented {
		monitor.Signal(t.p.o)
	}
	if err != nil {
		t.r.failed(err)
	}
	t.err = err
	t.state.Store(done)
	if t.done != nil {
		close(t.done)
	}
	for w := t.waiters; w != nil; {
		next := w.next // w is reused once it has been sent to
		w.ch <- struct{}{}
		w = next
	}
	t.waiters = nil
	if instrumented {
		monitor.ObjectOp(t.p.o, monitor.OpTaskDone, t.id)
	}
}

// failNow ends t, which was never queued, with err.
func (t *task) failNow(err error) {
	t.r.failed(err)
	t.err = err
	t.observed.Store(true) // unknown to the monitor
	t.state.Store(done)
}

// observe tells the monitor, once, that t's result was asked for.
func (t *task) observe() {
	if !instrumented || t.observed.Load() {
		return
	}
	t.p.mu.Lock()
	t.observeLocked()
	t.p.mu.Unlock()
}

func (t *task) observeLocked() {
	if instrumented && !t.observed.Load() {
		t.observed.Store(true)
		monitor.ObjectOp(t.p.o, monitor.OpTaskObserved, t.id)
	}
}

// wait waits until t is done or ctx is done, and returns ctx.Err() in
// the second case.
func (t *task) wait(ctx context.Context) error {
	p := t.p
	p.mu.Lock()
	t.observeLocked()
	if t.state.Load() == done {
		p.mu.Unlock()
		if instrumented {
			monitor.Await(p.o)
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		p.mu.Unlock()
		return err
	}
	w := waiters.Get().(*waiter)
	w.next, t.waiters = t.waiters, w
	var g *monitor.G
	if instrumented {
		g = monitor.Current()
		g.BlockOn(p.o, monitor.OpTaskDone, t.id)
	}
	p.mu.Unlock()
	var err error
	if cd := ctx.Done(); cd == nil {
		<-w.ch
	} else {
		select {
		case <-w.ch:
		case <-cd:
			err = t.leave(w, ctx)
		}
	}
	if instrumented {
		g.Unblocked()
		if err == nil {
			monitor.Await(p.o)
		}
	}
	waiters.Put(w)
	return err
}

// leave takes w, whose context ended, off t's waiters, and returns the
// context's error, or nil if t is done after all.
func (t *task) leave(w *waiter, ctx context.Context) error {
	t.p.mu.Lock()
	defer t.p.mu.Unlock()
	if t.state.Load() == done {
		<-w.ch // complete sent to it, under the lock
		return nil
	}
	for pw := &t.waiters; *pw != nil; pw = &(*pw).next {
		if *pw == w {
			*pw = w.next
			break
		}
	}
	return ctx.Err()
}

// cancelWith cancels t: if it is queued, it never starts and fails with
// err; if it runs, its context is done with the error of code.
func (t *task) cancelWith(err error, code uint32) {
	if t.state.Load() == done {
		t.observe()
		return
	}
	p := t.p
	p.mu.Lock()
	t.observeLocked()
	st := t.state.Load()
	if st == queued {
		t.complete(err)
	}
	p.mu.Unlock()
	if st == running {
		t.ctx.cancel(code)
	}
}

// A Future is the result of a task submitted with [Submit]: its value and
// error once it has run. It is safe for concurrent use; any number of
// goroutines may wait for it.
//
// Asking for the result ([Future.Wait], [Future.Done], [Future.Err],
// [Future.Cancel]) tells condiag's monitor that somebody looks at it; a
// task whose result nobody asked for is reported by the leak checks, as
// an error nobody read may hide there.
type Future[T any] struct {
	task
	f   func(context.Context) (T, error) // nil once run
	val T                                // set before state becomes done
}

// Submit queues f to run on p with a context of its own (see [Pool]) and
// returns the future of its result. It never waits: a task that finds
// every worker busy waits in the queue, which has no bound. If p was shut
// down, the future has already failed with [ErrShutdown]; if p's context
// is done, with the context's cause. Submit panics if f is nil.
//
// Submit is a function rather than a method because Go methods cannot
// have type parameters.
func Submit[T any](p *Pool, f func(ctx context.Context) (T, error)) *Future[T] {
	if f == nil {
		panic("pool: Submit of a nil function")
	}
	p.mustInit()
	fu := &Future[T]{f: f}
	fu.p, fu.ctx.parent, fu.r = p, p.ctx, fu
	p.submit(&fu.task)
	return fu
}

func (fu *Future[T]) call(ctx context.Context) error {
	v, err := fu.f(ctx)
	fu.val, fu.f = v, nil
	return err
}

func (fu *Future[T]) failed(error) {}

// Wait waits for the task to end and returns its value and error: what
// the function returned, a [*PanicError] if it panicked, context.Canceled
// if it was cancelled before it started, or the pool's error if it never
// ran (see [Submit] and [Pool.Shutdown]). If ctx is done first, Wait
// returns the zero value and ctx.Err(), and the task goes on: use
// [Future.Cancel] to stop it. Wait does not panic when the task
// panicked; see [PanicError].
func (fu *Future[T]) Wait(ctx context.Context) (T, error) {
	if fu.state.Load() != done || (instrumented && !fu.observed.Load()) {
		if err := fu.wait(ctx); err != nil {
			var zero T
			return zero, err
		}
	}
	return fu.val, fu.err
}

// Done returns a channel that is closed when the task has ended, for use
// in a select; [Future.Wait] then returns at once.
func (fu *Future[T]) Done() <-chan struct{} {
	fu.observe()
	if fu.state.Load() == done {
		if instrumented {
			monitor.Await(fu.p.o)
		}
		return closed
	}
	fu.p.mu.Lock()
	defer fu.p.mu.Unlock()
	if fu.state.Load() == done {
		return closed
	}
	if fu.done == nil {
		fu.done = make(chan struct{})
	}
	return fu.done
}

// Err returns nil while the task has not ended, and then its error, as
// [Future.Wait] would: like [context.Context]'s Err, it is meant for
// after Done is closed.
func (fu *Future[T]) Err() error {
	fu.observe()
	if fu.state.Load() != done {
		return nil
	}
	if instrumented {
		monitor.Await(fu.p.o)
	}
	return fu.err
}

// Cancel cancels the task. A task still queued never starts: it ends at
// once with context.Canceled. A running task sees its context done, and
// its result is what it returns. Cancel of a task that has ended does
// nothing. Cancel does not wait for the task to end.
func (fu *Future[T]) Cancel() { fu.cancelWith(context.Canceled, errCanceled) }

// A PanicError is the error of a task that panicked: the panic's value
// and the stack of the goroutine that panicked, taken where the worker
// recovered it, so that it shows the function that panicked and its
// callers down to the worker.
//
// A panic in a task does not crash the program, and is not raised again
// by [Future.Wait]: it becomes that task's error, reported where its
// result is used, and the pool goes on running the other tasks. This
// differs from golang.org/x/sync/errgroup, which does not recover (a
// panic in one of its goroutines ends the program), and from
// github.com/sourcegraph/conc, whose Wait panics again in the waiting
// goroutine. Raising it again in Wait would make the waiter's stack the
// one that crashes, where the task's state is gone, and would turn a
// Wait with a timeout into something that may panic. A caller who wants
// conc's behaviour writes:
//
//	if pe, ok := errors.AsType[*pool.PanicError](err); ok {
//		panic(pe)
//	}
type PanicError struct {
	Value any    // the value given to panic
	Stack []byte // the panicking goroutine's stack, as debug.Stack formats it
}

// Error returns the panic value followed by the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("pool: task panicked: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value if it is an error, so that errors.Is
// and errors.As see through a panic(err); otherwise nil.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// stack returns the calling goroutine's stack.
func stack() []byte { return debug.Stack() }
