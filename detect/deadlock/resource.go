package deadlock

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/condiag/condiag/internal/tracefmt"
)

// Op is an operation on a semaphore, barrier, event, queue or pool (the
// numbers of the trace format).
type Op = tracefmt.Op

// Resource is the wait-for state of a semaphore, barrier, event, queue or
// pool: who holds its permits, who puts into it and takes from it, who
// reached the barrier, which worker runs which task. internal/monitor
// keeps one for each such object, fed with its operations as they happen,
// and the trace replay keeps one fed with the same operations from the
// trace, so that both drivers build the same wait-for graph. It is not
// safe for concurrent use.
type Resource struct {
	Size int64 // permits, capacity, parties or workers; 0 if unknown

	// semaphore
	holders []permits
	index   map[uint64]int // holders by goroutine, once there are many
	handed  bool           // permits released by a goroutine that did not hold them

	// queue
	producers, consumers gset
	items                int64
	closed               bool

	// barrier
	gen           int64
	arrived, prev []uint64

	// pool
	tasks   map[int64]*task
	free    []*task // done with, for reuse: a pool's tasks come and go fast
	running int     // tasks started and not done
	queued  int     // tasks submitted and not started nor done
	// forgotten are the first tasks that ended with nobody asking for
	// their results (they leave tasks, so that a program that never
	// asks does not grow it), and lost counts those past the first.
	forgotten []forgottenTask
	lost      int64
}

type forgottenTask struct {
	id   int64
	site Site
}

// maxForgotten bounds the forgotten tasks a pool remembers one by one.
const maxForgotten = 32

type permits struct {
	g uint64
	n int64
	// released says the goroutine released permits it held itself
	// before: it uses the semaphore like a lock. Permits of a goroutine
	// not seen doing so may be meant for another to release (acquired
	// for a worker it starts, say).
	released bool
}

// manyHolders is how many holders a semaphore keeps in a plain slice;
// past it they are indexed by goroutine.
const manyHolders = 16

func (r *Resource) holder(g uint64) int {
	if r.index != nil {
		if i, ok := r.index[g]; ok {
			return i
		}
		return -1
	}
	for i := range r.holders {
		if r.holders[i].g == g {
			return i
		}
	}
	return -1
}

// dropEmpty removes the holders that hold nothing, keeping those known
// to release their own permits (their history matters for their next
// wait) unless there are many.
func (r *Resource) dropEmpty() {
	keep := len(r.holders) <= manyHolders
	r.holders = slices.DeleteFunc(r.holders, func(p permits) bool { return p.n <= 0 && !(keep && p.released) })
	if r.index != nil || len(r.holders) > manyHolders {
		r.index = make(map[uint64]int, len(r.holders))
		for i, p := range r.holders {
			r.index[p.g] = i
		}
	}
}

type task struct {
	worker    uint64
	submitted time.Duration // when, if it had to queue; -1 if a worker was free
	started   bool
	done      bool
	observed  bool
	site      Site
}

// Site is where a pool task was submitted, as a driver knows it: the
// first program counters of the stack (the live monitor) or the stack's
// id in a trace. Neither is needed by the Resource itself.
type Site struct {
	PCs   [6]uintptr
	NPCs  uint8
	Stack uint64
}

// gset is a small set of goroutines; past its bound it only remembers
// that it overflowed, and then proves nothing.
type gset struct {
	gs   []uint64
	over bool
}

const maxUsers = 64

func (s *gset) add(g uint64) {
	if s.over || slices.Contains(s.gs, g) {
		return
	}
	if len(s.gs) == maxUsers {
		s.over, s.gs = true, nil
		return
	}
	s.gs = append(s.gs, g)
}

// NewResource returns the state of an object of the given size. What
// the object is (a semaphore, a queue ...) is told by the operations fed
// to it.
func NewResource(size int64) *Resource {
	return &Resource{Size: size}
}

