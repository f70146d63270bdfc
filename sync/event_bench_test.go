package sync_test

import (
	"context"
	stdsync "sync"
	"sync/atomic"
	"testing"

	"github.com/condiag/condiag/sync"
)

// chanEvent is an event made of a channel closed while it is set, the
// reference of the benchmarks.
type chanEvent struct {
	mu stdsync.Mutex // serializes Set and Clear
	ch atomic.Pointer[chan struct{}]
}

func newChanEvent() *chanEvent {
	e := &chanEvent{}
	ch := make(chan struct{})
	e.ch.Store(&ch)
	return e
}

func (e *chanEvent) IsSet() bool { return isClosed(*e.ch.Load()) }

func (e *chanEvent) Set() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ch := *e.ch.Load(); !isClosed(ch) {
		close(ch)
	}
}

func (e *chanEvent) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if isClosed(*e.ch.Load()) {
		ch := make(chan struct{})
		e.ch.Store(&ch)
	}
}

func (e *chanEvent) Wait(ctx context.Context) error {
	select {
	case <-*e.ch.Load():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// event is the API the benchmarks use.
type event interface {
	Set()
	Clear()
	IsSet() bool
	Wait(context.Context) error
}

func BenchmarkEvent(b *testing.B) {
	impls := []struct {
		name string
		make func() event
	}{
		{"chan", func() event { return newChanEvent() }},
		{"condiag", func() event { return new(sync.Event) }},
	}
	cases := []struct {
		name string
		run  func(b *testing.B, mk func() event)
	}{
		{"IsSet", func(b *testing.B, mk func() event) {
			e := mk()
			e.Set()
			for b.Loop() {
				e.IsSet()
			}
		}},
		{"WaitSet", func(b *testing.B, mk func() event) {
			e := mk()
			e.Set()
			ctx := context.Background()
			for b.Loop() {
				e.Wait(ctx)
			}
		}},
		{"SetSet", func(b *testing.B, mk func() event) {
			e := mk()
			e.Set()
			for b.Loop() {
				e.Set()
			}
		}},
		{"SetClear", func(b *testing.B, mk func() event) {
			e := mk()
			for b.Loop() {
				e.Set()
				e.Clear()
			}
		}},
		{"WaitSetParallel", func(b *testing.B, mk func() event) {
			e := mk()
			e.Set()
			ctx := context.Background()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e.Wait(ctx)
				}
			})
		}},
		{"WakeOne", func(b *testing.B, mk func() event) {
			e := mk()
			// A ping-pong: the benchmark sets ping and waits for pong,
			// another goroutine waits for ping, clears it and sets
			// pong. Each op is one blocking Wait and wake-up per side.
			ping, pong := e, mk()
			ctx := context.Background()
			go func() {
				for range b.N {
					ping.Wait(ctx)
					ping.Clear()
					pong.Set()
				}
			}()
			for range b.N {
				ping.Set()
				pong.Wait(ctx)
				pong.Clear()
			}
		}},
	}
	for _, c := range cases {
		for _, impl := range impls {
			b.Run(c.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				c.run(b, impl.make)
			})
		}
	}
}
