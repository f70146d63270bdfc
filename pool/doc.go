// Package pool runs tasks on a bounded number of goroutines and hands
// back their results as futures, the Go counterpart of Python's
// concurrent.futures.ThreadPoolExecutor:
//
//	p := pool.New(ctx, runtime.GOMAXPROCS(0))
//	defer p.Shutdown(context.Background())
//
//	fu := pool.Submit(p, func(ctx context.Context) (int, error) {
//		return fetch(ctx, id)
//	})
//	n, err := fu.Wait(ctx) // the value, the error, or a *pool.PanicError
//
//	sizes, err := pool.Map(ctx, p, urls, fetchSize) // in the order of urls
//
// A [Pool] runs at most the number of tasks given to [New] at once and
// queues the others in submission order. [Submit] returns a [Future]:
// [Future.Wait] waits for the result (or gives up when its context is
// done, leaving the task running), [Future.Done] is a channel for select,
// [Future.Cancel] cancels the task's context or, if it is still queued,
// keeps it from starting. [Map] runs one function over a slice and
// returns the results in order, the first error cancelling the rest, like
// golang.org/x/sync/errgroup. [Pool.Shutdown] waits for the work to end.
//
// A panic in a task is recovered and becomes that task's error, a
// [*PanicError] with the panicking goroutine's stack; the pool goes on.
//
// Unlike a bare goroutine pool, a Pool is seen by condiag's monitor: it
// knows which worker runs which task and who waits for which result, so
// that the classic pool deadlock, every worker running a task that waits
// for a task queued behind them, is reported (DL1002), as is any
// wait-for cycle through pools, locks and the other condiag primitives.
// See docs/pool.md. Building with the tag condiagoff removes the
// instrumentation.
package pool
