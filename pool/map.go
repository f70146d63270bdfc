package pool

import (
	"context"
	"sync/atomic"
)

// Map runs f on p for every element of in, and returns the results in
// the order of in. f runs with a context derived from ctx, so it sees
// ctx's values, and done when ctx is done, when the pool's context is
// done, after the pool's task timeout, or when another element failed.
//
// The first error, in time, cancels the rest, as with
// golang.org/x/sync/errgroup: elements still queued never start, and
// running ones see their context done. Map waits until every element it
// started has returned, and then returns nil and that error: what f
// returned, a [*PanicError] if f panicked, the context's cause if the
// element never started because ctx or the pool's context was done, or
// [ErrShutdown] if p was shut down. Without an error it returns a slice
// of len(in) results.
//
// Map panics if f is nil. Like [Submit], it never waits for room in the
// queue; its elements queue behind the tasks already submitted.
func Map[T, R any](ctx context.Context, p *Pool, in []T, f func(ctx context.Context, v T) (R, error)) ([]R, error) {
	if f == nil {
		panic("pool: Map of a nil function")
	}
	p.mustInit()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	mctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(p.ctx, func() { cancel(context.Cause(p.ctx)) })
	defer stop()

	m := &mapping[T, R]{f: f, cancel: cancel}
	items := make([]item[T, R], len(in))
	for i := range items {
		it := &items[i]
		it.m, it.in = m, in[i]
		it.p, it.ctx.parent, it.r = p, mctx, it
		p.submit(&it.task)
	}
	out := make([]R, len(in))
	wctx := mctx // Background once the rest is cancelled
	for i := range items {
		it := &items[i]
		if it.state.Load() != done || (instrumented && !it.observed.Load()) {
			if it.wait(wctx) != nil {
				// Failed, or ctx or the pool is done: the elements left
				// never start (a running one sees mctx done).
				err, code := context.Cause(mctx), codeOf(mctx.Err())
				for j := i; j < len(items); j++ {
					items[j].cancelWith(err, code)
				}
				wctx = context.Background()
				it.wait(wctx)
			}
		}
		out[i] = it.val
	}
	if m.failed.Load() {
		return nil, m.err
	}
	return out, nil
}

// mapping is what the elements of one Map share.
type mapping[T, R any] struct {
	f      func(context.Context, T) (R, error)
	cancel context.CancelCauseFunc
	failed atomic.Bool
	err    error // the first error, set by the fail that set failed
}

// fail records err if it is the first, and cancels the other elements.
func (m *mapping[T, R]) fail(err error) {
	if m.failed.CompareAndSwap(false, true) {
		m.err = err
		m.cancel(err)
	}
}

// item is one element of a Map.
type item[T, R any] struct {
	task
	m   *mapping[T, R]
	in  T
	val R
}

func (it *item[T, R]) call(ctx context.Context) error {
	v, err := it.m.f(ctx, it.in)
	it.val = v
	return err
}

func (it *item[T, R]) failed(err error) { it.m.fail(err) }
