package deadlock

import (
	"fmt"
	"strings"
	"testing"

	"github.com/condiag/condiag/report"
)

// lk returns lock info for instance id of class cls.
func lk(id uint64, cls string) LockInfo {
	return LockInfo{ID: id, Kind: "Mutex", Class: cls, Named: true, FirstLocked: report.Frame{File: "x.go", Line: int(id)}}
}

// auto returns l with an automatic (unnamed) class.
func auto(l LockInfo) LockInfo { l.Named = false; return l }

var (
	a1, b1, c1, d1, e1 = lk(1, "A"), lk(2, "B"), lk(3, "C"), lk(4, "D"), lk(5, "E")
	gate               = lk(9, "G")
	a2, b2             = lk(11, "A"), lk(12, "B")
)

func w(l LockInfo) HeldLock { return HeldLock{Lock: l, Mode: ModeWrite} }
func r(l LockInfo) HeldLock { return HeldLock{Lock: l, Mode: ModeRead} }

// acq is goroutine g taking lock while holding held.
func acq(g int64, lock HeldLock, held ...HeldLock) Acquisition {
	return Acquisition{
		Goroutine: g, Held: held, Lock: lock.Lock, Mode: lock.Mode,
		Stack: func() []report.Frame { return []report.Frame{{Func: "f", File: "x.go", Line: 100 + int(g)}} },
	}
}

func try(a Acquisition) Acquisition { a.Try = true; return a }

// summary is "ID/confidence:L1,L2,..." for each finding, locks by id in
// cycle order.
func summary(fs []report.Finding) []string {
	var out []string
	for _, f := range fs {
		var ids []string
		for _, e := range f.Edges {
			ids = append(ids, fmt.Sprint(e.From))
		}
		out = append(out, fmt.Sprintf("%s/%s:%s", f.ID, f.Confidence, strings.Join(ids, ",")))
	}
	return out
}

func TestGraphAcquire(t *testing.T) {
	tests := []struct {
		name string
		give []Acquisition
		want []string
	}{
		{
			name: "two-lock inversion",
			give: []Acquisition{acq(1, w(b1), w(a1)), acq(2, w(a1), w(b1))},
			want: []string{"DL1001/observed:1,2"},
		},
		{
			name: "consistent order",
			give: []Acquisition{acq(1, w(b1), w(a1)), acq(2, w(b1), w(a1)), acq(3, w(c1), w(a1), w(b1))},
		},
		{
			name: "three-lock cycle from three goroutines",
			give: []Acquisition{acq(1, w(b1), w(a1)), acq(2, w(c1), w(b1)), acq(3, w(a1), w(c1))},
			want: []string{"DL1001/observed:1,2,3"},
		},
		{
			name: "five-cycle",
			give: []Acquisition{
				acq(1, w(b1), w(a1)), acq(2, w(c1), w(b1)), acq(3, w(d1), w(c1)),
				acq(4, w(e1), w(d1)), acq(5, w(a1), w(e1)),
			},
			want: []string{"DL1001/observed:1,2,3,4,5"},
		},
		{
			name: "gate lock held for every edge",
			give: []Acquisition{acq(1, w(b1), w(gate), w(a1)), acq(2, w(a1), w(gate), w(b1))},
		},
		{
			name: "gate lock missing on one edge",
			give: []Acquisition{acq(1, w(b1), w(gate), w(a1)), acq(2, w(a1), w(b1))},
			want: []string{"DL1001/observed:1,2"},
		},
		{
			name: "gate lost later",
			give: []Acquisition{
				acq(1, w(b1), w(gate), w(a1)), acq(2, w(a1), w(gate), w(b1)),
				acq(3, w(b1), w(a1)),
			},
			want: []string{"DL1001/observed:1,2"},
		},
		{
			name: "read-held gate does not serialize",
			give: []Acquisition{acq(1, w(b1), r(gate), w(a1)), acq(2, w(a1), r(gate), w(b1))},
			want: []string{"DL1001/observed:1,2"},
		},
		{
			name: "gate held in write mode by one path, read mode by the other",
			give: []Acquisition{acq(1, w(b1), r(gate), w(a1)), acq(2, w(a1), w(gate), w(b1))},
		},
		{
			name: "read acquisitions count",
			give: []Acquisition{acq(1, r(b1), r(a1)), acq(2, r(a1), r(b1))},
			want: []string{"DL1001/observed:1,2"},
		},
		{
			name: "trylock adds no edge into the lock",
			give: []Acquisition{try(acq(1, w(b1), w(a1))), acq(2, w(a1), w(b1))},
		},
		{
			name: "inversion over classes",
			give: []Acquisition{acq(1, w(b1), w(a1)), acq(2, w(a2), w(b2))},
			want: []string{"DL1001/predicted:1,12"},
		},
		{
			name: "automatic classes do not predict",
			give: []Acquisition{acq(1, w(auto(b1)), w(auto(a1))), acq(2, w(auto(a2)), w(auto(b2)))},
		},
		{
			name: "automatic classes still find instance cycles",
			give: []Acquisition{acq(1, w(auto(b1)), w(auto(a1))), acq(2, w(auto(a1)), w(auto(b1)))},
			want: []string{"DL1001/observed:1,2"},
		},
		{
			name: "same-class nesting is not a class cycle",
			give: []Acquisition{acq(1, w(a2), w(a1)), acq(2, w(lk(21, "A")), w(lk(22, "A")))},
		},
		{
			name: "instance cycle reported once, not again over classes",
			give: []Acquisition{acq(1, w(b1), w(a1)), acq(2, w(a1), w(b1)), acq(3, w(a2), w(b2))},
			want: []string{"DL1001/observed:1,2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGraph()
			var got []report.Finding
			for _, a := range tt.give {
				fs, _ := g.Acquire(a)
				got = append(got, fs...)
			}
			if s := summary(got); fmt.Sprint(s) != fmt.Sprint(tt.want) {
				t.Errorf("findings = %v, want %v", s, tt.want)
			}
		})
	}
}

