package pool

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/condiag/condiag/internal/monitor"
)

// idleTimeout is how long a worker stays idle, at least (at most
// twice as long), before it exits.
const idleTimeout = 100 * time.Millisecond

// A worker is the state of one worker goroutine.
type worker struct {
	wake chan struct{} // buffered: whoever takes the worker off idle sends once
	// exit says that the worker must end; set under mu by whoever takes
	// it off idle, before it sends on wake.
	exit bool
	// gone says that the worker ended itself (it found no task and the
	// pool takes no more); set and read by the worker only.
	gone  bool
	epoch uint64 // p.epoch when it became idle
}

// retireIdleLocked takes every idle worker off idle and marks it to
// exit; the caller wakes them once it has released mu.
func (p *Pool) retireIdleLocked() []*worker {
	idle := p.idle
	p.idle = nil
	for _, w := range idle {
		w.exit = true
		p.retireLocked()
	}
	return idle
}

// retireLocked counts a worker out.
func (p *Pool) retireLocked() {
	p.workers--
	if p.workers == 0 && p.shut && p.ended != nil {
		close(p.ended)
	}
}

func wake(ws []*worker) {
	for _, w := range ws {
		w.wake <- struct{}{}
	}
}

// reap runs on its own goroutine every idleTimeout while workers are
// idle, and ends those that were idle for a whole period.
func (p *Pool) reap() {
	p.mu.Lock()
	p.epoch++
	i := 0
	for i < len(p.idle) && p.idle[i].epoch+2 <= p.epoch {
		i++
	}
	old := slices.Clone(p.idle[:i])
	for _, w := range old {
		w.exit = true
		p.retireLocked()
	}
	n := copy(p.idle, p.idle[i:])
	clear(p.idle[n:])
	p.idle = p.idle[:n]
	if p.reaping = len(p.idle) > 0; p.reaping {
		p.reaper.Reset(idleTimeout)
	}
	p.mu.Unlock()
	wake(old)
}

// work is a worker goroutine: it runs queued tasks, and waits for more
// while idle.
func (p *Pool) work() {
	w := &worker{wake: make(chan struct{}, 1)}
	for {
		p.mu.Lock()
		t := p.nextLocked(w)
		p.mu.Unlock()
		for t != nil {
			t = p.run(w, t)
		}
		if w.gone {
			return
		}
		<-w.wake
		if w.exit {
			return
		}
	}
}

// nextLocked takes the next task to run off the queue, starts it on the
// calling worker and returns it with its context. When there is none, the
// worker becomes idle, or is gone if the pool takes no more tasks, and
// nextLocked returns nil.
func (p *Pool) nextLocked(w *worker) *task {
	if p.ctx.Err() != nil {
		p.drainLocked()
	}
	for p.head < len(p.queue) {
		t := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		if t.state.Load() != queued {
			continue // cancelled while queued
		}
		if parent := t.ctx.parent; parent != p.ctx && parent.Err() != nil {
			t.complete(context.Cause(parent))
			continue
		}
		t.ctx.start(p.timeout)
		t.state.Store(running)
		t.next = p.running
		if t.next != nil {
			t.next.prev = t
		}
		p.running = t
		if instrumented {
			monitor.ObjectOp(p.o, monitor.OpTaskStart, t.id)
			monitor.Await(p.o)
		}
		return t
	}
	p.queue, p.head = p.queue[:0], 0
	if p.shut || p.ctx.Err() != nil {
		w.gone = true
		p.retireLocked()
		return nil
	}
	w.epoch = p.epoch
	p.idle = append(p.idle, w)
	if !p.reaping {
		p.reaping = true
		if p.reaper == nil {
			p.reaper = time.AfterFunc(idleTimeout, p.reap)
		} else {
			p.reaper.Reset(idleTimeout)
		}
	}
	return nil
}

// run runs t on the calling worker, completes it and returns the next
// task for the worker, if any. A panic becomes t's error. A task that
// calls runtime.Goexit ends its worker: another one takes over.
func (p *Pool) run(w *worker, t *task) (next *task) {
	returned := false
	defer func() {
		if returned {
			return
		}
		r := recover()
		if r == nil {
			p.goexit(t)
			return
		}
		next = p.finish(w, t, &PanicError{Value: r, Stack: stack()})
	}()
	err := t.r.call(&t.ctx)
	returned = true
	return p.finish(w, t, err)
}

// errGoexit is the error of a task that called runtime.Goexit.
var errGoexit = errors.New("pool: task called runtime.Goexit")

// finish completes t with err and returns the worker's next task.
func (p *Pool) finish(w *worker, t *task, err error) *task {
	t.ctx.cancel(errCanceled)
	p.mu.Lock()
	p.unlinkLocked(t)
	t.complete(err)
	next := p.nextLocked(w)
	p.mu.Unlock()
	return next
}

// unlinkLocked takes t, which has ended, off the running list.
func (p *Pool) unlinkLocked(t *task) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		p.running = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	}
	t.prev, t.next = nil, nil
}

// goexit completes t, which called runtime.Goexit and is ending its
// worker goroutine; another worker takes over if tasks are queued.
func (p *Pool) goexit(t *task) {
	t.ctx.cancel(errCanceled)
	p.mu.Lock()
	p.unlinkLocked(t)
	t.complete(errGoexit)
	replace := p.head < len(p.queue)
	if !replace {
		p.retireLocked()
	}
	p.mu.Unlock()
	if replace {
		go p.work()
	}
}
