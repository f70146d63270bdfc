package race_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/pool"
	"github.com/condiag/condiag/queue"
	"github.com/condiag/condiag/report"
	csync "github.com/condiag/condiag/sync"
	"github.com/condiag/condiag/sync/semaphore"
)

// A handoffCase is one scenario of TestHandoff: run makes its accesses
// to v, a fresh location, and returns once every goroutine it started
// made its last condiag call.
type handoffCase struct {
	name string
	// want is the finding the scenario must produce: "" for none (no
	// RC2001 and no RC2002), "RC2001" for a data race, "RC2002" for
	// inconsistent locking without a data race.
	want string
	// bug, if set, describes a suspected condiag bug that makes the
	// scenario fail: it is skipped when it fails, with the findings.
	bug string
	run func(t *testing.T, ctx context.Context, v *race.Var)
}

// The correct scenarios touch real memory (x) as the hand-off allows;
// the broken ones only annotate (v.Read, v.Write) and sequence their
// goroutines in time through plain channels, which condiag does not see
// but go test -race does, so that they race on no real memory.
var handoffCases = []handoffCase{
	// Mutex.
	{name: "Mutex/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var mu csync.Mutex
		x := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			mu.Lock()
			v.Write()
			x = 1
			mu.Unlock()
		}()
		<-done
		mu.Lock()
		v.Read()
		_ = x
		v.Write()
		x = 2
		mu.Unlock()
	}},
	{name: "Mutex/broken/read-without-lock", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var mu csync.Mutex
		done := make(chan struct{})
		go func() {
			defer close(done)
			mu.Lock()
			v.Write()
			mu.Unlock()
		}()
		<-done
		v.Read()
	}},

	// RWMutex.
	{name: "RWMutex/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var rw csync.RWMutex
		x := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			rw.Lock()
			v.Write()
			x = 1
			rw.Unlock()
		}()
		<-done
		rw.RLock()
		v.Read()
		_ = x
		rw.RUnlock()
	}},
	{name: "RWMutex/broken/write-under-RLock", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var rw csync.RWMutex
		done := make(chan struct{})
		go func() {
			defer close(done)
			rw.RLock()
			v.Write()
			rw.RUnlock()
		}()
		<-done
		rw.RLock()
		v.Read()
		rw.RUnlock()
	}},

	// WaitGroup.
	{name: "WaitGroup/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var wg csync.WaitGroup
		x := 0
		wg.Add(1)
		go func() {
			v.Write()
			x = 1
			wg.Done()
		}()
		wg.Wait()
		v.Read()
		_ = x
		v.Write()
		x = 2
	}},
	{name: "WaitGroup/broken/write-after-Done", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var wg csync.WaitGroup
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer close(done)
			wg.Done()
			v.Write()
		}()
		wg.Wait()
		<-done
		v.Read()
	}},

	// WaitGroup.Go.
	{name: "WaitGroup.Go/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var wg csync.WaitGroup
		x := 0
		wg.Go(func() {
			v.Write()
			x = 1
		})
		wg.Wait()
		v.Read()
		_ = x
		v.Write()
		x = 2
	}},
	{name: "WaitGroup.Go/broken/read-before-Wait", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var wg csync.WaitGroup
		wrote := make(chan struct{})
		wg.Go(func() {
			v.Write()
			close(wrote)
		})
		<-wrote
		v.Read()
		wg.Wait()
	}},

	// Once.
	{name: "Once/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var once csync.Once
		x := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			once.Do(func() {
				v.Write()
				x = 1
			})
		}()
		<-done
		once.Do(func() { t.Error("once.Do ran f twice") })
		v.Read()
		_ = x
	}},
	{name: "Once/broken/write-after-Do", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var once csync.Once
		done := make(chan struct{})
		go func() {
			defer close(done)
			once.Do(func() {})
			v.Write()
		}()
		<-done
		once.Do(func() { t.Error("once.Do ran f twice") })
		v.Read()
	}},

	// Cond.
	{name: "Cond.Signal/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		condCorrect(v, (*csync.Cond).Signal)
	}},
	{name: "Cond.Broadcast/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		condCorrect(v, (*csync.Cond).Broadcast)
	}},
	{name: "Cond.Signal/broken/write-after-Signal", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		condBroken(v, (*csync.Cond).Signal)
	}},
	{name: "Cond.Broadcast/broken/write-after-Broadcast", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		condBroken(v, (*csync.Cond).Broadcast)
	}},

	// Barrier.
	{name: "Barrier/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		b := csync.NewBarrier(2)
		x := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			v.Write()
			x = 1
			waitBarrier(t, ctx, b)
		}()
		waitBarrier(t, ctx, b)
		v.Read()
		_ = x
		<-done
		v.Write()
		x = 2
	}},
	{name: "Barrier/correct/action", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		x := 0
		b := csync.NewBarrierFunc(2, func() {
			v.Write()
			x = 1
		})
		done := make(chan struct{})
		go func() {
			defer close(done)
			waitBarrier(t, ctx, b)
			v.Read()
			_ = x
		}()
		waitBarrier(t, ctx, b)
		v.Read()
		_ = x
		<-done
	}},
	{name: "Barrier/broken/write-after-Wait", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		b := csync.NewBarrier(2)
		done := make(chan struct{})
		go func() {
			defer close(done)
			waitBarrier(t, ctx, b)
			v.Write()
		}()
		waitBarrier(t, ctx, b)
		<-done
		v.Read()
	}},

	// Event.
	{name: "Event/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var e csync.Event
		x := 0
		go func() {
			v.Write()
			x = 1
			e.Set()
		}()
		if err := e.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		v.Read()
		_ = x
		v.Write()
		x = 2
	}},
	{name: "Event/correct/IsSet",
		run: func(t *testing.T, ctx context.Context, v *race.Var) {
			var e csync.Event
			x := 0
			go func() {
				v.Write()
				x = 1
				e.Set()
			}()
			for !e.IsSet() {
				runtime.Gosched()
			}
			v.Read()
			_ = x
		}},
	{name: "Event/broken/write-after-Set", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var e csync.Event
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.Set()
			v.Write()
		}()
		check(t, e.Wait(ctx))
		<-done
		v.Read()
	}},

	// Queue.
	{name: "Queue/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		q := queue.New[int](1)
		x := 0
		go func() {
			v.Write()
			x = 1
			check(t, q.Put(ctx, 1))
		}()
		if _, err := q.Get(ctx); err != nil {
			t.Fatal(err)
		}
		v.Read()
		_ = x
		v.Write()
		x = 2
	}},
	{name: "Queue/correct/TryGet", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		q := queue.New[int](1)
		x := 0
		put := make(chan struct{})
		go func() {
			defer close(put)
			v.Write()
			x = 1
			check(t, q.Put(ctx, 1))
		}()
		<-put
		if _, err := q.TryGet(); err != nil {
			t.Fatal(err)
		}
		v.Read()
		_ = x
	}},
	{name: "Queue/broken/write-after-Put", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		q := queue.New[int](1)
		done := make(chan struct{})
		go func() {
			defer close(done)
			check(t, q.Put(ctx, 1))
			v.Write()
		}()
		if _, err := q.Get(ctx); err != nil {
			t.Error(err)
		}
		<-done
		v.Read()
	}},

	// Semaphore: the writer holds the only permit while it writes; the
	// reader's Acquire waits for its Release.
	{name: "Semaphore/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		sem := semaphore.NewWeighted(1)
		x := 0
		held := make(chan struct{})
		go func() {
			check(t, sem.Acquire(ctx, 1))
			close(held)
			v.Write()
			x = 1
			sem.Release(1)
		}()
		<-held
		if err := sem.Acquire(ctx, 1); err != nil {
			t.Fatal(err)
		}
		v.Read()
		_ = x
		v.Write()
		x = 2
		sem.Release(1)
	}},
	{name: "Semaphore/broken/write-after-Release", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		sem := semaphore.NewWeighted(1)
		done := make(chan struct{})
		go func() {
			defer close(done)
			check(t, sem.Acquire(ctx, 1))
			sem.Release(1)
			v.Write()
		}()
		<-done
		check(t, sem.Acquire(ctx, 1))
		v.Read()
		sem.Release(1)
	}},

	// Pool.
	{name: "Pool/correct/task-to-Wait", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		p := newPool(t, ctx)
		x := 0
		fu := pool.Submit(p, func(context.Context) (int, error) {
			v.Write()
			x = 1
			return 0, nil
		})
		if _, err := fu.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		v.Read()
		_ = x
		v.Write()
		x = 2
	}},
	{name: "Pool/correct/Submit-to-task", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		p := newPool(t, ctx)
		x := 0
		v.Write()
		x = 1
		fu := pool.Submit(p, func(context.Context) (int, error) {
			v.Read()
			return x, nil
		})
		if _, err := fu.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}},
	// A receive from Done is a channel operation, which condiag does not
	// see: the order comes from the Wait or Err that follows it (docs/race.md).
	{name: "Pool/unseen/Future.Done", want: "RC2001",
		run: func(t *testing.T, ctx context.Context, v *race.Var) {
			p := newPool(t, ctx)
			x := 0
			release := make(chan struct{})
			fu := pool.Submit(p, func(context.Context) (int, error) {
				<-release // Done is called while the task runs
				v.Write()
				x = 1
				return 0, nil
			})
			done := fu.Done()
			close(release)
			<-done
			v.Read()
			_ = x
		}},
	{name: "Pool/correct/Future.Err",
		run: func(t *testing.T, ctx context.Context, v *race.Var) {
			p := newPool(t, ctx)
			x := 0
			fu := pool.Submit(p, func(context.Context) (int, error) {
				v.Write()
				x = 1
				return 0, errTask
			})
			for fu.Err() == nil {
				runtime.Gosched()
			}
			v.Read()
			_ = x
		}},
	{name: "Pool/correct/Shutdown",
		run: func(t *testing.T, ctx context.Context, v *race.Var) {
			p := pool.New(ctx, 1)
			x := 0
			fu := pool.Submit(p, func(context.Context) (int, error) {
				v.Write()
				x = 1
				return 0, nil
			})
			if err := p.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			v.Read()
			_ = x
			_ = fu.Err() // the result was looked at
		}},
	{name: "Pool/broken/read-before-Wait", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		p := newPool(t, ctx)
		wrote := make(chan struct{})
		fu := pool.Submit(p, func(context.Context) (int, error) {
			v.Write()
			close(wrote)
			return 0, nil
		})
		<-wrote
		v.Read()
		if _, err := fu.Wait(ctx); err != nil {
			t.Error(err)
		}
	}},
	{name: "Pool/broken/write-after-Submit", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		p := newPool(t, ctx)
		read := make(chan struct{})
		fu := pool.Submit(p, func(context.Context) (int, error) {
			v.Read()
			close(read)
			return 0, nil
		})
		<-read
		v.Write()
		if _, err := fu.Wait(ctx); err != nil {
			t.Error(err)
		}
	}},

	// go statement.
	{name: "go/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var wg csync.WaitGroup
		x := 0
		v.Write()
		x = 1
		wg.Add(1)
		go func() {
			v.Read()
			_ = x
			wg.Done()
		}()
		wg.Wait()
		v.Write()
		x = 2
	}},
	{name: "go/broken/write-after-first-call", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		// The goroutine's first condiag call (its Read) comes before the
		// creator's Write: only what the creator did before that call is
		// ordered before the goroutine.
		read := make(chan struct{})
		go func() {
			v.Read()
			close(read)
		}()
		<-read
		v.Write()
	}},

	// race.Edge over a plain channel.
	{name: "Edge/correct", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var e race.Edge
		ch := make(chan int)
		x := 0
		go func() {
			v.Write()
			x = 1
			e.Before()
			ch <- 1
		}()
		<-ch
		e.After()
		v.Read()
		_ = x
		v.Write()
		x = 2
	}},
	{name: "Edge/broken/write-after-Before", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var e race.Edge
		ch := make(chan int)
		go func() {
			e.Before()
			v.Write()
			ch <- 1
		}()
		<-ch
		e.After()
		v.Read()
	}},

	// What condiag does not see.
	{name: "plain-channel/broken", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		ch := make(chan int)
		go func() {
			v.Write()
			ch <- 1
		}()
		<-ch
		v.Read()
	}},
	{name: "std-sync.Mutex/broken", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var mu sync.Mutex
		done := make(chan struct{})
		go func() {
			defer close(done)
			mu.Lock()
			v.Write()
			mu.Unlock()
		}()
		<-done
		mu.Lock()
		v.Read()
		mu.Unlock()
	}},
	{name: "std-sync.WaitGroup/broken", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var wg sync.WaitGroup
		wg.Go(func() { v.Write() })
		wg.Wait()
		v.Read()
	}},
	{name: "sync/atomic/broken", want: "RC2001", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var flag atomic.Bool
		go func() {
			v.Write()
			flag.Store(true)
		}()
		for !flag.Load() {
			runtime.Gosched()
		}
		v.Read()
	}},

	// RC2002: every pair of writes is ordered through muC, so there is no
	// data race, but the writes hold muA, muB, muA: no lock is common to
	// them. (The first write is the location's initialisation to the
	// lockset, which starts with the first access by a second goroutine:
	// the second write under muB, then the third under muA empties it.)
	{name: "lockset/different-locks", want: "RC2002", run: func(t *testing.T, ctx context.Context, v *race.Var) {
		var muA, muB, muC csync.Mutex
		first, second, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			muA.Lock()
			v.Write()
			muA.Unlock()
			muC.Lock()
			muC.Unlock()
			close(first)
			<-second
			muC.Lock()
			muC.Unlock()
			muA.Lock()
			v.Write()
			muA.Unlock()
		}()
		go func() {
			<-first
			muC.Lock()
			muC.Unlock()
			muB.Lock()
			v.Write()
			muB.Unlock()
			muC.Lock()
			muC.Unlock()
			close(second)
		}()
		<-done
	}},
}

