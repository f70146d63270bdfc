package pool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/condiag/condiag/internal/monitor"
)

// ErrShutdown is the error of a task that did not run because its pool
// was shut down: one submitted after [Pool.Shutdown] was called, and one
// still queued when a Shutdown gave up waiting.
var ErrShutdown = errors.New("pool: shut down")

// A Pool runs tasks on at most a fixed number of goroutines, like
// Python's concurrent.futures.ThreadPoolExecutor: [Submit] queues a
// function and returns a [Future] for its result, [Map] runs one
// function over a slice, and [Pool.Shutdown] waits for the work to end.
// Create one with [New]; the zero Pool is not usable (its use panics),
// and a Pool must not be copied.
//
// Workers are started on demand, one per submitted task while fewer
// than the bound exist and none is idle. A worker that finds the queue
// empty waits for the next task, and exits once it has been idle for
// 100 to 200 ms, or at once when the pool is shut down or its context
// is done: an idle Pool ends up holding no goroutine, so a forgotten
// Shutdown leaks none (it still keeps the pool's context registered
// with its parent until the parent ends). Idle workers are reused most
// recently idle first. Tasks start in the order they were submitted.
//
// Every task runs with a context of its own, derived from the pool's
// (the one given to New): it is done when the pool's context is done,
// when [Future.Cancel] is called, when a Shutdown gives up waiting, and
// after the task timeout ([WithTaskTimeout]). The pool never abandons a
// running task: a task that ignores its context runs to the end, and its
// result is what it returns.
//
// The Submit of a task synchronizes before the task starts; the task's
// return (or panic) synchronizes before every [Future.Wait], [Future.Err]
// and receive from [Future.Done] that observes its completion, and
// before the return of a Shutdown that waited for it.
//
// Every submission, start and end of a task, each first look at its
// result, and every wait for a result or for Shutdown is reported to
// condiag's monitor, which finds tasks blocked on each other through the
// pool (DL1002: every worker runs a task waiting for a task still
// queued behind them), waits longer than the hang threshold (DL1005) and
// tasks that waited long for a worker (ST4003). Building with the tag
// condiagoff removes the instrumentation.
//
// Cost, on the 2-core machine of docs/performance.md (Go 1.26, amd64),
// side by side in one run with golang.org/x/sync/errgroup limited to the
// same number of goroutines (medians of 10 runs; docs/pool.md has the
// table): a Submit followed by a Wait, one task at a time, takes 659 ns,
// 160 B and 2 allocations against 455 ns for errgroup's Go and Wait
// (1.45x); in batches of 1000 Submits then Waits, 427 ns a task against
// 390 ns (1.10x); Map over 1000 elements, 374 ns an element against
// 372 ns (1.0x). About 110 ns of each task are the monitor's reports
// (no allocation); with the tag condiagoff the same three take 535 ns
// (1.16x), 171 ns (0.47x) and 118 ns (0.33x), errgroup starting a
// goroutine per task where the pool hands it to a running worker.
// Reproduce with:
//
//	go test -run=NONE -bench=. -benchmem -count=10 ./pool
type Pool struct {
	ctx     context.Context // the tasks' parent
	cancel  context.CancelCauseFunc
	stop    func() bool // stops the drain after ctx is done
	size    int
	timeout time.Duration

	// mu guards everything below. It is also the monitor object's
	// guard: it is held for every monitor call, and never while
	// blocking.
	//
	// Invariants, whenever mu is not held:
	//   - 0 <= len(idle) <= workers <= size;
	//   - the queue holds tasks only while no worker is idle and no
	//     worker can be started: if head < len(queue), idle is empty
	//     and workers == size, unless a worker was just woken for it
	//     (Submit takes a worker off idle before waking it);
	//   - the tasks in the queue are queued or, when cancelled while
	//     queued, already done (they are skipped when taken); the queue
	//     is emptied once the pool's context is done, by drain or by the
	//     first worker that looks;
	//   - running lists the tasks started and not yet completed;
	//   - nobody is idle once shut is set or the pool's context is
	//     done: workers end instead;
	//   - ended is closed once shut is set and workers is 0.
	mu      sync.Mutex
	queue   []*task // FIFO from queue[head]
	head    int
	workers int       // worker goroutines, busy or idle
	idle    []*worker // idle workers, in the order they became idle
	epoch   uint64    // reaper ticks
	reaper  *time.Timer
	reaping bool  // reaper is set
	running *task // the running tasks, linked by next
	nextID  int64 // the last task id handed out
	shut    bool  // Shutdown was called: no more tasks
	ended   chan struct{}

	o *monitor.Lock // the monitor's state of the pool
}

// An Option configures a [Pool].
type Option interface{ apply(*config) }

type config struct {
	timeout time.Duration
	name    string
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithTaskTimeout gives every task a deadline d after it starts: its
// context is done then, with [context.DeadlineExceeded]. A task that
// returns ctx.Err() when it overruns fails with that error; one that
// ignores its context runs on, and its result is what it returns. The
// time spent queued does not count. d <= 0 means no timeout, the
// default.
func WithTaskTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.timeout = d })
}

// WithName names the pool in condiag's reports. With the tag condiagoff
// it does nothing.
func WithName(name string) Option {
	return optionFunc(func(c *config) { c.name = name })
}

