package sync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/condiag/condiag/sync"
)

// result is what one call of Barrier.Wait returned.
type result struct {
	i   int
	err error
}

// waitAsync calls b.Wait(ctx) in a new goroutine.
func waitAsync(b *sync.Barrier, ctx context.Context) <-chan result {
	ch := make(chan result, 1)
	go func() {
		i, err := b.Wait(ctx)
		ch <- result{i, err}
	}()
	return ch
}

// recv returns what ch delivers, failing t if nothing comes within 10s.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing returned within 10s")
		panic("unreachable")
	}
}

// waitFor polls until cond holds, failing t after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// brokenBy checks that err is a *BrokenBarrierError with the given party
// and cause, and returns it.
func brokenBy(t *testing.T, err error, party int, cause error) *sync.BrokenBarrierError {
	t.Helper()
	if !errors.Is(err, sync.ErrBrokenBarrier) {
		t.Fatalf("error %v does not match ErrBrokenBarrier", err)
	}
	var be *sync.BrokenBarrierError
	if !errors.As(err, &be) {
		t.Fatalf("error %v (%T) is not a *BrokenBarrierError", err, err)
	}
	if be.Party != party || be.Cause != cause {
		t.Fatalf("broken by party %d, cause %v; want party %d, cause %v", be.Party, be.Cause, party, cause)
	}
	return be
}

func TestBarrierGenerations(t *testing.T) {
	for _, parties := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprintf("parties=%d", parties), func(t *testing.T) {
			const gens = 50
			var (
				arrived = make([]atomic.Int64, parties) // the generation each party is in
				actions atomic.Int64
				bad     atomic.Value
			)
			// The action runs once per generation, after every party
			// arrived and before any returns.
			b := sync.NewBarrierFunc(parties, func() {
				gen := actions.Load()
				for p := range arrived {
					if got := arrived[p].Load(); got != gen {
						bad.Store(fmt.Sprintf("action of generation %d: party %d is in generation %d", gen, p, got))
					}
				}
				actions.Add(1)
			})
			idx := make([][]int, parties) // idx[p][gen]
			var wg stdsync.WaitGroup
			for p := range parties {
				wg.Go(func() {
					for gen := range gens {
						arrived[p].Store(int64(gen))
						i, err := b.Wait(context.Background())
						if err != nil {
							bad.Store(fmt.Sprintf("party %d, generation %d: %v", p, gen, err))
							return
						}
						if n := actions.Load(); n != int64(gen+1) {
							bad.Store(fmt.Sprintf("party %d returned from generation %d after %d actions", p, gen, n))
						}
						idx[p] = append(idx[p], i)
					}
				})
			}
			wg.Wait()
			if v := bad.Load(); v != nil {
				t.Fatal(v)
			}
			for gen := range gens {
				var got []int
				for p := range parties {
					got = append(got, idx[p][gen])
				}
				slices.Sort(got)
				for k := range got {
					if got[k] != k {
						t.Fatalf("generation %d: indices %v, want a permutation of 0..%d", gen, got, parties-1)
					}
				}
			}
			if b.Parties() != parties || b.Waiting() != 0 || b.Broken() {
				t.Errorf("after the rounds: Parties %d, Waiting %d, Broken %v", b.Parties(), b.Waiting(), b.Broken())
			}
		})
	}
}

