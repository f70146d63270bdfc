package deadlock

import (
	"fmt"
	"slices"

	"github.com/condiag/condiag/report"
)

// Mode is the mode a lock is held or requested in. The zero value is
// invalid.
type Mode uint8

const (
	ModeInvalid Mode = iota
	ModeWrite        // exclusive: Mutex.Lock, RWMutex.Lock, Once.Do
	ModeRead         // shared: RWMutex.RLock
)

func (m Mode) String() string {
	switch m {
	case ModeWrite:
		return "write"
	case ModeRead:
		return "read"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// LockInfo identifies a lock instance for the graph and its reports.
type LockInfo struct {
	ID          uint64       // unique in the process, never reused
	Kind        string       // "Mutex", "RWMutex", "Once", ...
	Class       string       // class key: user name, or first-locked site
	Named       bool         // the class was named by the user (SetClass, SetSubclass)
	Name        string       // user-given instance name, if any
	FirstLocked report.Frame // where the instance was first acquired
}

// Report converts l to the report model.
func (l LockInfo) Report() report.Lock {
	return report.Lock{ID: l.ID, Kind: l.Kind, Class: l.Class, Name: l.Name, FirstLocked: l.FirstLocked}
}

// HeldLock is a lock held by the acquiring goroutine.
type HeldLock struct {
	Lock LockInfo
	Mode Mode
}

// Acquisition is one event for [Graph.Acquire]: a goroutine acquired
// Lock in Mode while holding Held (oldest first).
type Acquisition struct {
	Goroutine int64
	Held      []HeldLock
	Lock      LockInfo
	Mode      Mode
	Try       bool // acquired by TryLock: cannot have blocked
	// Stack returns the stack of this acquisition, innermost first. It is
	// called at most once, and only when something new is learned.
	Stack func() []report.Frame
}

// edge is "To was acquired while holding From".
type edge struct {
	from, to         uint64
	fromMode, toMode Mode
	goroutine        int64
	stack            []report.Frame
	// gates holds the other locks held during every observation of this
	// edge (the intersection over observations, sorted), and writeGates
	// those of them held in write mode every time. A lock held by every
	// edge of a cycle, in write mode by at least one, keeps the edges'
	// code paths from running together: the cycle cannot deadlock.
	gates, writeGates []uint64
	// back is set when the edge closed a cycle (reported or gated) when
	// it was added: it is left out of the topological order.
	back bool
}

type node struct {
	info LockInfo
	ord  int              // position in the topological order of forward edges
	out  map[uint64]*edge // by the id of the lock acquired after this one
	outs []*edge          // the same edges, sorted by that id
	in   map[uint64]*edge // by the id of the lock held before this one
}

// cedge is an edge between two lock classes, with the instance edge
// first seen for it as an example.
type cedge struct {
	from, to string
	example  edge
	fromLock LockInfo
	toLock   LockInfo
	// gates and writeGates are the classes held, and held in write
	// mode, during every observation.
	gates, writeGates []string
}

type cnode struct {
	out map[string]*cedge
}

// Graph is the lock-order graph. It is not safe for concurrent use; the
// online monitor serializes calls, and it is called only when a goroutine
// holds a chain of locks that was not validated before.
//
// Memory: a node per lock instance that was ever nested with another and
// is still alive (call [Graph.Forget] when an instance dies), an edge per
// distinct ordered pair of such instances, a node per class.
type Graph struct {
	nodes   map[uint64]*node
	nextOrd int
	back    map[*edge]bool // edges that closed a cycle; see order.go
	classes map[string]*cnode
	// classCycles holds the class sequences of the cycles reported so
	// far, so that a cycle over classes already reported over instances
	// is not reported again as predicted.
	classCycles map[string]bool
}

// NewGraph returns an empty graph.
func NewGraph() *Graph {
	return &Graph{
		nodes: map[uint64]*node{}, back: map[*edge]bool{},
		classes: map[string]*cnode{}, classCycles: map[string]bool{},
	}
}

// Len returns the number of lock instances in the graph.
func (g *Graph) Len() int { return len(g.nodes) }

// Has reports whether the graph has a node for lock id.
func (g *Graph) Has(id uint64) bool { return g.nodes[id] != nil }

// Forget removes lock id and its edges from the instance graph. The class
// graph keeps what it learned from it.
func (g *Graph) Forget(id uint64) {
	n := g.nodes[id]
	if n == nil {
		return
	}
	for to, e := range n.out {
		if m := g.nodes[to]; m != nil {
			delete(m.in, id)
		}
		delete(g.back, e)
	}
	for from, e := range n.in {
		if m := g.nodes[from]; m != nil {
			m.removeOut(id)
		}
		delete(g.back, e)
	}
	delete(g.nodes, id)
}

func (g *Graph) node(info LockInfo) (n *node, isNew bool) {
	if n = g.nodes[info.ID]; n != nil {
		return n, false
	}
	n = &node{info: info, ord: g.nextOrd, out: map[uint64]*edge{}, in: map[uint64]*edge{}}
	g.nextOrd++
	g.nodes[info.ID] = n
	return n, true
}

// addOut adds e to n's out-edges, keeping outs sorted.
func (n *node) addOut(e *edge) {
	n.out[e.to] = e
	i, _ := slices.BinarySearchFunc(n.outs, e.to, func(x *edge, to uint64) int { return cmpU64(x.to, to) })
	n.outs = slices.Insert(n.outs, i, e)
}

func (n *node) removeOut(to uint64) {
	delete(n.out, to)
	if i, ok := slices.BinarySearchFunc(n.outs, to, func(x *edge, to uint64) int { return cmpU64(x.to, to) }); ok {
		n.outs = slices.Delete(n.outs, i, i+1)
	}
}

// Acquire records a and returns the DL1001 findings it reveals, and the
// ids of the lock instances that got a node in the graph with this call
// (the caller arranges for [Graph.Forget] to be called when they die).
//
// For each held lock it adds the edge held -> acquired (none for a
// TryLock). A new edge, or an edge whose gates shrank, is checked for a
// cycle through it; an edge that agrees with the topological order kept
// in order.go cannot close one and costs no search. If no cycle is found
// over instances, the class edge is checked over named classes.
func (g *Graph) Acquire(a Acquisition) (found []report.Finding, added []uint64) {
	if a.Try || len(a.Held) == 0 {
		return nil, nil
	}
	var stack []report.Frame
	stackOnce := func() []report.Frame {
		if stack == nil && a.Stack != nil {
			stack = a.Stack()
		}
		return stack
	}
	for _, h := range a.Held {
		if h.Lock.ID == a.Lock.ID {
			continue
		}
		gates, writeGates := heldGates(a.Held, h.Lock.ID, a.Lock.ID)
		e, isNew, changed := g.addEdge(h, a, gates, writeGates, stackOnce, &added)
		if !changed {
			continue
		}
		var f report.Finding
		cyclic := false
		search := g.mayCloseCycle(e)
		if isNew {
			search = g.orderNew(e)
		}
		if search {
			f, cyclic = g.instanceCycle(e)
			if isNew {
				g.place(e, cyclic)
			}
		}
		if cyclic {
			found = append(found, f)
			g.classCycles[classSeq(f)] = true
		}
		// The class edge is recorded in any case; it is searched for a
		// class cycle only when no instance cycle was found.
		if f, ok := g.classEdge(h, a, e, gates, writeGates, !cyclic); ok && !g.classCycles[classSeq(f)] {
			g.classCycles[classSeq(f)] = true
			found = append(found, f)
		}
	}
	return found, added
}

// heldGates returns the ids of the locks in held other than a and b, and
// of those held in write mode, sorted.
func heldGates(held []HeldLock, a, b uint64) (gates, writeGates []uint64) {
	for _, h := range held {
		if h.Lock.ID == a || h.Lock.ID == b {
			continue
		}
		gates = append(gates, h.Lock.ID)
		if h.Mode == ModeWrite {
			writeGates = append(writeGates, h.Lock.ID)
		}
	}
	slices.Sort(gates)
	slices.Sort(writeGates)
	return slices.Compact(gates), slices.Compact(writeGates)
}

// addEdge adds or refreshes the edge h -> a.Lock and reports whether it
// is new, and whether it is new or its gates shrank.
func (g *Graph) addEdge(h HeldLock, a Acquisition, gates, writeGates []uint64, stack func() []report.Frame, added *[]uint64) (e *edge, isNew, changed bool) {
	from, fresh := g.node(h.Lock)
	if fresh {
		*added = append(*added, h.Lock.ID)
	}
	to, fresh := g.node(a.Lock)
	if fresh {
		*added = append(*added, a.Lock.ID)
	}
	if e := from.out[a.Lock.ID]; e != nil {
		g1, w1 := intersect(e.gates, gates), intersect(e.writeGates, writeGates)
		if len(g1) == len(e.gates) && len(w1) == len(e.writeGates) {
			return e, false, false
		}
		e.gates, e.writeGates = g1, w1
		return e, false, true
	}
	e = &edge{
		from: h.Lock.ID, to: a.Lock.ID,
		fromMode: h.Mode, toMode: a.Mode,
		goroutine: a.Goroutine,
		stack:     stack(),
		gates:     gates, writeGates: writeGates,
	}
	from.addOut(e)
	to.in[e.from] = e
	return e, true, true
}

// intersect returns the elements of sorted a that are in sorted b.
func intersect[T comparable](a, b []T) []T {
	var out []T
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// classSeq returns the classes of a cycle finding's edges in order,
// rotated to start at the smallest, as a key.
func classSeq(f report.Finding) string {
	var cs []string
	for _, e := range f.Edges {
		l, _ := f.Lock(e.From)
		cs = append(cs, l.Class)
	}
	best := 0
	for i := range cs {
		if cs[i] < cs[best] {
			best = i
		}
	}
	return fmt.Sprint(append(cs[best:], cs[:best]...))
}
