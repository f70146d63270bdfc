package queue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/condiag/condiag/queue"
)

// newQueue returns a new queue that is drained when the test ends, so
// that the leak check at the end of the tests (LK3003, work nobody took)
// does not report the items a test left in it on purpose.
func newQueue[T any](t *testing.T, capacity int) *queue.Queue[T] {
	q := queue.New[T](capacity)
	t.Cleanup(func() {
		for {
			if _, err := q.TryGet(); err != nil {
				return
			}
		}
	})
	return q
}

// waitFor polls cond until it holds, and fails t after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waiting waits until q has puts blocked Puts and gets blocked Gets.
func waiting[T any](t *testing.T, q *queue.Queue[T], puts, gets int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d Puts and %d Gets wait", puts, gets), func() bool {
		p, g := q.Waiters()
		return p == puts && g == gets
	})
}

// result receives the outcome of a call made in another goroutine, and
// fails the test if it does not come within 5 s.
func result[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a blocked call to return")
		panic("unreachable")
	}
}

type got struct {
	v   int
	err error
}

func goPut(q *queue.Queue[int], ctx context.Context, v int) <-chan error {
	c := make(chan error, 1)
	go func() { c <- q.Put(ctx, v) }()
	return c
}

func goGet(q *queue.Queue[int], ctx context.Context) <-chan got {
	c := make(chan got, 1)
	go func() {
		v, err := q.Get(ctx)
		c <- got{v, err}
	}()
	return c
}

func mustGet(t *testing.T, q *queue.Queue[int], want int) {
	t.Helper()
	v, err := q.TryGet()
	if err != nil || v != want {
		t.Fatalf("TryGet() = %d, %v; want %d, nil", v, err, want)
	}
}

func TestNewPanics(t *testing.T) {
	for _, give := range []int{0, -1, -100} {
		t.Run(fmt.Sprint(give), func(t *testing.T) {
			defer func() {
				want := fmt.Sprintf("queue: New with capacity %d, want at least 1", give)
				if r := recover(); r != want {
					t.Errorf("New(%d) panicked with %v, want %q", give, r, want)
				}
			}()
			queue.New[int](give)
		})
	}
}

func TestZeroQueuePanics(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		op   func(q *queue.Queue[int])
	}{
		{"Put", func(q *queue.Queue[int]) { q.Put(ctx, 1) }},
		{"Get", func(q *queue.Queue[int]) { q.Get(ctx) }},
		{"TryPut", func(q *queue.Queue[int]) { q.TryPut(1) }},
		{"TryGet", func(q *queue.Queue[int]) { q.TryGet() }},
		{"Close", func(q *queue.Queue[int]) { q.Close() }},
		{"SetName", func(q *queue.Queue[int]) { q.SetName("q") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q queue.Queue[int]
			func() {
				defer func() {
					if r, _ := recover().(string); !strings.Contains(r, "not created by New") {
						t.Errorf("%s on a zero Queue panicked with %q, want it to say it was not created by New", tt.name, r)
					}
				}()
				tt.op(&q)
			}()
			// The panic left the queue's mutex unlocked.
			if n := q.Len(); n != 0 {
				t.Errorf("Len() = %d, want 0", n)
			}
		})
	}
}

// TestModel runs random sequences of operations that do not block against
// a slice.
func TestModel(t *testing.T) {
	for _, capacity := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprint("cap=", capacity), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(capacity)))
			q := newQueue[int](t, capacity)
			var model []int
			next := 0
			for i := 0; i < 2000; i++ {
				switch {
				case r.IntN(2) == 0 && len(model) < capacity:
					if err := q.Put(context.Background(), next); err != nil {
						t.Fatalf("Put: %v", err)
					}
					model = append(model, next)
					next++
				case r.IntN(2) == 0:
					err := q.TryPut(next)
					if len(model) == capacity {
						if !errors.Is(err, queue.ErrFull) {
							t.Fatalf("TryPut on a full queue = %v, want ErrFull", err)
						}
						break
					}
					if err != nil {
						t.Fatalf("TryPut: %v", err)
					}
					model = append(model, next)
					next++
				case len(model) > 0 && r.IntN(2) == 0:
					v, err := q.Get(context.Background())
					if err != nil || v != model[0] {
						t.Fatalf("Get() = %d, %v; want %d, nil", v, err, model[0])
					}
					model = model[1:]
				default:
					v, err := q.TryGet()
					if len(model) == 0 {
						if !errors.Is(err, queue.ErrEmpty) {
							t.Fatalf("TryGet on an empty queue = %d, %v; want ErrEmpty", v, err)
						}
						break
					}
					if err != nil || v != model[0] {
						t.Fatalf("TryGet() = %d, %v; want %d, nil", v, err, model[0])
					}
					model = model[1:]
				}
				if q.Len() != len(model) || q.Cap() != capacity {
					t.Fatalf("Len(), Cap() = %d, %d; want %d, %d", q.Len(), q.Cap(), len(model), capacity)
				}
			}
		})
	}
}

