package fifo

import (
	"slices"
	"testing"
)

type elem struct {
	links Links[elem]
	v     int
}

func (e *elem) Links() *Links[elem] { return &e.links }

func values(l *List[elem, *elem]) []int {
	var out []int
	for x := l.Front(); x != nil; x = l.Next(x) {
		out = append(out, x.v)
	}
	// and backwards, to check the prev links
	var back []int
	for x := l.tail; x != nil; x = x.links.prev {
		back = append(back, x.v)
	}
	slices.Reverse(back)
	if !slices.Equal(out, back) {
		panic("prev and next links disagree")
	}
	return out
}

func TestList(t *testing.T) {
	var l List[elem, *elem]
	if l.Front() != nil || l.PopFront() != nil {
		t.Fatal("zero List not empty")
	}
	es := make([]*elem, 5)
	for i := range es {
		es[i] = &elem{v: i}
		l.PushBack(es[i])
	}
	steps := []struct {
		do   func()
		want []int
	}{
		{func() {}, []int{0, 1, 2, 3, 4}},
		{func() { l.Remove(es[2]) }, []int{0, 1, 3, 4}}, // from the middle
		{func() { l.Remove(es[4]) }, []int{0, 1, 3}},    // the last
		{func() { l.Remove(es[0]) }, []int{1, 3}},       // the first
		{func() { l.PushBack(es[2]) }, []int{1, 3, 2}},  // back in, at the end
		{func() { l.PopFront() }, []int{3, 2}},
		{func() { l.PopFront(); l.PopFront() }, nil},
		{func() { l.PushBack(es[0]) }, []int{0}},
	}
	for i, s := range steps {
		s.do()
		if got := values(&l); !slices.Equal(got, s.want) {
			t.Fatalf("step %d: list %v, want %v", i, got, s.want)
		}
	}
}
