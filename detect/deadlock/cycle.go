package deadlock

import (
	"slices"

	"github.com/condiag/condiag/report"
)

// maxGates bounds the gate locks considered for one edge. Past it the
// extra gates are ignored, which can only report more, never less.
const maxGates = 8

// searchState is a node of the breadth-first path search: a graph node
// plus, for each gate of the closing edge, two bits: some edge of the
// path so far was taken without the gate; some was taken with it in write
// mode.
type searchState[K comparable] struct {
	at   K
	mask uint16
}

// findPath finds a path start -> ... -> target that, with the closing
// edge target -> start (whose gates and write-mode gates are given),
// makes a cycle no gate serializes: for every gate, some edge of the
// path lacks it, or no edge of the cycle holds it in write mode. next
// lists the out-edges of a node in a fixed order; ends gives an edge's
// head and gates. It returns the path's edges in order, or nil.
//
// Without gates, a breadth-first search gives the shortest path, which is
// simple. With gates, the path must be simple too (a walk through an
// unrelated loop elsewhere proves nothing), so a depth-first search over
// simple paths runs, within a budget of steps; past it, the answer of the
// breadth-first search over walks is taken, which can only report more.
func findPath[K comparable, E any](start, target K, gates, writeGates []K, next func(K) []E, ends func(E) (to K, gates, writeGates []K)) []E {
	if len(gates) > maxGates {
		gates = gates[:maxGates]
	}
	reportable := func(mask uint16) bool {
		for i, gate := range gates {
			lacks := mask&(1<<(2*i)) != 0
			write := mask&(1<<(2*i+1)) != 0 || slices.Contains(writeGates, gate)
			if !lacks && write {
				return false
			}
		}
		return true
	}
	step := func(mask uint16, e E) (K, uint16) {
		to, eg, ew := ends(e)
		for i, gate := range gates {
			if !slices.Contains(eg, gate) {
				mask |= 1 << (2 * i)
			}
			if slices.Contains(ew, gate) {
				mask |= 1 << (2*i + 1)
			}
		}
		return to, mask
	}
	walk := walkPath(start, target, reportable, step, next)
	if len(gates) == 0 || walk == nil {
		return walk
	}
	if path, ok := simplePath(start, target, reportable, step, next); ok {
		return path
	}
	return walk
}

// walkPath is the breadth-first search of findPath over (node, mask)
// states: the shortest walk, which may repeat nodes when gates are set.
func walkPath[K comparable, E any](start, target K, reportable func(uint16) bool, step func(uint16, E) (K, uint16), next func(K) []E) []E {
	type via struct {
		prev searchState[K]
		e    E
	}
	first := searchState[K]{at: start}
	seen := map[searchState[K]]via{first: {}}
	queue := []searchState[K]{first}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, e := range next(s.at) {
			to, mask := step(s.mask, e)
			ns := searchState[K]{at: to, mask: mask}
			if _, ok := seen[ns]; ok {
				continue
			}
			seen[ns] = via{prev: s, e: e}
			if to == target && reportable(mask) {
				var path []E
				for cur := ns; cur != first; cur = seen[cur].prev {
					path = append(path, seen[cur].e)
				}
				slices.Reverse(path)
				return path
			}
			if to != target {
				queue = append(queue, ns)
			}
		}
	}
	return nil
}

// simpleBudget bounds the steps of the search over simple paths.
const simpleBudget = 1 << 16

// simplePath searches the simple paths from start to target depth first.
// It returns the first reportable one, or nil, and false if it ran out of
// budget before it could tell.
func simplePath[K comparable, E any](start, target K, reportable func(uint16) bool, step func(uint16, E) (K, uint16), next func(K) []E) ([]E, bool) {
	onPath := map[K]bool{start: true}
	var path []E
	steps := 0
	var dfs func(at K, mask uint16) bool
	dfs = func(at K, mask uint16) bool {
		for _, e := range next(at) {
			if steps++; steps > simpleBudget {
				return false
			}
			to, m := step(mask, e)
			if to == target {
				if reportable(m) {
					path = append(path, e)
					return true
				}
				continue
			}
			if onPath[to] {
				continue
			}
			onPath[to] = true
			path = append(path, e)
			if dfs(to, m) {
				return true
			}
			path = path[:len(path)-1]
			delete(onPath, to)
		}
		return false
	}
	if dfs(start, 0) {
		return path, true
	}
	return nil, steps <= simpleBudget
}