// Apply records operation op with argument n (see the trace format's Op
// numbers) by goroutine g at time t. For a TaskStart it returns how long
// the task waited to start; otherwise 0.
func (r *Resource) Apply(g uint64, op Op, n int64, t time.Duration) time.Duration {
	switch op {
	case tracefmt.OpSize:
		r.Size = n
	case tracefmt.OpSemAcquire:
		if n <= 0 {
			return 0 // nothing held (or a corrupt trace)
		}
		if i := r.holder(g); i >= 0 {
			r.holders[i].n += n
			return 0
		}
		r.holders = append(r.holders, permits{g: g, n: n})
		if r.index != nil {
			r.index[g] = len(r.holders) - 1
		} else if len(r.holders) > manyHolders {
			r.dropEmpty() // builds the index
		}
	case tracefmt.OpSemRelease:
		if n <= 0 {
			return 0
		}
		if i := r.holder(g); i >= 0 && r.holders[i].n > 0 {
			take := min(n, r.holders[i].n)
			r.holders[i].n -= take
			r.holders[i].released = true
			n -= take
		}
		if n > 0 {
			// Released for other goroutines: who holds what is not
			// known any more. The count stays right: the permits are
			// taken from the first holders.
			r.handed = true
			for j := range r.holders {
				take := min(n, r.holders[j].n)
				r.holders[j].n -= take
				n -= take
			}
		}
		r.dropEmpty()
	case tracefmt.OpQueuePut:
		r.producers.add(g)
		r.items = n
	case tracefmt.OpQueueGet:
		r.consumers.add(g)
		r.items = n
	case tracefmt.OpQueueClose:
		r.closed, r.items = true, n
	case tracefmt.OpBarrierWait:
		if n != r.gen {
			if n == r.gen+1 {
				r.prev, r.arrived = r.arrived, r.prev[:0] // WaitsFor copies prev
			} else {
				r.prev, r.arrived = nil, r.arrived[:0]
			}
			r.gen = n
		}
		// A goroutine arrives once a round (it blocks until the round
		// trips or breaks); a repeat (after a Reset) is looked for in
		// small barriers only, and the list is bounded for a corrupt
		// trace.
		switch {
		case len(r.arrived) <= 64 && slices.Contains(r.arrived, g):
		case len(r.arrived) < 1<<16:
			r.arrived = append(r.arrived, g)
		}
	case tracefmt.OpBarrierBreak:
		// The parties waiting return with an error; those of the next
		// round are likely the same.
	case tracefmt.OpTaskSubmit:
		if r.tasks[n] != nil {
			return 0 // submitted twice: a corrupt trace
		}
		tk := r.newTask(n)
		tk.submitted = -1
		if r.Busy() {
			tk.submitted = t
		}
		r.queued++
	case tracefmt.OpTaskStart:
		tk := r.tasks[n]
		if tk == nil {
			// Submitted before the trace began: whether its result
			// was asked for then is unknown.
			tk = r.newTask(n)
			tk.submitted, tk.observed = -1, true
		} else if !tk.done {
			r.queued--
		}
		tk.worker, tk.started = g, true
		r.running++
		if tk.submitted >= 0 {
			return t - tk.submitted
		}
	case tracefmt.OpTaskDone:
		// Any goroutine may complete a task that never started (one
		// that cancels it): only a started one stops running.
		if tk := r.tasks[n]; tk != nil && !tk.done {
			if tk.started {
				r.running--
			} else {
				r.queued--
			}
			tk.done = true
			if !tk.observed {
				// Nobody asked for its result yet; maybe nobody will.
				if len(r.forgotten) < maxForgotten {
					r.forgotten = append(r.forgotten, forgottenTask{n, tk.site})
				} else {
					r.lost++
				}
			}
			r.dropTask(n, tk)
		}
	case tracefmt.OpTaskObserved:
		if tk := r.tasks[n]; tk != nil {
			tk.observed = true
		} else if i := slices.IndexFunc(r.forgotten, func(f forgottenTask) bool { return f.id == n }); i >= 0 {
			r.forgotten = slices.Delete(r.forgotten, i, i+1) // asked for after all
		} else if r.lost > 0 {
			r.lost--
		}
	}
	return 0
}

