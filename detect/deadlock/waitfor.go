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
}

// WaitCycles returns the cycles of the wait-for graph: sets of goroutines
// each blocked on a lock that the next one holds (or is queued for ahead
// of it). Every goroutine of a cycle is blocked for good: lock waits need
// every holder to release, so one cycle is enough for a deadlock. Each
// cycle is returned once, as indices into ws in wait order, starting at
// its smallest goroutine id.
func WaitCycles(ws []Waiter) [][]int {
	index := make(map[int64]int, len(ws))
	for i, w := range ws {
		index[w.Goroutine] = i
	}
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
		if !ws[i].Uncertain {
			on = ws[i].WaitsFor
		}
		for _, g := range on {
			j, ok := index[g]
			if !ok {
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

func canonical(ws []Waiter, cycle []int) []int {
	best := 0
	for i := range cycle {
		if ws[cycle[i]].Goroutine < ws[cycle[best]].Goroutine {
			best = i
		}
	}
	return append(cycle[best:], cycle[:best]...)
}