// condCorrect writes v under the Cond's lock then wakes the waiter with
// wake; the waiter reads after its Wait loop.
func condCorrect(v *race.Var, wake func(*csync.Cond)) {
	var mu csync.Mutex
	c := csync.NewCond(&mu)
	x, ready := 0, false
	mu.Lock()
	// The writer cannot take mu before the waiter's Wait releases it.
	go func() {
		mu.Lock()
		v.Write()
		x = 1
		ready = true
		wake(c)
		mu.Unlock()
	}()
	for !ready {
		c.Wait()
	}
	v.Read()
	_ = x
	v.Write()
	x = 2
	mu.Unlock()
}

// condBroken writes v after waking the waiter and unlocking; the waiter
// reads after its Wait loop.
func condBroken(v *race.Var, wake func(*csync.Cond)) {
	var mu csync.Mutex
	c := csync.NewCond(&mu)
	ready := false
	done := make(chan struct{})
	mu.Lock()
	go func() {
		defer close(done)
		mu.Lock()
		ready = true
		wake(c)
		mu.Unlock()
		v.Write()
	}()
	for !ready {
		c.Wait()
	}
	mu.Unlock()
	<-done
	v.Read()
}

var errTask = errors.New("task failed")

// newPool returns a pool of one worker, shut down at the end of the
// test, whose worker has already run a task: it is known to condiag
// before the scenario starts, so that only the pool orders it, not its
// creation.
func newPool(t *testing.T, ctx context.Context) *pool.Pool {
	p := pool.New(ctx, 1)
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if _, err := pool.Submit(p, func(context.Context) (int, error) { return 0, nil }).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

// check reports a non-nil error; any goroutine may call it.
func check(t *testing.T, err error) {
	if err != nil {
		t.Error(err)
	}
}

// waitBarrier waits at b; any goroutine may call it.
func waitBarrier(t *testing.T, ctx context.Context, b *csync.Barrier) {
	_, err := b.Wait(ctx)
	check(t, err)
}

var varSeq atomic.Int64

func TestHandoff(t *testing.T) {
	src, err := os.ReadFile("handoff_test.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(src, []byte("\n"))
	for _, c := range handoffCases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []report.Finding
			old := condiag.SetHandler(func(f report.Finding) {
				mu.Lock()
				got = append(got, f)
				mu.Unlock()
			})
			restored := false
			restore := func() {
				if !restored {
					restored = true
					condiag.SetHandler(old)
				}
			}
			defer restore()

			// Fresh names: findings are told apart by their messages.
			v := race.NewVar(fmt.Sprintf("%s #%d", t.Name(), varSeq.Add(1)))
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			c.run(t, ctx, v)
			restore()

			mu.Lock()
			fs := slices.Clone(got)
			mu.Unlock()
			var text strings.Builder
			has := map[string]bool{}
			for _, f := range fs {
				fmt.Fprintf(&text, "\n\t%s at %s:%d: %s", f.ID, f.Location.File, f.Location.Line, f.Message)
				has[f.ID] = true
			}
			if !race.Instrumented {
				if len(fs) != 0 {
					t.Errorf("condiagoff: %d findings:%s", len(fs), text.String())
				}
				if c.want != "" {
					t.Skip("condiagoff: nothing is reported")
				}
				return
			}

			var problem string
			switch c.want {
			case "":
				if has["RC2001"] || has["RC2002"] {
					problem = "correct hand-off reported"
				}
			case "RC2001":
				if !has["RC2001"] {
					problem = "no RC2001 for unordered accesses"
				}
			case "RC2002":
				if !has["RC2002"] || has["RC2001"] {
					problem = "want RC2002 and no RC2001"
				}
			}
			if problem != "" {
				if c.bug != "" {
					t.Skipf("condiag bug: %s. %s:%s", c.bug, problem, text.String())
				}
				t.Fatalf("%s; %d findings:%s", problem, len(fs), text.String())
			}
			if c.bug != "" {
				t.Logf("suspected condiag bug no longer reproduces: %s", c.bug)
			}
			for _, f := range fs {
				switch f.ID {
				case "RC2001":
					// Placed at the write.
					l := f.Location
					if !strings.HasSuffix(l.File, "/handoff_test.go") || l.Line < 1 || l.Line > len(lines) ||
						!bytes.Contains(lines[l.Line-1], []byte(".Write")) {
						t.Errorf("RC2001 not at a v.Write() of this file: %s:%d: %s", l.File, l.Line, f.Message)
					}
				case "RC2002":
				default:
					t.Logf("other finding: %s at %s:%d: %s", f.ID, f.Location.File, f.Location.Line, f.Message)
				}
			}
		})
	}
}

// Many Do calls on fresh Onces, some on the fast path while the first
// is still returning: no finding, and (under -race) no race in condiag.
func TestOnceManyCallers(t *testing.T) {
	if !race.Instrumented {
		t.Skip("condiagoff")
	}
	var got []report.Finding
	var mu sync.Mutex
	old := condiag.SetHandler(func(f report.Finding) { mu.Lock(); got = append(got, f); mu.Unlock() })
	defer condiag.SetHandler(old)
	var wg csync.WaitGroup
	for range 50 {
		v := race.NewVar("once.value")
		var once csync.Once
		x := 0
		for j := range 6 {
			wg.Go(func() {
				time.Sleep(time.Duration(j) * 100 * time.Microsecond)
				once.Do(func() { v.Write(); x = 1 })
				v.Read()
				_ = x
			})
		}
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, f := range got {
		t.Errorf("%s: %s", f.ID, f.Message)
	}
}