func (r *Resource) newTask(n int64) *task {
	if r.tasks == nil {
		r.tasks = map[int64]*task{}
	}
	var tk *task
	if k := len(r.free); k > 0 {
		tk, r.free = r.free[k-1], r.free[:k-1]
	} else {
		tk = new(task)
	}
	r.tasks[n] = tk
	return tk
}

func (r *Resource) dropTask(n int64, tk *task) {
	delete(r.tasks, n)
	if len(r.free) < 64 {
		*tk = task{}
		r.free = append(r.free, tk)
	}
}

// runningOn returns the workers running a task of the pool.
func (r *Resource) runningOn() []uint64 {
	var ws []uint64
	for _, tk := range r.tasks {
		if tk.started && !tk.done {
			ws = append(ws, tk.worker)
		}
	}
	return ws
}

// Busy reports whether a pool's tasks fill its workers: a task
// submitted now queues. Only such a task's wait to start is measured
// (ST4003): [Resource.Apply] ignores the time of the others.
func (r *Resource) Busy() bool { return int64(r.running+r.queued) >= r.Size }

// Timed reports whether task n queued when submitted, so that its start
// needs a time.
func (r *Resource) Timed(n int64) bool {
	tk := r.tasks[n]
	return tk != nil && tk.submitted >= 0
}

// SetSite records where task n was submitted; [Resource.Pending]
// returns it.
func (r *Resource) SetSite(n int64, site Site) {
	if tk := r.tasks[n]; tk != nil {
		tk.site = site
	}
}

// Largest returns the most permits a goroutine other than g holds, for a
// semaphore.
func (r *Resource) Largest(g uint64) int64 {
	// (The holders that hold nothing count for nothing.)
	var m int64
	for _, p := range r.holders {
		if p.g != g {
			m = max(m, p.n)
		}
	}
	return m
}

// Site returns what [Resource.SetSite] recorded for task n.
func (r *Resource) Site(n int64) Site {
	if tk := r.tasks[n]; tk != nil {
		return tk.site
	}
	return Site{}
}

// Wait is what a goroutine blocked on a Resource waits for.
type Wait struct {
	On []int64 // the goroutines that can end the wait
	// Any says that one of On is enough to end the wait (a queue's
	// consumers, a semaphore's holders); otherwise every one of them
	// must act (a barrier's missing parties, a task's worker).
	Any bool
	// Uncertain says that goroutines condiag cannot name may end the
	// wait: it takes part in no cycle.
	Uncertain bool
	Verb      string // what the goroutine waits to do, e.g. "put into"
	State     string // the object's state, e.g. "full, 4 of 4"; may be empty
	Relation  string // how On relate to the object, e.g. "taken from by"
}

