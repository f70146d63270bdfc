package deadlock

import "slices"

// Waiter is a goroutine blocked on a lock, with the goroutines it waits
// for: the holders of the lock and, for a reader of a writer-preferring
// RWMutex, the writers queued ahead of it.
type Waiter struct {
	Goroutine int64
	Lock      LockInfo
	Mode      Mode
	WaitsFor  []int64
	// Uncertain says that another goroutine than those in WaitsFor may
	// release the lock (it was handed over between goroutines before):
	// the wait takes part in no cycle.
	Uncertain bool
	// Any says that one goroutine of WaitsFor is enough to end the wait
	// (a queue's consumers, a semaphore's holders): only when all of
	// them are stuck is the waiter. A lock wait needs every holder to
	// release.
	Any bool
	// For a wait on a semaphore, barrier, event, queue or pool: what
	// the goroutine waits to do ("put into"), the object's state
	// ("full, 4 of 4") and how WaitsFor relate to it ("taken from only
	// by"). Empty for a lock wait.
	Verb, State, Relation string
}

// Resource returns w completed with what a goroutine blocked on a
// Resource waits for.
func (w Waiter) Resource(rw Wait) Waiter {
	w.WaitsFor, w.Any, w.Uncertain = rw.On, rw.Any, rw.Uncertain
	w.Verb, w.State, w.Relation = rw.Verb, rw.State, rw.Relation
	return w
}

// WaitCycles returns the cycles of the wait-for graph: sets of goroutines
// each blocked on a lock that the next one holds (or is queued for ahead
// of it), or on an object that only the next one can act on. Every
// goroutine of a cycle is blocked for good: lock waits need every holder
// to release, so one cycle is enough for a deadlock, and a wait that any
// of several goroutines can end ([Waiter.Any]) is only part of one when
// all of them are stuck. Each cycle is returned once, as indices into ws
// in wait order, starting at its smallest goroutine id.
func WaitCycles(ws []Waiter) [][]int {
	index := make(map[int64]int, len(ws))
	for i, w := range ws {
		index[w.Goroutine] = i
	}
	stuck := stuckSet(ws, index)
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(ws))
	var cycles [][]int
	var stack []int
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		stack = append(stack, i)
		var on []int64
		if stuck[i] {
			on = ws[i].WaitsFor
		}
		for _, g := range on {
			j, ok := index[g]
			if !ok || !stuck[j] {
				continue // a running holder: no cycle through it now
			}
			switch color[j] {
			case white:
				visit(j)
			case grey:
				at := slices.Index(stack, j)
				cycles = append(cycles, canonical(ws, append([]int(nil), stack[at:]...)))
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
	}
	order := make([]int, len(ws))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(ws[a].Goroutine - ws[b].Goroutine) })
	for _, i := range order {
		if color[i] == white {
			visit(i)
		}
	}
	return cycles
}

// stuckSet returns which waiters are blocked for good, as far as the
// graph can tell: the largest set in which every waiter needing all of
// its goroutines waits for one in the set, and every waiter needing any
// one of them waits only for goroutines in the set.
func stuckSet(ws []Waiter, index map[int64]int) []bool {
	stuck := make([]bool, len(ws))
	for i, w := range ws {
		stuck[i] = !w.Uncertain && len(w.WaitsFor) > 0
	}
	for changed := true; changed; {
		changed = false
		for i, w := range ws {
			if !stuck[i] {
				continue
			}
			in := func(g int64) bool { j, ok := index[g]; return ok && stuck[j] }
			var ok bool
			if w.Any {
				ok = !slices.ContainsFunc(w.WaitsFor, func(g int64) bool { return !in(g) })
			} else {
				ok = slices.ContainsFunc(w.WaitsFor, in)
			}
			if !ok {
				stuck[i], changed = false, true
			}
		}
	}
	return stuck
}

func canonical(ws []Waiter, cycle []int) []int {
	best := 0
	for i := range cycle {
		if ws[cycle[i]].Goroutine < ws[cycle[best]].Goroutine {
			best = i
		}
	}
	return append(cycle[best:], cycle[:best]...)
}