// TestBarrierTimeoutBreaks: a party whose context times out breaks the
// barrier for the one waiting and for every later Wait, until Reset.
func TestBarrierTimeoutBreaks(t *testing.T) {
	b := sync.NewBarrier(3)
	first := waitAsync(b, context.Background())
	waitFor(t, "the first party", func() bool { return b.Waiting() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if i, err := b.Wait(ctx); i != -1 || err != context.DeadlineExceeded {
		t.Fatalf("timed out Wait returned %d, %v; want -1, context.DeadlineExceeded", i, err)
	}
	r := recv(t, first)
	if r.i != -1 {
		t.Errorf("broken Wait returned index %d, want -1", r.i)
	}
	be := brokenBy(t, r.err, 1, context.DeadlineExceeded)
	if want := "party 1's context ended: context deadline exceeded"; !strings.Contains(be.Error(), want) {
		t.Errorf("error %q does not say %q", be, want)
	}
	if errors.Is(r.err, context.DeadlineExceeded) {
		t.Error("the other party's error matches context.DeadlineExceeded")
	}
	if !b.Broken() || b.Waiting() != 0 {
		t.Errorf("after the timeout: Broken %v, Waiting %d", b.Broken(), b.Waiting())
	}

	// Later Waits fail at once, with the same error, until Reset.
	for range 2 {
		if i, err := b.Wait(context.Background()); i != -1 || err != r.err {
			t.Fatalf("Wait on a broken barrier returned %d, %v; want -1, %v", i, err, r.err)
		}
	}
	b.Reset()
	if b.Broken() {
		t.Fatal("broken after Reset")
	}
	roundOf(t, b)
}

// roundOf runs one generation of b and checks it trips.
func roundOf(t *testing.T, b *sync.Barrier) {
	t.Helper()
	var chs []<-chan result
	for range b.Parties() {
		chs = append(chs, waitAsync(b, context.Background()))
	}
	var got []int
	for _, ch := range chs {
		r := recv(t, ch)
		if r.err != nil {
			t.Fatalf("Wait: %v", r.err)
		}
		got = append(got, r.i)
	}
	slices.Sort(got)
	if got[0] != 0 || got[len(got)-1] != b.Parties()-1 {
		t.Fatalf("indices %v", got)
	}
}

func TestBarrierResetWakesWaiters(t *testing.T) {
	b := sync.NewBarrier(3)
	a, c := waitAsync(b, context.Background()), waitAsync(b, context.Background())
	waitFor(t, "two parties", func() bool { return b.Waiting() == 2 })
	b.Reset()
	for _, ch := range []<-chan result{a, c} {
		r := recv(t, ch)
		be := brokenBy(t, r.err, -1, nil)
		if be.Error() != "sync: barrier broken: reset" {
			t.Errorf("error %q", be)
		}
	}
	if b.Broken() || b.Waiting() != 0 {
		t.Errorf("after Reset: Broken %v, Waiting %d", b.Broken(), b.Waiting())
	}
	b.Reset() // nobody waits: nothing happens
	roundOf(t, b)
	roundOf(t, b)
}

// TestBarrierEndedContext: a Wait whose context has already ended does
// not arrive and breaks the barrier, even as the last party.
func TestBarrierEndedContext(t *testing.T) {
	custom := errors.New("shutting down")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	withCause, cancelCause := context.WithCancelCause(context.Background())
	cancelCause(custom)
	tests := []struct {
		name      string
		parties   int
		ctx       context.Context
		wantErr   error
		wantCause error
	}{
		{"canceled", 2, canceled, context.Canceled, context.Canceled},
		{"last party", 1, canceled, context.Canceled, context.Canceled},
		{"cause", 3, withCause, context.Canceled, custom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := sync.NewBarrier(tt.parties)
			if i, err := b.Wait(tt.ctx); i != -1 || err != tt.wantErr {
				t.Fatalf("Wait returned %d, %v; want -1, %v", i, err, tt.wantErr)
			}
			if !b.Broken() || b.Waiting() != 0 {
				t.Fatalf("Broken %v, Waiting %d", b.Broken(), b.Waiting())
			}
			_, err := b.Wait(context.Background())
			be := brokenBy(t, err, -1, tt.wantCause)
			if !strings.Contains(be.Error(), "had ended when it called Wait: "+tt.wantCause.Error()) {
				t.Errorf("error %q does not name the cause", be)
			}
		})
	}
}

func TestBarrierErrorMessages(t *testing.T) {
	tests := []struct {
		give *sync.BrokenBarrierError
		want string
	}{
		{&sync.BrokenBarrierError{Party: -1}, "sync: barrier broken: reset"},
		{&sync.BrokenBarrierError{Party: 2, Cause: context.Canceled}, "sync: barrier broken: party 2's context ended: context canceled"},
		{&sync.BrokenBarrierError{Party: -1, Cause: context.DeadlineExceeded}, "sync: barrier broken: a party's context had ended when it called Wait: context deadline exceeded"},
	}
	for _, tt := range tests {
		if got := tt.give.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.give, sync.ErrBrokenBarrier) || errors.Is(tt.give, context.Canceled) {
			t.Errorf("%q: errors.Is wrong", tt.want)
		}
	}
	if errors.Is(context.Canceled, sync.ErrBrokenBarrier) {
		t.Error("context.Canceled matches ErrBrokenBarrier")
	}
}

func TestBarrierActionPanics(t *testing.T) {
	b := sync.NewBarrierFunc(2, func() { panic("boom") })
	other := waitAsync(b, context.Background())
	waitFor(t, "the first party", func() bool { return b.Waiting() == 1 })
	got := func() (p any) {
		defer func() { p = recover() }()
		b.Wait(context.Background())
		return nil
	}()
	if got != "boom" {
		t.Fatalf("last party recovered %v, want the action's panic", got)
	}
	r := recv(t, other)
	var be *sync.BrokenBarrierError
	if !errors.As(r.err, &be) || be.Party != 1 || be.Cause == nil {
		t.Fatalf("the other party got %#v, want a *BrokenBarrierError of party 1 with a cause", r.err)
	}
	if want := "sync: barrier broken: party 1: the barrier action panicked"; !strings.HasPrefix(be.Error(), want) {
		t.Errorf("error %q, want %q", be, want)
	}
	if !b.Broken() {
		t.Error("not broken after the action panicked")
	}
}

