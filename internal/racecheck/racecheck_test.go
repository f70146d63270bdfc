package racecheck

import (
	"fmt"
	"strings"
	"testing"

	"github.com/condiag/condiag/report"
)

// world drives a detector by hand: goroutines by id, locks and sites by
// number.
type world struct {
	t     *testing.T
	d     *Detector
	found []report.Finding
	locks map[uint64]*Sync
	held  map[uint64][]Held
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, locks: map[uint64]*Sync{}, held: map[uint64][]Held{}}
	w.d = New(Env{
		Stack: func(site uint64) []report.Frame {
			return []report.Frame{{Func: "main.f", File: "main.go", Line: int(site)}}
		},
		Lock:   func(id uint64) report.Lock { return report.Lock{Kind: "Mutex", Name: fmt.Sprintf("mu%d", id)} },
		Report: func(f report.Finding) { w.found = append(w.found, f) },
	})
	// Goroutines 1 to 9 exist from the start, in no order: one made
	// later with no creator would be ordered after everything.
	for g := uint64(1); g <= 9; g++ {
		w.d.Thread(g, 0, 0)
	}
	return w
}

func (w *world) g(id uint64) *Thread {
	if t := w.d.Lookup(id); t != nil {
		return t
	}
	return w.d.Thread(id, 0, 0)
}

func (w *world) lock(g, l uint64, write bool) {
	s := w.locks[l]
	if s == nil {
		s = new(Sync)
		w.locks[l] = s
	}
	w.d.Acquire(w.g(g), s, write)
	w.held[g] = append(w.held[g], Hold(l, write))
}

func (w *world) unlock(g, l uint64) {
	hs := w.held[g]
	for i, h := range hs {
		if h.ID() == l {
			w.d.Release(w.g(g), w.locks[l], h.Write())
			w.held[g] = append(hs[:i:i], hs[i+1:]...)
			return
		}
	}
	w.t.Fatalf("G%d does not hold lock %d", g, l)
}

func (w *world) access(g uint64, v *Loc, write bool, line uint64) {
	w.d.Access(w.g(g), v, write, line, w.held[g])
}

func (w *world) ids() string {
	var s []string
	for _, f := range w.found {
		s = append(s, f.ID+"@"+f.Location.String())
	}
	return strings.Join(s, " ")
}

func (w *world) want(ids string) {
	w.t.Helper()
	if got := w.ids(); got != ids {
		w.t.Errorf("findings %q, want %q", got, ids)
		for _, f := range w.found {
			w.t.Logf("%s", f.Message)
		}
	}
}

func TestUnorderedWrites(t *testing.T) {
	w := newWorld(t)
	v := &Loc{Name: "n"}
	w.access(1, v, true, 10)
	w.access(2, v, true, 20)
	w.access(1, v, true, 10) // the same pair: reported once
	w.want("RC2001@main.go:20")
	if m := w.found[0].Message; !strings.Contains(m, `"n"`) || !strings.Contains(m, "main.go:10") {
		t.Errorf("message %q: want the name and the other access", m)
	}
}

func TestReadWriteAtTheWrite(t *testing.T) {
	for _, writeFirst := range []bool{true, false} {
		w := newWorld(t)
		v := &Loc{}
		if writeFirst {
			w.access(1, v, true, 10)
			w.access(2, v, false, 20)
		} else {
			w.access(2, v, false, 20)
			w.access(1, v, true, 10)
		}
		w.want("RC2001@main.go:10") // placed at the write either way
	}
}

func TestCommonLock(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	for i := range 3 {
		for g := uint64(1); g <= 2; g++ {
			w.lock(g, 7, true)
			w.access(g, v, i%2 == 0, 10*g)
			w.unlock(g, 7)
		}
	}
	w.want("")
}

// Two writes without a lock, ordered only because unrelated critical
// sections happened to run in this order: no RC2001, but the lockset is
// empty.
func TestOrderedByTimingOnly(t *testing.T) {
	w := newWorld(t)
	v := &Loc{Name: "x"}
	w.access(1, v, true, 10)
	w.lock(1, 7, true)
	w.unlock(1, 7)
	w.lock(2, 7, true)
	w.unlock(2, 7)
	w.access(2, v, true, 20)
	w.want("RC2002@main.go:20")
	if m := w.found[0].Message; !strings.Contains(m, "written at main.go:10 holding no lock") {
		t.Errorf("message %q: want the earlier access", m)
	}
}

func TestHandOff(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	ch := new(Sync)
	w.access(1, v, true, 10) // initialise
	w.d.Signal(w.g(1), ch)
	w.d.Await(w.g(2), ch)
	w.access(2, v, true, 20) // the new owner
	w.access(2, v, false, 21)
	w.want("")
	w.access(1, v, false, 11) // the old one again: unordered
	w.want("RC2001@main.go:20")
}

func TestFork(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.access(1, v, true, 10)
	w.d.Thread(12, 1, 0)
	w.access(12, v, true, 20)
	w.want("")
	w.access(1, v, true, 11) // after the go statement
	w.want("RC2001@main.go:11")
}

func TestUnknownCreatorOrderedAfterAll(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.access(1, v, true, 10)
	w.d.Thread(13, 99, 0)
	w.access(13, v, true, 30)
	w.want("")
}

func TestWriteUnderReadLock(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.lock(1, 7, false)
	w.lock(2, 7, false)
	w.access(1, v, false, 10)
	w.access(2, v, false, 20) // reads under RLock: fine
	w.want("")
	w.access(2, v, true, 21)
	w.want("RC2001@main.go:21")
	if n := w.found[0].Notes; len(n) != 1 || !strings.Contains(n[0], "held mu7 (read) for reading only") {
		t.Errorf("notes %q: want one on the write under a read lock", n)
	}
}

