package deadlock

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/condiag/condiag/report"
)

// naiveCycle reports whether adding from -> to to the edge set closes a
// cycle, by a plain search.
func naiveCycle(edges map[[2]uint64]bool, from, to uint64) bool {
	seen := map[uint64]bool{to: true}
	stack := []uint64{to}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == from {
			return true
		}
		for e := range edges {
			if e[0] == n && !seen[e[1]] {
				seen[e[1]] = true
				stack = append(stack, e[1])
			}
		}
	}
	return false
}

// TestOrderAgreesWithSearch feeds random two-lock acquisitions (and
// forgets random locks) and checks, at every step, that the graph finds a
// cycle exactly when a plain search over all edges does.
func TestOrderAgreesWithSearch(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 1))
		g := NewGraph()
		edges := map[[2]uint64]bool{}
		const locks = 12
		for step := range 150 {
			if r.IntN(20) == 0 {
				id := uint64(r.IntN(locks) + 1)
				g.Forget(id)
				for e := range edges {
					if e[0] == id || e[1] == id {
						delete(edges, e)
					}
				}
				continue
			}
			from, to := uint64(r.IntN(locks)+1), uint64(r.IntN(locks)+1)
			if from == to || edges[[2]uint64{from, to}] {
				continue
			}
			want := naiveCycle(edges, from, to)
			edges[[2]uint64{from, to}] = true
			fs, _ := g.Acquire(acq(int64(step), w(lk(to, "X")), w(lk(from, "X"))))
			if got := len(fs) > 0; got != want {
				t.Fatalf("seed %d step %d: edge %d -> %d: cycle found %v, plain search says %v", seed, step, from, to, got, want)
			}
		}
	}
}

// BenchmarkOrderedLocking takes pairs of locks out of 1000, always the
// lower id first: no cycle is possible, and the order makes each new edge
// cost no search.
func BenchmarkOrderedLocking(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	g := NewGraph()
	infos := make([]LockInfo, 1000)
	for i := range infos {
		infos[i] = LockInfo{ID: uint64(i + 1), Kind: "Mutex", Class: "account"}
	}
	for b.Loop() {
		x, y := r.IntN(len(infos)), r.IntN(len(infos))
		if x == y {
			continue
		}
		if x > y {
			x, y = y, x
		}
		if fs, _ := g.Acquire(Acquisition{Goroutine: 1, Held: []HeldLock{{Lock: infos[x], Mode: ModeWrite}}, Lock: infos[y], Mode: ModeWrite}); len(fs) > 0 {
			b.Fatal("a cycle in ordered locking")
		}
	}
}

// refEdge and refGraph are a plain lock-order graph for comparison.
type refEdge struct {
	from, to  uint64
	gates, wg []uint64
}

type refGraph struct {
	out map[uint64]map[uint64]*refEdge
}

func (rg *refGraph) next(id uint64) []*refEdge {
	var out []*refEdge
	for _, e := range rg.out[id] {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *refEdge) int { return cmpU64(a.to, b.to) })
	return out
}

// TestOrderAgreesWithFullSearch feeds random chains of two to four locks
// in read and write modes (gates included), forgetting random locks, and
// checks after every acquisition that the graph, which skips searches its
// topological order rules out, reports as many cycles as a full search
// over every edge does.
func TestOrderAgreesWithFullSearch(t *testing.T) {
	seeds := uint64(150)
	if testing.Short() {
		seeds = 30
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(seed, 7))
		g := NewGraph()
		rg := &refGraph{out: map[uint64]map[uint64]*refEdge{}}
		slots := 4 + int(seed%10)
		ids := make([]uint64, slots)
		nextID := uint64(1)
		for i := range ids {
			ids[i] = nextID
			nextID++
		}
		var log []string
		for step := range 200 + int(seed%5)*200 {
			if r.IntN(4+int(seed%20)) == 0 {
				s := r.IntN(slots)
				id := ids[s]
				g.Forget(id)
				delete(rg.out, id)
				for _, m := range rg.out {
					delete(m, id)
				}
				ids[s] = nextID
				nextID++
				log = append(log, fmt.Sprintf("forget %d", id))
				continue
			}
			// a chain of 2 to 4 distinct locks
			n := 2 + r.IntN(3)
			perm := r.Perm(slots)[:n]
			var held []HeldLock
			for _, s := range perm[:n-1] {
				m := ModeWrite
				if r.IntN(2) == 0 {
					m = ModeRead
				}
				held = append(held, HeldLock{Lock: lk(ids[s], "X"), Mode: m})
			}
			lock := lk(ids[perm[n-1]], "X")
			a := Acquisition{Goroutine: int64(step), Held: held, Lock: lock, Mode: ModeWrite,
				Stack: func() []report.Frame { return nil }}
			var hs []string
			for _, h := range held {
				hs = append(hs, fmt.Sprintf("%d%s", h.Lock.ID, h.Mode.String()[:1]))
			}
			log = append(log, fmt.Sprintf("acq %v -> %d", hs, lock.ID))
			// the full search
			want := 0
			for _, h := range held {
				gates, wg := heldGates(held, h.Lock.ID, lock.ID)
				m := rg.out[h.Lock.ID]
				if m == nil {
					m = map[uint64]*refEdge{}
					rg.out[h.Lock.ID] = m
				}
				e := m[lock.ID]
				if e == nil {
					e = &refEdge{from: h.Lock.ID, to: lock.ID, gates: gates, wg: wg}
					m[lock.ID] = e
				} else {
					g1, w1 := intersect(e.gates, gates), intersect(e.wg, wg)
					if len(g1) == len(e.gates) && len(w1) == len(e.wg) {
						continue
					}
					e.gates, e.wg = g1, w1
				}
				p := findPath(e.to, e.from, e.gates, e.wg, rg.next, func(x *refEdge) (uint64, []uint64, []uint64) { return x.to, x.gates, x.wg })
				if p != nil {
					want++
				}
			}
			fs, _ := g.Acquire(a)
			got := 0
			for _, f := range fs {
				if f.Confidence == report.Observed {
					got++
				}
			}
			if got != want {
				start := 0
				if len(log) > 40 {
					start = len(log) - 40
				}
				t.Fatalf("seed %d step %d: got %d cycles, want %d\nlast events:\n%v", seed, step, got, want, log[start:])
			}
		}
	}
}
