package sync_test

import (
	"context"
	"fmt"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/condiag/condiag/sync"
)

// isClosed reports whether ch is closed, without blocking.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// shortCtx returns a context that times out soon.
func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func TestEventSetClear(t *testing.T) {
	var e sync.Event
	steps := []struct {
		name string
		do   func()
		want bool
	}{
		{"zero", func() {}, false},
		{"Clear of a clear event", e.Clear, false},
		{"Set", e.Set, true},
		{"Set again", e.Set, true},
		{"Clear", e.Clear, false},
		{"Clear again", e.Clear, false},
		{"Set after Clear", e.Set, true},
	}
	for _, s := range steps {
		s.do()
		if got := e.IsSet(); got != s.want {
			t.Fatalf("%s: IsSet %v, want %v", s.name, got, s.want)
		}
		err := e.Wait(shortCtx(t))
		if s.want && err != nil {
			t.Fatalf("%s: Wait on a set event: %v", s.name, err)
		}
		if !s.want && err != context.DeadlineExceeded {
			t.Fatalf("%s: Wait on a clear event: %v, want context.DeadlineExceeded", s.name, err)
		}
		if got := isClosed(e.Done()); got != s.want {
			t.Fatalf("%s: Done closed %v, want %v", s.name, got, s.want)
		}
	}
}

func TestEventWaitEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var e sync.Event
	if err := e.Wait(ctx); err != context.Canceled {
		t.Fatalf("Wait with a cancelled context: %v, want context.Canceled", err)
	}
	e.Set()
	if err := e.Wait(ctx); err != nil {
		t.Fatalf("Wait on a set event with a cancelled context: %v, want nil", err)
	}
}

// TestEventWakesAll: one Set wakes every waiter, also those woken after
// the event was cleared again.
func TestEventWakesAll(t *testing.T) {
	const waiters = 50
	var e sync.Event
	var blocked stdsync.WaitGroup
	errs := make(chan error, waiters)
	for range waiters {
		blocked.Add(1)
		go func() {
			blocked.Done()
			errs <- e.Wait(context.Background())
		}()
	}
	blocked.Wait()
	time.Sleep(10 * time.Millisecond) // let most of them block; not needed for correctness
	e.Set()
	e.Clear()
	for range waiters {
		if err := recv(t, errs); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
}

// TestEventClearThenWait: after Clear, Wait blocks again until the next
// Set, and Done gives a new channel; the old one stays closed.
func TestEventClearThenWait(t *testing.T) {
	var e sync.Event
	e.Set()
	old := e.Done()
	e.Clear()
	if err := e.Wait(shortCtx(t)); err != context.DeadlineExceeded {
		t.Fatalf("Wait after Clear: %v, want context.DeadlineExceeded", err)
	}
	if !isClosed(old) {
		t.Fatal("Done's channel of the previous Set reopened")
	}
	next := e.Done()
	if isClosed(next) || e.Done() != next {
		t.Fatal("Done after Clear is not one open channel")
	}
	woken := make(chan error, 1)
	go func() { woken <- e.Wait(context.Background()) }()
	select {
	case err := <-woken:
		t.Fatalf("Wait returned %v before Set", err)
	case <-time.After(20 * time.Millisecond):
	}
	e.Set()
	if err := recv(t, woken); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if !isClosed(next) {
		t.Fatal("Set did not close Done's channel")
	}
}

// TestEventStress sets, clears and waits from several goroutines: every
// Wait ends with nil or its context's error, and nothing hangs.
func TestEventStress(t *testing.T) {
	rounds := 5000
	if testing.Short() {
		rounds = 500
	}
	var e sync.Event
	var wg stdsync.WaitGroup
	var woken, timedOut atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for r := range rounds {
				switch (r + w) % 4 {
				case 0:
					e.Set()
				case 1:
					e.Clear()
				default:
					ctx, cancel := context.WithTimeout(context.Background(), 50*time.Microsecond)
					err := e.Wait(ctx)
					cancel()
					switch err {
					case nil:
						woken.Add(1)
					case context.DeadlineExceeded:
						timedOut.Add(1)
					default:
						t.Errorf("Wait: %v", err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d Waits returned nil, %d timed out", woken.Load(), timedOut.Load())
}

func ExampleEvent() {
	var ready sync.Event
	var wg stdsync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			if err := ready.Wait(context.Background()); err == nil {
				_ = i // work once ready
			}
		})
	}
	ready.Set()
	wg.Wait()
	fmt.Println(ready.IsSet())

	ready.Clear()
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	fmt.Println(ready.Wait(ctx))
	// Output:
	// true
	// context deadline exceeded
}
