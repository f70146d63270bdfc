package pool_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/condiag/condiag/pool"
)

func ExampleSubmit() {
	ctx := context.Background()
	p := pool.New(ctx, 4)
	defer p.Shutdown(ctx)

	fu := pool.Submit(p, func(ctx context.Context) (int, error) {
		return strconv.Atoi("42")
	})
	n, err := fu.Wait(ctx)
	fmt.Println(n, err)
	// Output: 42 <nil>
}

func ExampleMap() {
	ctx := context.Background()
	p := pool.New(ctx, 4)
	defer p.Shutdown(ctx)

	lengths, err := pool.Map(ctx, p, []string{"a", "bb", "ccc"}, func(ctx context.Context, s string) (int, error) {
		return len(s), nil
	})
	fmt.Println(lengths, err)

	_, err = pool.Map(ctx, p, []string{"1", "x", "3"}, func(ctx context.Context, s string) (int, error) {
		return strconv.Atoi(s)
	})
	fmt.Println(err)
	// Output:
	// [1 2 3] <nil>
	// strconv.Atoi: parsing "x": invalid syntax
}

func ExamplePanicError() {
	ctx := context.Background()
	p := pool.New(ctx, 1)
	defer p.Shutdown(ctx)

	fu := pool.Submit(p, func(ctx context.Context) (byte, error) {
		var s string
		return s[0], nil // panics
	})
	_, err := fu.Wait(ctx)
	if pe, ok := errors.AsType[*pool.PanicError](err); ok {
		fmt.Println("panicked:", pe.Value)
		// pe.Stack shows the function that panicked; to crash as the
		// task would have, panic(pe).
	}
	// Output: panicked: runtime error: index out of range [0] with length 0
}

func ExampleFuture_Wait() {
	ctx := context.Background()
	p := pool.New(ctx, 1)
	defer p.Shutdown(ctx)

	release := make(chan struct{})
	fu := pool.Submit(p, func(ctx context.Context) (string, error) {
		<-release
		return "done", nil
	})
	// Giving up waiting leaves the task running.
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err := fu.Wait(short)
	fmt.Println(err)

	close(release)
	fmt.Println(fu.Wait(ctx))
	// Output:
	// context deadline exceeded
	// done <nil>
}

func ExampleFuture_Cancel() {
	ctx := context.Background()
	p := pool.New(ctx, 1)
	defer p.Shutdown(ctx)

	running := pool.Submit(p, func(ctx context.Context) (int, error) {
		<-ctx.Done() // until cancelled
		return 0, ctx.Err()
	})
	queued := pool.Submit(p, func(ctx context.Context) (int, error) {
		return 1, nil // never runs
	})
	queued.Cancel()
	running.Cancel()
	_, err1 := running.Wait(ctx)
	_, err2 := queued.Wait(ctx)
	fmt.Println(err1, err2)
	// Output: context canceled context canceled
}

func ExamplePool_Shutdown() {
	ctx := context.Background()
	p := pool.New(ctx, 2)
	var futs []*pool.Future[int]
	for i := range 3 {
		futs = append(futs, pool.Submit(p, func(ctx context.Context) (int, error) {
			return i * 10, nil
		}))
	}
	// Waits for the three tasks.
	fmt.Println(p.Shutdown(ctx))
	for _, fu := range futs {
		fmt.Println(fu.Wait(ctx)) // done: Wait returns at once
	}

	_, err := pool.Submit(p, func(ctx context.Context) (int, error) { return 0, nil }).Wait(ctx)
	fmt.Println(err)
	// Output:
	// <nil>
	// 0 <nil>
	// 10 <nil>
	// 20 <nil>
	// pool: shut down
}
