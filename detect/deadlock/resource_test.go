package deadlock

import (
	"slices"
	"strings"
	"testing"

	"github.com/condiag/condiag/internal/tracefmt"
)

func TestWaitCyclesAny(t *testing.T) {
	lock := LockInfo{ID: 1, Kind: "Mutex", Class: "a.mu"}
	queue := LockInfo{ID: 2, Kind: "Queue", Class: "q"}
	tests := []struct {
		name string
		ws   []Waiter
		want [][]int64 // goroutines of each cycle
	}{{
		// Producer 1 holds the lock and waits for consumer 2, the only
		// one that takes from the queue; 2 waits for the lock.
		name: "one consumer",
		ws: []Waiter{
			{Goroutine: 1, Lock: queue, WaitsFor: []int64{2}, Any: true, Verb: "put into"},
			{Goroutine: 2, Lock: lock, WaitsFor: []int64{1}},
		},
		want: [][]int64{{1, 2}},
	}, {
		// Consumer 3 is not blocked: it can still take an item.
		name: "a consumer runs",
		ws: []Waiter{
			{Goroutine: 1, Lock: queue, WaitsFor: []int64{2, 3}, Any: true, Verb: "put into"},
			{Goroutine: 2, Lock: lock, WaitsFor: []int64{1}},
		},
	}, {
		// Consumer 3 is blocked too, on the same lock: nobody can take.
		name: "every consumer blocked",
		ws: []Waiter{
			{Goroutine: 1, Lock: queue, WaitsFor: []int64{2, 3}, Any: true, Verb: "put into"},
			{Goroutine: 2, Lock: lock, WaitsFor: []int64{1}},
			{Goroutine: 3, Lock: lock, WaitsFor: []int64{1}},
		},
		want: [][]int64{{1, 2}, {1, 3}},
	}, {
		// The only worker of a pool waits for a task queued behind
		// its own.
		name: "deadlock of one",
		ws:   []Waiter{{Goroutine: 5, Lock: queue, WaitsFor: []int64{5}, Any: true, Verb: "get the result of task 2 of"}},
		want: [][]int64{{5}},
	}, {
		// A consumer blocked for another reason that nothing explains
		// (a wait nobody is known to end) may still be woken.
		name: "a consumer's wait is uncertain",
		ws: []Waiter{
			{Goroutine: 1, Lock: queue, WaitsFor: []int64{2, 3}, Any: true, Verb: "put into"},
			{Goroutine: 2, Lock: lock, WaitsFor: []int64{1}},
			{Goroutine: 3, Lock: queue, Uncertain: true},
		},
	}, {
		name: "nobody known",
		ws: []Waiter{
			{Goroutine: 1, Lock: queue, Any: true, Verb: "put into"},
			{Goroutine: 2, Lock: lock, WaitsFor: []int64{1}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]int64
			for _, c := range WaitCycles(tt.ws) {
				var gs []int64
				for _, i := range c {
					gs = append(gs, tt.ws[i].Goroutine)
				}
				got = append(got, gs)
			}
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("cycles = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResourceWaitsFor(t *testing.T) {
	type op struct {
		g  uint64
		op Op
		n  int64
	}
	tests := []struct {
		name      string
		size      int64
		ops       []op
		g         uint64
		wait      Op
		n         int64
		on        []int64
		any       bool
		uncertain bool
	}{{
		name: "semaphore holders",
		size: 4,
		ops: []op{
			{1, tracefmt.OpSemAcquire, 2}, {1, tracefmt.OpSemRelease, 2}, {1, tracefmt.OpSemAcquire, 2},
			{2, tracefmt.OpSemAcquire, 1}, {2, tracefmt.OpSemRelease, 1}, {2, tracefmt.OpSemAcquire, 1},
			{3, tracefmt.OpSemAcquire, 1}, {3, tracefmt.OpSemRelease, 1},
		},
		g: 4, wait: tracefmt.OpSemAcquire, n: 2,
		on: []int64{1, 2}, any: true,
	}, {
		// The usual hand-off: goroutine 1 acquires for a worker that
		// will release; it was never seen releasing its own.
		name: "semaphore holder not known to release its own",
		size: 4,
		ops: []op{
			{1, tracefmt.OpSemAcquire, 1},
			{2, tracefmt.OpSemAcquire, 1}, {2, tracefmt.OpSemRelease, 1}, {2, tracefmt.OpSemAcquire, 3},
		},
		g: 3, wait: tracefmt.OpSemAcquire, n: 1,
		on: []int64{1, 2}, any: true, uncertain: true,
	}, {
		name: "semaphore released for another goroutine",
		size: 1,
		ops:  []op{{1, tracefmt.OpSemAcquire, 1}, {2, tracefmt.OpSemRelease, 1}, {1, tracefmt.OpSemAcquire, 1}},
		g:    3, wait: tracefmt.OpSemAcquire, n: 1,
		on: []int64{1}, any: true, uncertain: true,
	}, {
		// x/sync's worker pool: main acquires a permit for each worker,
		// the workers release them.
		name: "waiter holds permits others may release",
		size: 2,
		ops:  []op{{1, tracefmt.OpSemAcquire, 2}},
		g:    1, wait: tracefmt.OpSemAcquire, n: 1,
		on: []int64{}, any: true, uncertain: true,
	}, {
		name: "more than the size is never granted",
		size: 2,
		ops:  []op{{1, tracefmt.OpSemAcquire, 1}},
		g:    2, wait: tracefmt.OpSemAcquire, n: 3,
		any: true,
	}, {
		name: "full queue waits for its consumers",
		size: 1,
		ops:  []op{{1, tracefmt.OpQueuePut, 1}, {2, tracefmt.OpQueueGet, 0}, {3, tracefmt.OpQueueGet, 0}, {1, tracefmt.OpQueuePut, 1}},
		g:    1, wait: tracefmt.OpQueuePut, n: 1,
		on: []int64{2, 3}, any: true,
	}, {
		name: "full queue only its producer takes from",
		size: 1,
		ops:  []op{{1, tracefmt.OpQueuePut, 1}, {1, tracefmt.OpQueueGet, 0}, {1, tracefmt.OpQueuePut, 1}},
		g:    1, wait: tracefmt.OpQueuePut, n: 1,
		on: []int64{1}, any: true,
	}, {
		name: "empty queue waits for its producers, not itself",
		size: 4,
		ops:  []op{{1, tracefmt.OpQueuePut, 1}, {2, tracefmt.OpQueuePut, 2}, {2, tracefmt.OpQueueGet, 1}, {3, tracefmt.OpQueueGet, 0}},
		g:    2, wait: tracefmt.OpQueueGet,
		on: []int64{1, 2}, any: true,
	}, {
		name: "barrier waits for last round's missing parties",
		size: 3,
		ops: []op{
			{1, tracefmt.OpBarrierWait, 0}, {2, tracefmt.OpBarrierWait, 0}, {3, tracefmt.OpBarrierWait, 0},
			{2, tracefmt.OpBarrierWait, 1},
		},
		g: 2, wait: tracefmt.OpBarrierWait, n: 1,
		on: []int64{1, 3},
	}, {
		name: "barrier's first round proves nothing",
		size: 2,
		ops:  []op{{1, tracefmt.OpBarrierWait, 0}},
		g:    1, wait: tracefmt.OpBarrierWait,
		uncertain: true,
	}, {
		name: "future of a running task waits for its worker",
		size: 2,
		ops:  []op{{1, tracefmt.OpTaskSubmit, 1}, {5, tracefmt.OpTaskStart, 1}},
		g:    1, wait: tracefmt.OpTaskDone, n: 1,
		on: []int64{5},
	}, {
		name: "future of a queued task in a busy pool waits for any worker",
		size: 1,
		ops:  []op{{1, tracefmt.OpTaskSubmit, 1}, {5, tracefmt.OpTaskStart, 1}, {5, tracefmt.OpTaskSubmit, 2}},
		g:    5, wait: tracefmt.OpTaskDone, n: 2,
		on: []int64{5}, any: true, // the only worker waits for a task queued behind its own
	}, {
		name: "future of a queued task in a pool with room",
		size: 2,
		ops:  []op{{1, tracefmt.OpTaskSubmit, 1}, {5, tracefmt.OpTaskStart, 1}, {5, tracefmt.OpTaskSubmit, 2}},
		g:    5, wait: tracefmt.OpTaskDone, n: 2,
		on: []int64{5}, any: true, uncertain: true,
	}, {
		name: "event setters are unknown",
		g:    1, wait: tracefmt.OpEventSet,
		uncertain: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewResource(tt.size)
			for _, o := range tt.ops {
				r.Apply(o.g, o.op, o.n, 0)
			}
			w := r.WaitsFor(tt.g, tt.wait, tt.n)
			if !slices.Equal(w.On, tt.on) || w.Any != tt.any || w.Uncertain != tt.uncertain {
				t.Errorf("WaitsFor = on %v any %v uncertain %v, want on %v any %v uncertain %v",
					w.On, w.Any, w.Uncertain, tt.on, tt.any, tt.uncertain)
			}
			if w.Verb == "" || w.Relation == "" {
				t.Errorf("WaitsFor = %+v, want a verb and a relation for messages", w)
			}
		})
	}
}

func TestResourcePending(t *testing.T) {
	r := NewResource(2)
	for id := int64(1); id <= 3; id++ {
		r.Apply(1, tracefmt.OpTaskSubmit, id, 0)
		r.SetSite(id, Site{Stack: uint64(id * 10)})
		r.Apply(2, tracefmt.OpTaskStart, id, 0)
		r.Apply(2, tracefmt.OpTaskDone, id, 0)
	}
	r.Apply(1, tracefmt.OpTaskObserved, 2, 0)
	p := r.Pending()
	if !slices.Equal(p.Unobserved, []int64{1, 3}) || !slices.Equal(p.Sites, []Site{{Stack: 10}, {Stack: 30}}) {
		t.Errorf("Pending = %+v, want tasks 1 and 3 at sites 10 and 30", p)
	}
	r.Apply(1, tracefmt.OpTaskObserved, 1, 0)
	r.Apply(1, tracefmt.OpTaskObserved, 3, 0)
	// A worker that completes a task it does not run (it cancelled it)
	// still runs its own.
	r.Apply(1, tracefmt.OpTaskSubmit, 4, 0)
	r.Apply(1, tracefmt.OpTaskSubmit, 5, 0)
	r.Apply(2, tracefmt.OpTaskStart, 4, 0)
	r.Apply(2, tracefmt.OpTaskDone, 5, 0)
	if w := r.WaitsFor(1, tracefmt.OpTaskDone, 4); !slices.Equal(w.On, []int64{2}) {
		t.Errorf("after worker 2 completed another task: task 4 waits for %v, want [2]", w.On)
	}
	r.Apply(2, tracefmt.OpTaskDone, 4, 0)
	r.Apply(1, tracefmt.OpTaskObserved, 4, 0)
	r.Apply(1, tracefmt.OpTaskObserved, 5, 0)
	if p := r.Pending(); len(p.Unobserved) != 0 || len(r.tasks) != 0 {
		t.Errorf("after every result was asked for: Pending = %+v, %d tasks kept", p, len(r.tasks))
	}
}

func TestBlockedFindingResource(t *testing.T) {
	q := NewResource(1)
	q.Apply(1, tracefmt.OpQueuePut, 1, 0)
	q.Apply(2, tracefmt.OpQueueGet, 0, 0)
	q.Apply(1, tracefmt.OpQueuePut, 1, 0)
	ws := []Waiter{
		Waiter{Goroutine: 1, Lock: LockInfo{ID: 2, Kind: "Queue", Class: "q"}}.Resource(q.WaitsFor(1, tracefmt.OpQueuePut, 1)),
		{Goroutine: 2, Lock: LockInfo{ID: 1, Kind: "Mutex", Class: "a.mu"}, Mode: ModeWrite, WaitsFor: []int64{1}},
	}
	cs := WaitCycles(ws)
	if len(cs) != 1 {
		t.Fatalf("WaitCycles = %v, want one cycle", cs)
	}
	s := Snapshot{Holds: map[int64][]HeldLock{1: {{Lock: ws[1].Lock, Mode: ModeWrite}}}}
	f := BlockedFinding(ws, cs[0], s)
	want := "deadlock: goroutine 1 waits to put into Queue#2 (full, 1 of 1) taken from only by goroutine 2; goroutine 2 waits to lock Mutex#1 held by goroutine 1"
	if f.Message != want {
		t.Errorf("Message =\n%s\nwant\n%s", f.Message, want)
	}
	if !strings.Contains(f.Scenario, "put(") {
		t.Errorf("Scenario does not show the put:\n%s", f.Scenario)
	}
	h := HangFinding(ws[0], 0, s)
	if !strings.Contains(h.Message, "to put into Queue#2 (full, 1 of 1); taken from only by goroutine 2") {
		t.Errorf("DL1005 Message = %s", h.Message)
	}
}

// TestResourceForgottenBounded: a program that never asks for its
// results (fire and forget) does not grow the pool's state.
func TestResourceForgottenBounded(t *testing.T) {
	r := NewResource(4)
	const n = 10000
	for id := int64(1); id <= n; id++ {
		r.Apply(1, tracefmt.OpTaskSubmit, id, 0)
		r.Apply(2, tracefmt.OpTaskStart, id, 0)
		r.Apply(2, tracefmt.OpTaskDone, id, 0)
	}
	if len(r.tasks) != 0 || len(r.forgotten) != maxForgotten {
		t.Fatalf("%d tasks and %d forgotten kept, want 0 and %d", len(r.tasks), len(r.forgotten), maxForgotten)
	}
	p := r.Pending()
	if got := int64(len(p.Unobserved)) + p.More; got != n || p.Unobserved[0] != 1 {
		t.Errorf("Pending: %d tasks listed and %d more, want %d in all, from task 1", len(p.Unobserved), p.More, n)
	}
	// Asked for late: one remembered, one not.
	r.Apply(1, tracefmt.OpTaskObserved, 1, 0)
	r.Apply(1, tracefmt.OpTaskObserved, n, 0)
	if p := r.Pending(); int64(len(p.Unobserved))+p.More != n-2 || slices.Contains(p.Unobserved, 1) {
		t.Errorf("after two late Waits: %d listed and %d more", len(p.Unobserved), p.More)
	}
}
