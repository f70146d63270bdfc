package queue_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/condiag/condiag/queue"
	"github.com/condiag/condiag/trace"
)

// The benchmarks run each case on a buffered channel of the same capacity
// ("chan") and on a Queue ("condiag") in the same run, so that benchstat
// can compare them:
//
//	go test -run=NONE -bench=. -benchmem -count=10 ./queue > new.txt
//	benchstat -col /impl new.txt

// BenchmarkPutGet: a Put then a Get on one goroutine, never blocking.
func BenchmarkPutGet(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=chan", func(b *testing.B) {
		c := make(chan int, 64)
		for b.Loop() {
			c <- 1
			<-c
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		q := queue.New[int](64)
		for b.Loop() {
			q.Put(ctx, 1)
			q.Get(ctx)
		}
	})
	b.Run("impl=traced", func(b *testing.B) {
		if !queue.Instrumented {
			b.Skip("nothing is traced with the tag condiagoff")
		}
		if err := trace.Start(io.Discard); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { trace.Stop() })
		q := queue.New[int](64)
		for b.Loop() {
			q.Put(ctx, 1)
			q.Get(ctx)
		}
	})
}

// BenchmarkTryPutGet: TryPut then TryGet, against a select with a default
// case on each side.
func BenchmarkTryPutGet(b *testing.B) {
	b.Run("impl=chan", func(b *testing.B) {
		c := make(chan int, 64)
		for b.Loop() {
			select {
			case c <- 1:
			default:
			}
			select {
			case <-c:
			default:
			}
		}
	})
	b.Run("impl=condiag", func(b *testing.B) {
		q := queue.New[int](64)
		for b.Loop() {
			q.TryPut(1)
			q.TryGet()
		}
	})
}

// BenchmarkProducerConsumer: one goroutine puts b.N items, another takes
// them; ns/op is per item.
func BenchmarkProducerConsumer(b *testing.B) {
	ctx := context.Background()
	for _, capacity := range []int{64, 1} {
		b.Run(fmt.Sprintf("cap=%d/impl=chan", capacity), func(b *testing.B) {
			c := make(chan int, capacity)
			go func() {
				for i := range b.N {
					c <- i
				}
			}()
			for range b.N {
				<-c
			}
		})
		b.Run(fmt.Sprintf("cap=%d/impl=condiag", capacity), func(b *testing.B) {
			q := queue.New[int](capacity)
			go func() {
				for i := range b.N {
					q.Put(ctx, i)
				}
			}()
			for range b.N {
				q.Get(ctx)
			}
		})
	}
}
