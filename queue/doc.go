// Package queue provides [Queue], a bounded first-in, first-out queue for
// handing values between goroutines, like a buffered channel, with
// context-aware blocking operations, non-blocking ones and a Close that
// drains:
//
//	q := queue.New[Job](64)
//	go func() {
//		defer q.Close()
//		for _, j := range jobs {
//			if err := q.Put(ctx, j); err != nil {
//				return // ctx.Err() or queue.ErrClosed
//			}
//		}
//	}()
//	for {
//		j, err := q.Get(ctx)
//		if err != nil {
//			break // queue.ErrClosed once drained, or ctx.Err()
//		}
//		run(j)
//	}
//
// [Queue.TryPut] and [Queue.TryGet] never wait; they return [ErrFull] and
// [ErrEmpty] instead.
//
// Unlike a channel, a Queue is seen by condiag's monitor: it knows which
// goroutines put into a queue and which take from it, so that a producer
// blocked on a full queue while the only consumers wait for a lock the
// producer holds is reported as a deadlock (DL1002), as is any wait-for
// cycle through queues, locks and the other condiag primitives. See
// docs/queue.md. Building with the tag condiagoff removes the
// instrumentation.
package queue
