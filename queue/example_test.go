package queue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/condiag/condiag/queue"
)

// A producer puts jobs and closes the queue; the consumer takes them until
// Get reports that the queue is closed and drained.
func ExampleQueue() {
	ctx := context.Background()
	q := queue.New[string](2)
	go func() {
		defer q.Close()
		for _, job := range []string{"fetch", "parse", "store"} {
			if err := q.Put(ctx, job); err != nil {
				return
			}
		}
	}()
	for {
		job, err := q.Get(ctx)
		if errors.Is(err, queue.ErrClosed) {
			break
		}
		fmt.Println(job)
	}
	// Output:
	// fetch
	// parse
	// store
}

// TryPut and TryGet never wait: they report a full or an empty queue.
func ExampleQueue_TryPut() {
	q := queue.New[int](1)
	fmt.Println(q.TryPut(1))
	fmt.Println(q.TryPut(2))
	v, err := q.TryGet()
	fmt.Println(v, err)
	_, err = q.TryGet()
	fmt.Println(err)
	// Output:
	// <nil>
	// queue: full
	// 1 <nil>
	// queue: empty
}

// A Put into a full queue gives up when its context ends, without putting
// its item.
func ExampleQueue_Put_timeout() {
	q := queue.New[int](1)
	q.Put(context.Background(), 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	fmt.Println(q.Put(ctx, 2))
	fmt.Println(q.Len())
	q.TryGet()
	// Output:
	// context deadline exceeded
	// 1
}

// The queue has no task_done and join, as Python's queue.Queue has: a
// sync.WaitGroup counts the items not processed yet instead.
func ExampleQueue_waitGroup() {
	ctx := context.Background()
	q := queue.New[int](4)
	var pending sync.WaitGroup // Python's unfinished_tasks
	var workers sync.WaitGroup
	var mu sync.Mutex
	sum := 0
	for range 2 {
		workers.Go(func() {
			for {
				n, err := q.Get(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				sum += n
				mu.Unlock()
				pending.Done() // task_done()
			}
		})
	}
	for n := 1; n <= 10; n++ {
		pending.Add(1)
		q.Put(ctx, n)
	}
	pending.Wait() // join()
	q.Close()      // the workers' Gets return ErrClosed
	workers.Wait()
	fmt.Println(sum)
	// Output: 55
}
