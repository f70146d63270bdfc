package deadlock

import "slices"

// The instance graph keeps a topological order of its forward edges
// (Pearce and Kelly's dynamic topological sort), so that the common case,
// a program that always takes its locks in one order, costs no search:
//
//  1. Every node has an ord; every forward edge u -> v has ord(u) < ord(v).
//  2. An edge that closed a cycle when it was added (reported, or gated) is
//     a back edge, outside the order; they are few.
//  3. A new edge u -> v with ord(u) < ord(v) can close a cycle only along a
//     path v ~> u, which must climb from v, take a back edge and come down
//     to u: without a back edge from ord >= ord(v) and one to ord <= ord(u)
//     there is none, and no search is needed.
//  4. A new edge against the order is checked by a search bounded by the
//     two ords; if it closes no cycle the nodes in between are reordered.

// orderNew places the new edge e in the order and reports whether a
// search for a cycle through it is needed; after that search, [Graph.place]
// decides what it is.
func (g *Graph) orderNew(e *edge) bool {
	u, v := g.nodes[e.from], g.nodes[e.to]
	if g.backMayConnect(u, v) {
		return true
	}
	if u.ord < v.ord {
		return false
	}
	f, reached := g.forward(v, u)
	if reached {
		return true
	}
	g.reorder(u, v, f)
	return false
}

// mayCloseCycle reports whether a cycle through the existing edge e,
// whose gates shrank, is possible.
func (g *Graph) mayCloseCycle(e *edge) bool {
	return e.back || g.backMayConnect(g.nodes[e.from], g.nodes[e.to])
}

// backMayConnect reports whether back edges may make a path v ~> u.
func (g *Graph) backMayConnect(u, v *node) bool {
	fromAbove, toBelow := false, false
	for b := range g.back {
		if x := g.nodes[b.from]; x != nil && x.ord >= v.ord {
			fromAbove = true
		}
		if y := g.nodes[b.to]; y != nil && y.ord <= u.ord {
			toBelow = true
		}
		if fromAbove && toBelow {
			return true
		}
	}
	return false
}

// place records the new edge e, checked by a search, as a back edge if
// it closes a cycle (reportable or gated), else as a forward edge, fixing
// the order if needed.
func (g *Graph) place(e *edge, cyclic bool) {
	u, v := g.nodes[e.from], g.nodes[e.to]
	if cyclic || g.reaches(v, u) {
		e.back = true
		g.back[e] = true
		return
	}
	if u.ord > v.ord {
		f, _ := g.forward(v, u)
		g.reorder(u, v, f)
	}
}

// forward returns the nodes reachable from v along forward edges whose
// ord is below u's, and whether u is reachable that way.
func (g *Graph) forward(v, u *node) ([]*node, bool) {
	seen := map[*node]bool{v: true}
	stack := []*node{v}
	out := []*node{v}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range n.outs {
			if e.back {
				continue
			}
			m := g.nodes[e.to]
			if m == u {
				return out, true
			}
			if m == nil || seen[m] || m.ord > u.ord {
				continue
			}
			seen[m] = true
			out = append(out, m)
			stack = append(stack, m)
		}
	}
	return out, false
}

// reorder restores ord(u) < ord(v) for the new edge u -> v: the nodes
// that reach u along forward edges with ords above v's move, in order,
// before f, the nodes reachable from v below u.
func (g *Graph) reorder(u, v *node, f []*node) {
	seen := map[*node]bool{u: true}
	stack := []*node{u}
	b := []*node{u}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for from, e := range n.in {
			m := g.nodes[from]
			if e.back || m == nil || seen[m] || m.ord < v.ord {
				continue
			}
			seen[m] = true
			b = append(b, m)
			stack = append(stack, m)
		}
	}
	byOrd := func(x, y *node) int { return x.ord - y.ord }
	slices.SortFunc(b, byOrd)
	slices.SortFunc(f, byOrd)
	ords := make([]int, 0, len(b)+len(f))
	for _, n := range b {
		ords = append(ords, n.ord)
	}
	for _, n := range f {
		ords = append(ords, n.ord)
	}
	slices.Sort(ords)
	for i, n := range append(b, f...) {
		n.ord = ords[i]
	}
}

// reaches reports whether a path from a to b exists, over every edge.
func (g *Graph) reaches(a, b *node) bool {
	seen := map[*node]bool{a: true}
	stack := []*node{a}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range n.outs {
			m := g.nodes[e.to]
			if m == b {
				return true
			}
			if m != nil && !seen[m] {
				seen[m] = true
				stack = append(stack, m)
			}
		}
	}
	return false
}