func TestFIFO(t *testing.T) {
	ctx := context.Background()
	q := newQueue[string](t, 5)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		if err := q.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for range 5 {
		s, err := q.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if got := strings.Join(out, ""); got != "abcde" {
		t.Errorf("got %q, want %q", got, "abcde")
	}
}

func TestLenCap(t *testing.T) {
	tests := []struct {
		cap, puts, gets int
		wantLen         int
	}{
		{1, 0, 0, 0},
		{1, 1, 0, 1},
		{4, 3, 1, 2},
		{4, 4, 4, 0},
		{100, 100, 0, 100},
	}
	for _, tt := range tests {
		q := newQueue[int](t, tt.cap)
		for i := range tt.puts {
			q.TryPut(i)
		}
		for range tt.gets {
			q.TryGet()
		}
		if q.Len() != tt.wantLen || q.Cap() != tt.cap {
			t.Errorf("cap %d, %d puts, %d gets: Len(), Cap() = %d, %d; want %d, %d",
				tt.cap, tt.puts, tt.gets, q.Len(), q.Cap(), tt.wantLen, tt.cap)
		}
	}
}

func TestTry(t *testing.T) {
	tests := []struct {
		name    string
		cap     int
		give    []int // put with TryPut first
		close   bool
		put     bool // then TryPut(99)
		wantErr error
	}{
		{"put with room", 2, []int{1}, false, true, nil},
		{"put full", 2, []int{1, 2}, false, true, queue.ErrFull},
		{"put closed", 2, nil, true, true, queue.ErrClosed},
		{"put closed and full", 1, []int{1}, true, true, queue.ErrClosed},
		{"get", 2, []int{1}, false, false, nil},
		{"get empty", 2, nil, false, false, queue.ErrEmpty},
		{"get closed with items", 2, []int{1}, true, false, nil},
		{"get closed and empty", 2, nil, true, false, queue.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newQueue[int](t, tt.cap)
			for _, v := range tt.give {
				if err := q.TryPut(v); err != nil {
					t.Fatal(err)
				}
			}
			if tt.close {
				q.Close()
			}
			var err error
			wantLen := len(tt.give)
			if tt.put {
				err = q.TryPut(99)
				if err == nil {
					wantLen++
				}
			} else {
				var v int
				v, err = q.TryGet()
				if err == nil {
					wantLen--
					if v != tt.give[0] {
						t.Errorf("TryGet() = %d, want %d", v, tt.give[0])
					}
				}
			}
			if err != tt.wantErr {
				t.Errorf("got error %v, want %v", err, tt.wantErr)
			}
			if q.Len() != wantLen {
				t.Errorf("Len() = %d, want %d", q.Len(), wantLen)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	for err, want := range map[error]string{
		queue.ErrClosed: "queue: closed",
		queue.ErrFull:   "queue: full",
		queue.ErrEmpty:  "queue: empty",
	} {
		if err.Error() != want {
			t.Errorf("got %q, want %q", err.Error(), want)
		}
	}
}

func TestPutBlocksWhenFull(t *testing.T) {
	ctx := context.Background()
	q := newQueue[int](t, 2)
	q.Put(ctx, 1)
	q.Put(ctx, 2)
	done := goPut(q, ctx, 3)
	waiting(t, q, 1, 0)
	if n := q.Len(); n != 2 {
		t.Fatalf("Len() = %d with a Put blocked, want 2", n)
	}
	select {
	case err := <-done:
		t.Fatalf("Put into a full queue returned %v without waiting", err)
	default:
	}
	mustGet(t, q, 1)
	if err := result(t, done); err != nil {
		t.Fatalf("blocked Put returned %v", err)
	}
	mustGet(t, q, 2)
	mustGet(t, q, 3)
}

func TestGetBlocksWhenEmpty(t *testing.T) {
	ctx := context.Background()
	q := newQueue[int](t, 2)
	done := goGet(q, ctx)
	waiting(t, q, 0, 1)
	if err := q.TryPut(7); err != nil {
		t.Fatal(err)
	}
	if r := result(t, done); r.v != 7 || r.err != nil {
		t.Fatalf("blocked Get returned %d, %v; want 7, nil", r.v, r.err)
	}
	if n := q.Len(); n != 0 {
		t.Fatalf("Len() = %d, want 0", n)
	}
}

// TestWaiterOrder: blocked Puts are served in the order they blocked, and
// so are blocked Gets, ahead of later callers.
func TestWaiterOrder(t *testing.T) {
	ctx := context.Background()
	t.Run("puts", func(t *testing.T) {
		q := newQueue[int](t, 1)
		q.Put(ctx, 0)
		var dones []<-chan error
		for i := 1; i <= 4; i++ {
			dones = append(dones, goPut(q, ctx, i))
			waiting(t, q, i, 0)
		}
		for want := 0; want <= 4; want++ {
			v, err := q.Get(ctx)
			if err != nil || v != want {
				t.Fatalf("Get() = %d, %v; want %d, nil", v, err, want)
			}
			// The oldest Put's item moved into the freed slot: a later
			// TryPut finds the queue full.
			if want < 4 {
				if err := q.TryPut(100); err != queue.ErrFull {
					t.Fatalf("TryPut while a blocked Put is served = %v, want ErrFull", err)
				}
			}
		}
		for _, d := range dones {
			if err := result(t, d); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("gets", func(t *testing.T) {
		q := newQueue[int](t, 1)
		var dones []<-chan got
		for i := 1; i <= 4; i++ {
			dones = append(dones, goGet(q, ctx))
			waiting(t, q, 0, i)
		}
		for i := 1; i <= 4; i++ {
			if err := q.Put(ctx, i); err != nil {
				t.Fatal(err)
			}
			// The item was handed to the oldest Get: TryGet cannot take it.
			if v, err := q.TryGet(); err != queue.ErrEmpty {
				t.Fatalf("TryGet while a blocked Get is served = %d, %v; want ErrEmpty", v, err)
			}
		}
		for i, d := range dones {
			if r := result(t, d); r.v != i+1 || r.err != nil {
				t.Errorf("Get %d returned %d, %v; want %d, nil", i+1, r.v, r.err, i+1)
			}
		}
	})
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	t.Run("drain", func(t *testing.T) {
		q := newQueue[int](t, 3)
		q.Put(ctx, 1)
		q.Put(ctx, 2)
		q.Close()
		q.Close() // a no-op
		if err := q.Put(ctx, 3); err != queue.ErrClosed {
			t.Fatalf("Put after Close = %v, want ErrClosed", err)
		}
		if err := q.TryPut(3); err != queue.ErrClosed {
			t.Fatalf("TryPut after Close = %v, want ErrClosed", err)
		}
		if n := q.Len(); n != 2 {
			t.Fatalf("Len() = %d after Close, want 2", n)
		}
		for want := 1; want <= 2; want++ {
			if v, err := q.Get(ctx); v != want || err != nil {
				t.Fatalf("Get() = %d, %v; want %d, nil", v, err, want)
			}
		}
		for range 2 {
			if _, err := q.Get(ctx); err != queue.ErrClosed {
				t.Fatalf("Get on a drained closed queue = %v, want ErrClosed", err)
			}
			if _, err := q.TryGet(); err != queue.ErrClosed {
				t.Fatalf("TryGet on a drained closed queue = %v, want ErrClosed", err)
			}
		}
	})
	t.Run("blocked puts", func(t *testing.T) {
		q := newQueue[int](t, 1)
		q.Put(ctx, 1)
		a, b := goPut(q, ctx, 2), goPut(q, ctx, 3)
		waiting(t, q, 2, 0)
		q.Close()
		for _, d := range []<-chan error{a, b} {
			if err := result(t, d); err != queue.ErrClosed {
				t.Fatalf("Put blocked at Close returned %v, want ErrClosed", err)
			}
		}
		mustGet(t, q, 1)
		if v, err := q.TryGet(); err != queue.ErrClosed {
			t.Fatalf("TryGet() = %d, %v; want ErrClosed: the blocked items must not be put", v, err)
		}
	})
	t.Run("blocked gets", func(t *testing.T) {
		q := newQueue[int](t, 1)
		a, b := goGet(q, ctx), goGet(q, ctx)
		waiting(t, q, 0, 2)
		q.Close()
		for _, d := range []<-chan got{a, b} {
			if r := result(t, d); r.err != queue.ErrClosed {
				t.Fatalf("Get blocked at Close returned %d, %v; want ErrClosed", r.v, r.err)
			}
		}
	})
	t.Run("item handed over before close", func(t *testing.T) {
		// An item put before Close goes to the Get it was handed to,
		// whether or not that Get ran before Close.
		for i := range 100 {
			q := newQueue[int](t, 1)
			d := goGet(q, ctx)
			waiting(t, q, 0, 1)
			q.Put(ctx, i)
			q.Close()
			if r := result(t, d); r.v != i || r.err != nil {
				t.Fatalf("Get = %d, %v; want %d, nil", r.v, r.err, i)
			}
		}
	})
	t.Run("item moved in before close", func(t *testing.T) {
		// A blocked Put whose item moved into the queue before Close
		// succeeds, and the item is drained.
		for i := range 100 {
			q := newQueue[int](t, 1)
			q.Put(ctx, -1)
			d := goPut(q, ctx, i)
			waiting(t, q, 1, 0)
			mustGet(t, q, -1)
			q.Close()
			if err := result(t, d); err != nil {
				t.Fatalf("Put served before Close returned %v", err)
			}
			mustGet(t, q, i)
			if _, err := q.TryGet(); err != queue.ErrClosed {
				t.Fatalf("TryGet on a drained closed queue = %v, want ErrClosed", err)
			}
		}
	})
}

func TestContext(t *testing.T) {
	t.Run("put cancelled", func(t *testing.T) {
		q := newQueue[int](t, 1)
		q.Put(context.Background(), 1)
		ctx, cancel := context.WithCancel(context.Background())
		d := goPut(q, ctx, 2)
		waiting(t, q, 1, 0)
		cancel()
		if err := result(t, d); err != context.Canceled {
			t.Fatalf("cancelled Put = %v, want context.Canceled", err)
		}
		waiting(t, q, 0, 0)
		mustGet(t, q, 1)
		if v, err := q.TryGet(); err != queue.ErrEmpty {
			t.Fatalf("TryGet() = %d, %v; want ErrEmpty: a cancelled Put must not put", v, err)
		}
	})
	t.Run("put timeout", func(t *testing.T) {
		q := newQueue[int](t, 1)
		q.Put(context.Background(), 1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if err := q.Put(ctx, 2); err != context.DeadlineExceeded {
			t.Fatalf("Put past its deadline = %v, want context.DeadlineExceeded", err)
		}
		if n := q.Len(); n != 1 {
			t.Fatalf("Len() = %d, want 1", n)
		}
	})
	t.Run("get cancelled", func(t *testing.T) {
		q := newQueue[int](t, 1)
		ctx, cancel := context.WithCancel(context.Background())
		d := goGet(q, ctx)
		waiting(t, q, 0, 1)
		cancel()
		if r := result(t, d); r.err != context.Canceled {
			t.Fatalf("cancelled Get = %d, %v; want context.Canceled", r.v, r.err)
		}
		waiting(t, q, 0, 0)
		q.Put(context.Background(), 7)
		mustGet(t, q, 7) // not taken by the cancelled Get
	})
	t.Run("get timeout", func(t *testing.T) {
		q := newQueue[int](t, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if v, err := q.Get(ctx); err != context.DeadlineExceeded {
			t.Fatalf("Get past its deadline = %d, %v; want context.DeadlineExceeded", v, err)
		}
	})
	t.Run("done before the call", func(t *testing.T) {
		q := newQueue[int](t, 2)
		q.Put(context.Background(), 1)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := q.Put(ctx, 2); err != context.Canceled {
			t.Fatalf("Put with a done context = %v, want context.Canceled", err)
		}
		if _, err := q.Get(ctx); err != context.Canceled {
			t.Fatalf("Get with a done context = %v, want context.Canceled", err)
		}
		if n := q.Len(); n != 1 {
			t.Fatalf("Len() = %d, want 1", n)
		}
	})
	t.Run("cancelled waiter is skipped", func(t *testing.T) {
		// The oldest Get gives up; the next one is served.
		q := newQueue[int](t, 1)
		ctx, cancel := context.WithCancel(context.Background())
		first := goGet(q, ctx)
		waiting(t, q, 0, 1)
		second := goGet(q, context.Background())
		waiting(t, q, 0, 2)
		cancel()
		if r := result(t, first); r.err != context.Canceled {
			t.Fatalf("cancelled Get = %d, %v", r.v, r.err)
		}
		q.Put(context.Background(), 5)
		if r := result(t, second); r.v != 5 || r.err != nil {
			t.Fatalf("Get = %d, %v; want 5, nil", r.v, r.err)
		}
	})
}

// TestStress runs producers and consumers, some with contexts that time
// out, and checks that every item put is taken exactly once, and that each
// consumer sees each producer's items in order.
func TestStress(t *testing.T) {
	for _, timeouts := range []bool{false, true} {
		t.Run(fmt.Sprint("timeouts=", timeouts), func(t *testing.T) {
			stress(t, timeouts)
		})
	}
}

func stress(t *testing.T, timeouts bool) {
	const producers, consumers = 4, 4
	perProducer := 20000
	if testing.Short() {
		perProducer = 500
	}
	q := newQueue[int](t, 3)
	// ctx returns the context of one operation: with timeouts, a third
	// of them get a deadline of a few microseconds.
	ctx := func(r *rand.Rand) (context.Context, context.CancelFunc) {
		if timeouts && r.IntN(3) == 0 {
			return context.WithTimeout(context.Background(), time.Duration(r.IntN(20))*time.Microsecond)
		}
		return context.Background(), func() {}
	}
	put := make([][]int, producers) // what each producer put
	taken := make([][]int, consumers)
	var pwg, cwg sync.WaitGroup
	for p := range producers {
		pwg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(p), 1))
			for i := range perProducer {
				v := p*perProducer + i
				c, cancel := ctx(r)
				err := q.Put(c, v)
				cancel()
				switch {
				case err == nil:
					put[p] = append(put[p], v)
				case !errors.Is(err, context.DeadlineExceeded):
					t.Errorf("Put: %v", err)
					return
				}
			}
		})
	}
	for c := range consumers {
		cwg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 2))
			for {
				cx, cancel := ctx(r)
				v, err := q.Get(cx)
				cancel()
				switch {
				case err == nil:
					taken[c] = append(taken[c], v)
				case err == queue.ErrClosed:
					return
				case !errors.Is(err, context.DeadlineExceeded):
					t.Errorf("Get: %v", err)
					return
				}
			}
		})
	}
	pwg.Wait()
	q.Close()
	cwg.Wait()

	want := map[int]bool{}
	for _, vs := range put {
		for _, v := range vs {
			want[v] = true
		}
	}
	seen := map[int]bool{}
	for c, vs := range taken {
		last := make([]int, producers)
		for i := range last {
			last[i] = -1
		}
		for _, v := range vs {
			if seen[v] {
				t.Fatalf("item %d taken twice", v)
			}
			if !want[v] {
				t.Fatalf("item %d taken but its Put failed", v)
			}
			seen[v] = true
			p := v / perProducer
			if v <= last[p] {
				t.Fatalf("consumer %d took item %d after %d of the same producer", c, v, last[p])
			}
			last[p] = v
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%d items put, %d taken", len(want), len(seen))
	}
	if timeouts && len(want) == producers*perProducer {
		t.Logf("no Put timed out")
	}
	if n := q.Len(); n != 0 {
		t.Fatalf("Len() = %d after draining, want 0", n)
	}
}
