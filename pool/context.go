package pool

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// taskCtx is the context a task runs with, kept in the task rather than
// made with context.WithCancel: a derived context costs two allocations
// and two passes through the parent's lock (to register and unregister
// the child), more than the rest of a task's way through the pool.
//
// It has its parent's values and deadline, and the task timeout's if
// earlier. It is done when the task is cancelled, when the task ends, at
// the timeout, and when its parent is done: the pool does not link it to
// the parent; instead whoever cancels the parent cancels the running
// tasks (the pool's drain for the pool's context, Map for its own).
//
// Err is context.Canceled or context.DeadlineExceeded. context.Cause
// finds the parent's cancellation (through Value, as for every context
// that is not one of the context package's own): the parent's cause if
// the parent was cancelled with one, else Err.
//
// It implements the AfterFunc method the context package looks for, so
// that contexts derived from it (context.WithCancel(ctx) in a task) are
// cancelled with it without a goroutine of their own.
//
// What only some tasks need (a Done channel, AfterFunc, a timeout) is in
// a ctxSlow made on demand, so that a task that uses none of it costs
// 32 bytes. code is set once, before slow is looked at; slow is set
// once, before code is looked at: whichever of cancel and the maker of
// slow comes second sees what the other did (see cancel).
type taskCtx struct {
	parent context.Context
	code   atomic.Uint32 // 0 while not done, then errCanceled or errDeadline
	slow   atomic.Pointer[ctxSlow]
}

// ctxSlow is the part of a taskCtx made on demand.
type ctxSlow struct {
	tmo *timeout // set before the task starts; nil without a timeout

	ready atomic.Bool // ch is set
	mu    sync.Mutex  // guards what follows
	ch    chan struct{}
	fs    []afterFunc
	next  uint64 // the last AfterFunc id handed out
}

// timeout is the task timeout of a taskCtx.
type timeout struct {
	deadline time.Time
	timer    *time.Timer
}

type afterFunc struct {
	id uint64
	f  func()
}

// The values of taskCtx.code.
const (
	errCanceled uint32 = 1 + iota
	errDeadline
)

// start starts the task timeout d, if d > 0, as the task starts.
func (c *taskCtx) start(d time.Duration) {
	if d > 0 {
		s := c.slowState()
		s.tmo = &timeout{deadline: time.Now().Add(d)}
		s.tmo.timer = time.AfterFunc(d, c.expire)
	}
}

func (c *taskCtx) expire() { c.cancel(errDeadline) }

func (c *taskCtx) slowState() *ctxSlow {
	if s := c.slow.Load(); s != nil {
		return s
	}
	s := new(ctxSlow)
	if c.slow.CompareAndSwap(nil, s) {
		return s
	}
	return c.slow.Load()
}

// Deadline returns the earlier of the parent's deadline and the task
// timeout's.
func (c *taskCtx) Deadline() (time.Time, bool) {
	d, ok := c.parent.Deadline()
	s := c.slow.Load()
	if s == nil || s.tmo == nil || ok && d.Before(s.tmo.deadline) {
		return d, ok
	}
	return s.tmo.deadline, true
}

// Done returns a channel closed when c is done.
func (c *taskCtx) Done() <-chan struct{} {
	s := c.slowState()
	if s.ready.Load() {
		return s.ch
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready.Load() {
		if c.code.Load() != 0 {
			s.ch = closed
		} else {
			s.ch = make(chan struct{})
		}
		s.ready.Store(true)
	}
	return s.ch
}

// Err returns nil until c is done, then why.
func (c *taskCtx) Err() error {
	switch c.code.Load() {
	case errCanceled:
		return context.Canceled
	case errDeadline:
		return context.DeadlineExceeded
	}
	return nil
}

// Value returns the parent's value for key.
func (c *taskCtx) Value(key any) any { return c.parent.Value(key) }

func (c *taskCtx) String() string { return "pool task context" }

// AfterFunc arranges to call f once c is done, on the goroutine that
// makes it done, or at once on a goroutine of its own if it is done
// already. The stop function unregisters f, and reports whether it did.
func (c *taskCtx) AfterFunc(f func()) (stop func() bool) {
	s := c.slowState()
	s.mu.Lock()
	if c.code.Load() != 0 {
		s.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	s.next++
	id := s.next
	s.fs = append(s.fs, afterFunc{id, f})
	s.mu.Unlock()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		i := slices.IndexFunc(s.fs, func(a afterFunc) bool { return a.id == id })
		if i < 0 {
			return false
		}
		s.fs = slices.Delete(s.fs, i, i+1)
		return true
	}
}

// cancel makes c done with the given reason, if it is not done yet. It
// runs the functions given to AfterFunc on the calling goroutine; the
// caller holds no lock.
//
// code is set before slow is loaded, and a maker of slow (Done,
// AfterFunc) loads code after setting slow, under slow's lock: either
// cancel sees slow and closes or runs what the maker left, or the maker
// sees code and does not leave anything.
func (c *taskCtx) cancel(code uint32) {
	if !c.code.CompareAndSwap(0, code) {
		return
	}
	s := c.slow.Load()
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.ch != nil && s.ch != closed {
		close(s.ch)
	}
	fs := s.fs
	s.fs = nil
	s.mu.Unlock()
	if s.tmo != nil && code != errDeadline {
		s.tmo.timer.Stop()
	}
	for _, a := range fs {
		a.f()
	}
}

// codeOf returns the taskCtx code for a parent's error.
func codeOf(err error) uint32 {
	if err == context.DeadlineExceeded {
		return errDeadline
	}
	return errCanceled
}
