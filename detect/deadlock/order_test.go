package deadlock

import (
	"math/rand/v2"
	"testing"
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