// TestBarrierCancelDuringAction: a party whose context ends while the
// action runs does not break the barrier, and returns after the action.
func TestBarrierCancelDuringAction(t *testing.T) {
	running, release := make(chan struct{}), make(chan struct{})
	b := sync.NewBarrierFunc(2, func() {
		close(running)
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := waitAsync(b, ctx)
	waitFor(t, "the first party", func() bool { return b.Waiting() == 1 })
	last := waitAsync(b, context.Background())
	recv(t, running)
	cancel()
	select {
	case r := <-first:
		t.Fatalf("a party returned %v while the action ran", r)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if r := recv(t, first); r != (result{0, nil}) {
		t.Errorf("first party: %v, want index 0", r)
	}
	if r := recv(t, last); r != (result{1, nil}) {
		t.Errorf("last party: %v, want index 1", r)
	}
	if b.Broken() {
		t.Error("broken")
	}
}

func TestBarrierMisuse(t *testing.T) {
	tests := []struct {
		name string
		give func()
		want string
	}{
		{"zero parties", func() { sync.NewBarrier(0) }, "sync: NewBarrier with 0 parties, want at least 1"},
		{"negative parties", func() { sync.NewBarrierFunc(-3, func() {}) }, "sync: NewBarrier with -3 parties, want at least 1"},
		{"nil action", func() { sync.NewBarrierFunc(2, nil) }, "sync: NewBarrierFunc with a nil action"},
		{"zero Barrier", func() {
			var b sync.Barrier
			b.Wait(context.Background())
		}, "sync: Wait on a Barrier not made by NewBarrier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := func() (p any) {
				defer func() { p = recover() }()
				tt.give()
				return nil
			}()
			if got != tt.want {
				t.Errorf("panic %v, want %q", got, tt.want)
			}
		})
	}
}

// TestBarrierStress mixes trips, timeouts and resets: every Wait returns,
// with an index and nil or with -1 and an error of the documented kinds.
func TestBarrierStress(t *testing.T) {
	rounds := 2000
	if testing.Short() {
		rounds = 200
	}
	const parties = 4
	b := sync.NewBarrier(parties)
	var (
		wg                        stdsync.WaitGroup
		bad                       atomic.Value
		tripped, broken, timedOut atomic.Int64
		finished                  atomic.Int64
		timeouts                  = []time.Duration{0, time.Microsecond, 100 * time.Microsecond}
	)
	for p := range parties {
		wg.Go(func() {
			defer finished.Add(1)
			for r := range rounds {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if (r*parties+p)%29 == 0 {
					ctx, cancel = context.WithTimeout(ctx, timeouts[r%len(timeouts)])
				}
				i, err := b.Wait(ctx)
				cancel()
				switch {
				case err == nil && (i < 0 || i >= parties):
					bad.Store(fmt.Sprintf("index %d", i))
				case err != nil && i != -1:
					bad.Store(fmt.Sprintf("index %d with %v", i, err))
				case err != nil && err != context.DeadlineExceeded && !errors.Is(err, sync.ErrBrokenBarrier):
					bad.Store(fmt.Sprintf("error %v", err))
				}
				switch {
				case err == nil:
					tripped.Add(1)
					continue
				case err == context.DeadlineExceeded:
					timedOut.Add(1)
				default:
					broken.Add(1)
				}
				for b.Broken() {
					time.Sleep(20 * time.Microsecond) // the resetter repairs it
				}
			}
		})
	}
	done := make(chan struct{})
	go func() {
		// Repair the barrier, and once a party has done its rounds, wake
		// the others, who wait for it in vain.
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Microsecond):
				if b.Broken() || finished.Load() > 0 {
					b.Reset()
				}
			}
		}
	}()
	wg.Wait()
	close(done)
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}
	t.Logf("%d Waits tripped, %d timed out, %d broken", tripped.Load(), timedOut.Load(), broken.Load())
	if tripped.Load() == 0 || timedOut.Load() == 0 || broken.Load() == 0 {
		t.Error("some case never happened")
	}
}

func ExampleBarrier() {
	const parties = 3
	b := sync.NewBarrierFunc(parties, func() { fmt.Println("all arrived") })
	var wg stdsync.WaitGroup
	for range parties {
		wg.Go(func() {
			if _, err := b.Wait(context.Background()); err != nil {
				fmt.Println(err)
			}
		})
	}
	wg.Wait()

	// A party that gives up breaks the barrier for the others.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Wait(ctx)
	fmt.Println(err)
	_, err = b.Wait(context.Background())
	fmt.Println(err)
	// Output:
	// all arrived
	// context canceled
	// sync: barrier broken: a party's context had ended when it called Wait: context canceled
}
