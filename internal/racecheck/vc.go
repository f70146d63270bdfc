package racecheck

import (
	"runtime"
	"sync/atomic"
)

// A vc is a vector clock: for each thread (by tid), the last of its
// clock values known here.
type vc []uint32

func (v vc) get(tid uint32) uint32 {
	if int(tid) < len(v) {
		return v[tid]
	}
	return 0
}

// join makes v the element-wise maximum of v and o.
func (v *vc) join(o vc) {
	if len(o) > len(*v) {
		if cap(*v) >= len(o) {
			*v = (*v)[:len(o)]
		} else {
			n := make(vc, len(o), len(o)+len(o)/4+4)
			copy(n, *v)
			*v = n
		}
	}
	w := (*v)[:len(o)]
	for i, c := range o {
		if c > w[i] {
			w[i] = c
		}
	}
}

// assign makes v a copy of o.
func (v *vc) assign(o vc) { *v = append((*v)[:0], o...) }

// spin is a lock for the short critical sections of the detector: an
// uncontended pair is one compare-and-swap and one store.
type spin struct{ v atomic.Uint32 }

func (s *spin) lock() {
	for !s.v.CompareAndSwap(0, 1) {
		runtime.Gosched()
	}
}

func (s *spin) unlock() { s.v.Store(0) }