// WaitsFor says what goroutine g, blocked in operation op with argument
// n, waits for.
func (r *Resource) WaitsFor(g uint64, op Op, n int64) Wait {
	var w Wait
	// g itself may be among those it waits for: the only consumer of
	// the queue it waits to put into, the only worker of the pool whose
	// queued task it waits for. That is a deadlock of one goroutine.
	others := func(gs []uint64) []int64 {
		out := make([]int64, 0, len(gs))
		for _, h := range gs {
			out = append(out, int64(h))
		}
		slices.Sort(out)
		return out
	}
	switch op {
	case tracefmt.OpSemAcquire:
		w.Verb = fmt.Sprintf("acquire %d permit%s of", n, plural(n))
		var held, mine int64
		var hs []uint64
		trusted := true
		for _, p := range r.holders {
			if p.n <= 0 {
				continue
			}
			held += p.n
			if p.g == g {
				mine = p.n // released, if at all, by another goroutine
			} else {
				hs = append(hs, p.g)
				trusted = trusted && p.released
			}
		}
		if r.Size > 0 {
			w.State = fmt.Sprintf("%d of %d held", held, r.Size)
		}
		w.On, w.Any, w.Relation = others(hs), true, "held by"
		// Permits are often handed over: acquired by one goroutine for
		// another to release. A waiter that holds permits may be
		// waiting for others to release its own.
		// Nor is a holder known to release its own permits until it
		// did once.
		w.Uncertain = r.handed || mine > 0 || !trusted
		if r.Size > 0 && n > r.Size {
			w.State = fmt.Sprintf("more than its %d permits: never granted", r.Size)
			w.On, w.Uncertain = nil, false
		}
	case tracefmt.OpQueuePut:
		w.Verb, w.State = "put into", "full"
		if r.Size > 0 {
			w.State = fmt.Sprintf("full, %d of %d", r.Size, r.Size)
		}
		w.On, w.Any, w.Uncertain, w.Relation = others(r.consumers.gs), true, r.consumers.over, "taken from only by"
	case tracefmt.OpQueueGet:
		w.Verb, w.State = "take from", "empty"
		w.On, w.Any, w.Uncertain, w.Relation = others(r.producers.gs), true, r.producers.over, "put into only by"
	case tracefmt.OpBarrierWait:
		w.Verb = "wait at"
		here := make(map[uint64]bool, len(r.arrived))
		for _, h := range r.arrived {
			here[h] = true
		}
		var missing []uint64
		for _, h := range r.prev {
			if !here[h] {
				missing = append(missing, h)
			}
		}
		if r.Size > 0 {
			w.State = fmt.Sprintf("%d of %d parties arrived", len(r.arrived), r.Size)
		}
		// Any goroutine may arrive in a missing party's place: the
		// parties of the previous round are only the likely ones, and
		// before a first round nobody is known.
		w.On, w.Relation = others(missing), "not reached yet by"
		// A party of a round that tripped while it waited (for a slow
		// action, say) is not judged by the next round's arrivals.
		w.Uncertain = r.gen == 0 || len(r.prev) == 0 || n != r.gen
	case tracefmt.OpEventSet:
		w.Verb, w.State, w.Uncertain, w.Relation = "wait for", "not set", true, "set by"
	case tracefmt.OpTaskDone:
		w.Verb = fmt.Sprintf("get the result of task %d of", n)
		tk := r.tasks[n]
		switch {
		case tk == nil || tk.done:
			w.Uncertain = true
		case tk.started:
			w.On, w.Relation, w.State = others([]uint64{tk.worker}), "running on", "task running"
		default:
			ws := r.runningOn()
			w.State = fmt.Sprintf("task queued, %d of %d workers busy", len(ws), r.Size)
			// A queued task starts when any worker is free; a pool
			// below its size starts a new worker instead.
			w.On, w.Any, w.Relation = others(ws), true, "queued behind the tasks running on"
			w.Uncertain = r.Size <= 0 || int64(len(ws)) < r.Size
		}
	case tracefmt.OpPoolShutdown:
		w.Verb = "shut down"
		ws := r.runningOn()
		w.On, w.Relation = others(ws), "waiting for the tasks running on"
		w.State = fmt.Sprintf("%d tasks running", len(ws))
	default:
		w.Verb, w.Uncertain = "wait on", true
	}
	return w
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Pending is work nobody took: a queue's items, a pool's results nobody
// asked for.
type Pending struct {
	Items      int64   // a queue's items
	Unobserved []int64 // a pool's tasks whose result nobody asked for, by id
	Sites      []Site  // where each was submitted, as given to SetSite
	More       int64   // and so many more, not remembered one by one
	Closed     bool    // the queue is closed
}

// Pending returns the work left in r.
func (r *Resource) Pending() Pending {
	p := Pending{Items: r.items, Closed: r.closed, More: r.lost}
	for _, f := range r.forgotten {
		p.Unobserved = append(p.Unobserved, f.id)
		p.Sites = append(p.Sites, f.site)
	}
	var open []int64
	for id, tk := range r.tasks {
		if !tk.observed {
			open = append(open, id)
		}
	}
	slices.Sort(open)
	for _, id := range open {
		p.Unobserved = append(p.Unobserved, id)
		p.Sites = append(p.Sites, r.tasks[id].site)
	}
	return p
}

// goroutineList joins goroutine ids for a message: "goroutine 6",
// "goroutines 6 and 8".
func goroutineList(gs []int64) string {
	if len(gs) == 1 {
		return fmt.Sprintf("goroutine %d", gs[0])
	}
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = fmt.Sprint(g)
	}
	return "goroutines " + strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