// New returns a pool that runs at most workers tasks at once. Cancelling
// ctx cancels the pool: running tasks see their context done, queued
// tasks never start and fail with context.Cause(ctx) (ctx.Err() unless
// ctx was cancelled with a cause), and later submissions fail the same
// way. New panics if workers is less than 1 or ctx is nil.
//
// Call [Pool.Shutdown] when done with the pool, to release its context.
//
//go:noinline
func New(ctx context.Context, workers int, opts ...Option) *Pool {
	if workers < 1 {
		panic(fmt.Sprintf("pool: New with %d workers, want at least 1", workers))
	}
	if ctx == nil {
		panic("pool: New with a nil context")
	}
	var c config
	for _, o := range opts {
		o.apply(&c)
	}
	p := &Pool{size: workers, timeout: c.timeout}
	p.ctx, p.cancel = context.WithCancelCause(ctx)
	p.stop = context.AfterFunc(p.ctx, p.drain)
	if instrumented {
		p.o = monitor.NewResource(monitor.KindPool, int64(workers), &p.mu)
		if c.name != "" {
			monitor.SetName(p.o, c.name)
		}
	}
	return p
}

// Shutdown stops the pool accepting tasks and waits until every task
// submitted before it, queued or running, has ended and the workers have
// exited. It returns nil then. If ctx is done first, Shutdown gives up:
// it cancels the pool's context (running tasks see theirs done, with
// cause [ErrShutdown]), fails the queued tasks with ErrShutdown, and
// returns ctx.Err() without waiting for the running tasks, which end on
// their own. Shutdown may be called more than once and from several
// goroutines; each call waits in the same way. A task that calls
// Shutdown on its own pool waits for itself until ctx is done.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.mustInit()
	p.mu.Lock()
	p.shut = true
	idle := p.retireIdleLocked()
	if p.workers == 0 {
		p.mu.Unlock()
		wake(idle)
		p.release()
		return nil
	}
	if p.ended == nil {
		p.ended = make(chan struct{})
	}
	ended := p.ended
	var g *monitor.G
	if instrumented {
		g = monitor.Current()
		g.BlockOn(p.o, monitor.OpPoolShutdown, 0)
	}
	p.mu.Unlock()
	wake(idle)
	var err error
	select {
	case <-ended:
	case <-ctx.Done():
		select {
		case <-ended:
		default:
			err = ctx.Err()
		}
	}
	if instrumented {
		g.Unblocked()
	}
	if err != nil {
		p.cancel(ErrShutdown)
		p.drain()
		return err
	}
	if instrumented {
		monitor.Await(p.o)
	}
	p.release()
	return nil
}

// release frees the pool's context and timer once every worker has
// exited.
func (p *Pool) release() {
	p.stop()
	p.cancel(ErrShutdown)
	p.mu.Lock()
	if p.reaper != nil {
		p.reaper.Stop()
		p.reaping = false
	}
	p.mu.Unlock()
}

func (p *Pool) mustInit() {
	if p.ctx == nil {
		panic("pool: use of a Pool not made by New")
	}
}

// submit queues t, or fails it if the pool takes no more tasks, and
// wakes an idle worker or starts one if fewer than size exist.
func (p *Pool) submit(t *task) {
	p.mu.Lock()
	if p.shut || p.ctx.Err() != nil {
		err := ErrShutdown
		if !p.shut {
			err = context.Cause(p.ctx)
		}
		p.mu.Unlock()
		t.failNow(err)
		return
	}
	p.nextID++
	t.id = p.nextID
	if instrumented {
		monitor.Signal(p.o)
		monitor.ObjectOp(p.o, monitor.OpTaskSubmit, t.id)
	}
	p.push(t)
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.wake <- struct{}{}
		return
	}
	start := p.workers < p.size
	if start {
		p.workers++
	}
	p.mu.Unlock()
	if start {
		go p.work()
	}
}

// push appends t to the queue, reusing the space of the tasks taken.
func (p *Pool) push(t *task) {
	if len(p.queue) == cap(p.queue) && p.head > 0 && p.head >= len(p.queue)/2 {
		n := copy(p.queue, p.queue[p.head:])
		clear(p.queue[n:])
		p.queue, p.head = p.queue[:n], 0
	}
	p.queue = append(p.queue, t)
}

// drain fails the queued tasks, cancels the running ones and ends the
// idle workers once the pool's context is done. It runs on its own
// goroutine (context.AfterFunc) and in a Shutdown that gave up. The tasks
// of a Map are left to the Map, which cancels them once it sees its own
// context done, so that their context's cause is its.
func (p *Pool) drain() {
	p.mu.Lock()
	p.drainLocked()
	idle := p.retireIdleLocked()
	var run []*task
	for t := p.running; t != nil; t = t.next {
		if t.ctx.parent == p.ctx {
			run = append(run, t)
		}
	}
	code := codeOf(p.ctx.Err())
	p.mu.Unlock()
	wake(idle)
	for _, t := range run {
		t.ctx.cancel(code)
	}
}

func (p *Pool) drainLocked() {
	err := context.Cause(p.ctx)
	for _, t := range p.queue[p.head:] {
		if t.state.Load() == queued {
			t.complete(err)
		}
	}
	clear(p.queue)
	p.queue, p.head = p.queue[:0], 0
}
