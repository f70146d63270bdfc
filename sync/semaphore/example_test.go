package semaphore_test

import (
	"context"
	"fmt"
	"log"
	"runtime"
	"time"

	"github.com/condiag/condiag/sync/semaphore" // was golang.org/x/sync/semaphore
)

// Example_workerPool is x/sync's worker-pool example, with only the
// import changed: a semaphore bounds the number of goroutines working on
// parallel tasks. It mimics a worker pool without idle workers to shut
// down when the work is done.
func Example_workerPool() {
	ctx := context.TODO()

	var (
		maxWorkers = runtime.GOMAXPROCS(0)
		sem        = semaphore.NewWeighted(int64(maxWorkers))
		out        = make([]int, 16)
	)

	// Compute the output using up to maxWorkers goroutines at a time.
	for i := range out {
		// When maxWorkers goroutines are in flight, Acquire blocks until
		// one of the workers finishes.
		if err := sem.Acquire(ctx, 1); err != nil {
			log.Printf("Failed to acquire semaphore: %v", err)
			break
		}

		go func(i int) {
			defer sem.Release(1)
			out[i] = divisorSum(i + 1)
		}(i)
	}

	// Acquire all of the tokens to wait for any remaining workers to
	// finish.
	if err := sem.Acquire(ctx, int64(maxWorkers)); err != nil {
		log.Printf("Failed to acquire semaphore: %v", err)
	}

	fmt.Println(out)

	// Output:
	// [1 3 4 7 6 12 8 15 13 18 12 28 14 24 24 31]
}

// divisorSum returns the sum of the divisors of n.
func divisorSum(n int) int {
	sum := 0
	for d := 1; d <= n; d++ {
		if n%d == 0 {
			sum += d
		}
	}
	return sum
}

// The timeout of Python's acquire(timeout=...) is a context deadline.
func ExampleWeighted_Acquire() {
	sem := semaphore.NewWeighted(1)
	sem.Acquire(context.Background(), 1) // all permits taken

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := sem.Acquire(ctx, 1)
	fmt.Println(err)
	sem.Release(1)

	// Output:
	// context deadline exceeded
}

func ExampleWeighted_TryAcquire() {
	sem := semaphore.NewWeighted(2)
	fmt.Println(sem.TryAcquire(2))
	fmt.Println(sem.TryAcquire(1)) // none left
	sem.Release(2)
	fmt.Println(sem.TryAcquire(1))

	// Output:
	// true
	// false
	// true
}

func ExampleWeighted_Release() {
	sem := semaphore.NewWeighted(1)
	defer func() { fmt.Println(recover()) }()
	sem.Release(1) // nothing held

	// Output:
	// semaphore: released more than held
}