func TestGraphCycleReport(t *testing.T) {
	g := NewGraph()
	g.Acquire(acq(7, w(b1), w(a1)))
	fs, _ := g.Acquire(acq(9, w(a1), w(b1)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1", len(fs))
	}
	f := fs[0]
	if f.Location.Line != 109 {
		t.Errorf("location = %v, want the closing acquisition at x.go:109", f.Location)
	}
	for _, want := range []string{"A -> B -> A", "goroutine 7", "goroutine 9", "lock(A)", "lock(B)", "DEADLOCK"} {
		if !strings.Contains(f.Message+f.Scenario, want) {
			t.Errorf("report lacks %q:\n%s\n%s", want, f.Message, f.Scenario)
		}
	}
	if len(f.Notes) != 0 {
		t.Errorf("notes = %q, want none for two goroutines", f.Notes)
	}
	if len(f.Edges) != 2 || f.Edges[0].Goroutine != 7 || len(f.Edges[0].Stack) == 0 {
		t.Errorf("edges = %+v, want goroutine 7's edge first, with its stack", f.Edges)
	}
}

func TestGraphOneGoroutineNote(t *testing.T) {
	g := NewGraph()
	g.Acquire(acq(3, w(b1), w(a1)))
	fs, _ := g.Acquire(acq(3, w(a1), w(b1)))
	if len(fs) != 1 || len(fs[0].Notes) != 1 || !strings.Contains(fs[0].Notes[0], "goroutine 3") {
		t.Fatalf("findings = %+v, want one with a note naming goroutine 3", fs)
	}
}

func TestGraphForget(t *testing.T) {
	g := NewGraph()
	_, added := g.Acquire(acq(1, w(b1), w(a1)))
	if len(added) != 2 || g.Len() != 2 {
		t.Fatalf("added %v, len %d; want both locks", added, g.Len())
	}
	g.Forget(b1.ID)
	if g.Has(b1.ID) || g.Len() != 1 {
		t.Fatalf("after Forget: has B %v, len %d", g.Has(b1.ID), g.Len())
	}
	if fs, _ := g.Acquire(acq(2, w(a1), w(c1))); len(fs) != 0 {
		t.Errorf("findings through a forgotten lock: %v", summary(fs))
	}
	g.Forget(12345) // unknown: no effect
}

func TestGraphStackCapturedOnlyWhenNew(t *testing.T) {
	g := NewGraph()
	calls := 0
	a := acq(1, w(b1), w(a1))
	a.Stack = func() []report.Frame { calls++; return nil }
	g.Acquire(a)
	g.Acquire(a)
	if calls != 1 {
		t.Errorf("stack captured %d times, want 1", calls)
	}
}

// TestGatedCycleThroughAnotherLoop: the cycle A -> X -> B -> A is always
// taken under gate G; a second loop X <-> Y, always under H, must not make
// a walk A -> X -> Y -> X -> B -> A that "lacks" G count as a cycle.
func TestGatedCycleThroughAnotherLoop(t *testing.T) {
	G, H, A, X, B, Y := lk(9, "G"), lk(8, "H"), lk(1, "A"), lk(3, "X"), lk(2, "B"), lk(4, "Y")
	g := NewGraph()
	for i, a := range []Acquisition{
		acq(1, w(X), w(G), w(A)),
		acq(2, w(B), w(G), w(X)),
		acq(3, w(Y), w(H), w(X)),
		acq(4, w(X), w(H), w(Y)),
		acq(5, w(A), w(G), w(B)),
	} {
		if fs, _ := g.Acquire(a); len(fs) > 0 {
			t.Errorf("step %d: %v: %s", i+1, summary(fs), fs[0].Message)
		}
	}
}