func TestReadLockOrdersAfterWriter(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.lock(1, 7, true)
	w.access(1, v, true, 10)
	w.unlock(1, 7)
	for g := uint64(2); g <= 3; g++ {
		w.lock(g, 7, false)
		w.access(g, v, false, 10*g)
		w.unlock(g, 7)
	}
	w.lock(1, 7, true) // after both readers
	w.access(1, v, true, 11)
	w.unlock(1, 7)
	w.want("")
}

func TestReadSharedThenWriteWithoutLock(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.access(1, v, false, 10)
	w.access(2, v, false, 20) // read-shared: no finding
	w.want("")
	w.lock(1, 7, true)
	w.access(1, v, true, 11)
	w.unlock(1, 7)
	w.want("RC2001@main.go:11")
}

func TestSkip(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	g := w.g(1)
	if v.Skip(g, false) || v.Skip(g, true) {
		t.Fatal("skip before any access")
	}
	w.access(1, v, true, 10)
	if !v.Skip(g, false) || !v.Skip(g, true) {
		t.Error("no skip of a second access in the same epoch")
	}
	w.lock(1, 7, true)
	w.unlock(1, 7)
	if v.Skip(g, true) {
		t.Error("skip after a release")
	}
	w.access(2, v, false, 20)
	w.access(1, v, true, 11)
	if v.Skip(w.g(2), false) {
		t.Error("read skipped after another goroutine's write")
	}
}

// A goroutine that reuses the runtime structure of one that exited is
// not ordered after it: the exit synchronises with nothing.
func TestReuseIsNotOrder(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.d.Thread(50, 1, 0)
	w.access(50, v, true, 50)
	w.d.Thread(60, 1, 50)
	w.access(60, v, false, 60)
	w.want("RC2001@main.go:50")
	if w.d.Lookup(50) != nil {
		t.Error("the exited goroutine is still known")
	}
}

// Workers share a location under a lock; once they are waited for, the
// waiting goroutine owns it again and reads it without the lock.
func TestOwnedAgainAfterJoin(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	wg := new(Sync)
	w.access(1, v, true, 10)
	w.d.Thread(12, 1, 0)
	w.d.Thread(13, 1, 0)
	for g := uint64(12); g <= 13; g++ {
		w.lock(g, 7, true)
		w.access(g, v, true, 20)
		w.unlock(g, 7)
		w.d.Signal(w.g(g), wg)
	}
	w.d.Await(w.g(1), wg)
	w.access(1, v, false, 11)
	w.access(1, v, true, 12)
	w.want("")
}

// A goroutine created by one that made no call yet (main before its
// first lock, say) is still unordered with its sibling.
func TestSiblingsOfAnUnknownCreator(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.d.Thread(12, 100, 0)
	w.access(12, v, true, 20)
	w.d.Thread(13, 100, 0)
	w.access(13, v, true, 30)
	w.want("RC2001@main.go:30")
}

// A lock taken again by the goroutine that released it last skips the
// walk of the clocks; the next goroutine must still see its latest
// release.
func TestRelockSameGoroutine(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	for i := range 3 {
		w.lock(1, 7, true)
		w.access(1, v, true, uint64(10+i))
		w.unlock(1, 7)
	}
	w.lock(2, 7, true)
	w.access(2, v, false, 20)
	w.unlock(2, 7)
	w.want("")
	w.access(1, v, true, 13) // without the lock: after g2's read in no order
	w.want("RC2001@main.go:13")
}

// A goroutine created by one that exited, and whose runtime structure a
// third reused, before it made its first call: its creator is unknown,
// and it is ordered after everything, the exited creator included.
func TestCreatorForgotten(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.d.Thread(20, 1, 0)
	w.access(20, v, true, 20)
	w.d.Thread(30, 1, 20) // reuses 20's structure
	w.d.Thread(21, 20, 0) // created by 20 before it exited
	w.access(21, v, false, 21)
	w.want("")
}

// The runtime's goroutines name no creator (time.AfterFunc's): ordered
// after everything seen so far.
func TestNoCreator(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.access(1, v, true, 10)
	w.d.Thread(40, 0, 0)
	w.access(40, v, false, 40)
	w.want("")
}

// An Await that hands a shared location back to one goroutine starts an
// epoch, so that goroutine's next access is not skipped as a repeat and
// finds the location its own again.
func TestAwaitEndsTheEpoch(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	s := new(Sync)
	for g := uint64(1); g <= 2; g++ {
		w.lock(g, 7, true)
		w.access(g, v, true, 10*g)
		w.unlock(g, 7)
	}
	w.d.Signal(w.g(2), s)
	w.lock(1, 7, true)
	w.access(1, v, true, 11)
	w.d.Await(w.g(1), s)
	if v.Skip(w.g(1), false) {
		t.Error("read skipped after an Await that handed the location over")
	}
	w.access(1, v, false, 12)
	w.unlock(1, 7)
	w.lock(2, 7, true)
	w.unlock(2, 7)
	w.access(2, v, false, 21)
	w.want("")
}

// A read repeated in the same epoch after the location became shared is
// still counted by the lockset: the first one was made while it was
// exclusive, where locks are not counted.
func TestRepeatAfterSharing(t *testing.T) {
	w := newWorld(t)
	v := &Loc{}
	w.access(1, v, false, 10) // exclusive to G1
	w.lock(2, 7, true)
	w.access(2, v, false, 20) // shared, {7}
	w.unlock(2, 7)
	w.access(1, v, false, 11) // same epoch, no lock: the lockset is empty
	w.lock(1, 8, true)
	w.unlock(1, 8)
	w.lock(3, 8, true)
	w.lock(3, 7, true)
	w.access(3, v, true, 30)
	w.want("RC2002@main.go:30")
}