// instanceCycle looks for a cycle through the new or changed edge e.
func (g *Graph) instanceCycle(e *edge) (report.Finding, bool) {
	next := func(id uint64) []*edge {
		if n := g.nodes[id]; n != nil {
			return n.outs
		}
		return nil
	}
	ends := func(x *edge) (uint64, []uint64, []uint64) { return x.to, x.gates, x.writeGates }
	path := findPath(e.to, e.from, e.gates, e.writeGates, next, ends)
	if path == nil {
		return report.Finding{}, false
	}
	cycle := append([]*edge{e}, path...)
	lockInfo := func(id uint64) LockInfo { return g.nodes[id].info }
	return cycleFinding(cycle, lockInfo, report.Observed), true
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// classEdge records the class edge for h -> a.Lock and looks for a class
// cycle through it with at least two distinct classes. Only named classes
// take part: see "Lock classes" in the package documentation.
func (g *Graph) classEdge(h HeldLock, a Acquisition, e *edge, gates, writeGates []uint64, search bool) (report.Finding, bool) {
	from, to := h.Lock.Class, a.Lock.Class
	if from == to || !h.Lock.Named || !a.Lock.Named {
		return report.Finding{}, false
	}
	gateClasses := g.classesOf(gates, from, to)
	writeClasses := g.classesOf(writeGates, from, to)

	cn := g.classes[from]
	if cn == nil {
		cn = &cnode{out: map[string]*cedge{}}
		g.classes[from] = cn
	}
	if g.classes[to] == nil {
		g.classes[to] = &cnode{out: map[string]*cedge{}}
	}
	ce := cn.out[to]
	switch {
	case ce == nil:
		ce = &cedge{from: from, to: to, example: *e, fromLock: h.Lock, toLock: a.Lock, gates: gateClasses, writeGates: writeClasses}
		cn.out[to] = ce
	default:
		g1, w1 := intersect(ce.gates, gateClasses), intersect(ce.writeGates, writeClasses)
		if len(g1) == len(ce.gates) && len(w1) == len(ce.writeGates) {
			return report.Finding{}, false
		}
		ce.gates, ce.writeGates = g1, w1
	}
	if !search {
		return report.Finding{}, false
	}
	next := func(c string) []*cedge {
		n := g.classes[c]
		if n == nil {
			return nil
		}
		out := make([]*cedge, 0, len(n.out))
		for _, x := range n.out {
			out = append(out, x)
		}
		slices.SortFunc(out, func(a, b *cedge) int {
			if a.to < b.to {
				return -1
			}
			if a.to > b.to {
				return 1
			}
			return 0
		})
		return out
	}
	ends := func(x *cedge) (string, []string, []string) { return x.to, x.gates, x.writeGates }
	path := findPath(to, from, ce.gates, ce.writeGates, next, ends)
	if path == nil {
		return report.Finding{}, false
	}
	// Report with the example instance edges of each class edge.
	cycle := make([]*edge, 0, len(path)+1)
	infos := map[uint64]LockInfo{}
	for _, x := range append([]*cedge{ce}, path...) {
		ex := x.example
		cycle = append(cycle, &ex)
		infos[x.fromLock.ID] = x.fromLock
		infos[x.toLock.ID] = x.toLock
	}
	return cycleFinding(cycle, func(id uint64) LockInfo { return infos[id] }, report.Predicted), true
}

// classesOf returns the classes of the locks ids, other than a and b,
// sorted.
func (g *Graph) classesOf(ids []uint64, a, b string) []string {
	var cs []string
	for _, id := range ids {
		if n := g.nodes[id]; n != nil && n.info.Class != a && n.info.Class != b {
			cs = append(cs, n.info.Class)
		}
	}
	slices.Sort(cs)
	return slices.Compact(cs)
}
