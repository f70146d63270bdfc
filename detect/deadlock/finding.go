package deadlock

import (
	"fmt"
	"strings"

	"github.com/condiag/condiag/report"
)

// cycleFinding builds the DL1001 finding for a cycle of edges, each edge's
// to being the next edge's from (over instances), or the next edge's
// from-class (over classes, conf == report.Predicted).
//
// cycle[0] is the edge that closed the cycle: the finding's location is
// where it was taken.
func cycleFinding(cycle []*edge, info func(uint64) LockInfo, conf report.Confidence) report.Finding {
	closing := cycle[0]
	cycle = rotate(cycle, info, conf)
	f := report.New("DL1001")
	f.Confidence = conf

	seen := map[uint64]bool{}
	addLock := func(id uint64) {
		if !seen[id] {
			seen[id] = true
			f.Locks = append(f.Locks, info(id).Report())
		}
	}
	for _, e := range cycle {
		addLock(e.from)
	}
	for _, e := range cycle {
		addLock(e.to)
	}
	goroutines := map[int64]bool{}
	for _, e := range cycle {
		goroutines[e.goroutine] = true
		f.Edges = append(f.Edges, report.Edge{
			From: e.from, To: e.to,
			FromMode: e.fromMode.String(), ToMode: e.toMode.String(),
			Goroutine: e.goroutine, Stack: e.stack,
		})
	}
	names := letters(cycle, info, conf)
	var chain []string
	for _, e := range cycle {
		chain = append(chain, names[e.from])
	}
	chain = append(chain, chain[0])
	what := "lock-order cycle"
	if conf == report.Predicted {
		what = "lock-order cycle over lock classes"
	}
	f.Message = fmt.Sprintf("potential deadlock: %s %s", what, strings.Join(chain, " -> "))
	f.Message += " (" + legend(cycle, info, conf, names) + ")"
	f.Location = location(append([]*edge{closing}, cycle...))
	f.Scenario = scenario(cycle, names)
	if len(goroutines) == 1 {
		f.Notes = append(f.Notes, fmt.Sprintf("every edge of this cycle was taken by goroutine %d; it deadlocks when these code paths run in different goroutines at once", cycle[0].goroutine))
	}
	if conf == report.Predicted {
		f.Notes = append(f.Notes, "predicted: these instances never formed a cycle, but other instances of the same lock classes were taken in the opposite order")
	}
	return f
}

// rotate starts the cycle at its smallest lock (by id, or by class when
// predicted), so that the same cycle always reads the same.
func rotate(cycle []*edge, info func(uint64) LockInfo, conf report.Confidence) []*edge {
	best := 0
	less := func(i, j int) bool {
		if conf == report.Predicted {
			return info(cycle[i].from).Class < info(cycle[j].from).Class
		}
		return cycle[i].from < cycle[j].from
	}
	for i := range cycle {
		if less(i, best) {
			best = i
		}
	}
	return append(append([]*edge(nil), cycle[best:]...), cycle[:best]...)
}

// letters names the locks of the cycle A, B, C... in cycle order; over
// classes, both instances of a class share its letter.
func letters(cycle []*edge, info func(uint64) LockInfo, conf report.Confidence) map[uint64]string {
	names := map[uint64]string{}
	byClass := map[string]string{}
	next := 0
	name := func(id uint64) {
		if _, ok := names[id]; ok {
			return
		}
		if conf == report.Predicted {
			c := info(id).Class
			if n, ok := byClass[c]; ok {
				names[id] = n
				return
			}
			byClass[c] = letter(next)
		}
		names[id] = letter(next)
		next++
	}
	for _, e := range cycle {
		name(e.from)
	}
	for _, e := range cycle {
		name(e.to)
	}
	return names
}

func letter(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return fmt.Sprintf("L%d", i)
}

// legend says which lock each letter stands for.
func legend(cycle []*edge, info func(uint64) LockInfo, conf report.Confidence, names map[uint64]string) string {
	var parts []string
	done := map[string]bool{}
	for _, e := range cycle {
		l := info(e.from)
		n := names[e.from]
		if done[n] {
			continue
		}
		done[n] = true
		if conf == report.Predicted {
			parts = append(parts, fmt.Sprintf("%s = %s class %s", n, l.Kind, l.Class))
		} else {
			parts = append(parts, fmt.Sprintf("%s = %s", n, l.Report().Label()))
		}
	}
	return strings.Join(parts, ", ")
}

// location is the innermost frame of the first edge that has a stack.
func location(cycle []*edge) report.Frame {
	for _, e := range cycle {
		if len(e.stack) > 0 {
			return e.stack[0]
		}
	}
	return report.Frame{}
}

// scenario draws how the cycle deadlocks, one column per edge: each
// goroutine takes its first lock, then each blocks on its second.
func scenario(cycle []*edge, names map[uint64]string) string {
	gs := make([]int64, len(cycle))
	for i, e := range cycle {
		gs[i] = e.goroutine
	}
	t := newGrid(gs)
	for i, e := range cycle {
		t.cell(i, op(e.fromMode, names[e.from]))
		t.flush()
	}
	for i, e := range cycle {
		t.cell(i, op(e.toMode, names[e.to]))
		t.flush()
	}
	return "Possible unsafe locking scenario:\n\n" + t.String() + "\n  *** DEADLOCK ***\n"
}

// op names an acquisition in a scenario: lock(A) or rlock(A).
func op(m Mode, name string) string {
	if m == ModeRead {
		return "rlock(" + name + ")"
	}
	return "lock(" + name + ")"
}

// grid lays out scenario columns.
type grid struct {
	width int
	cells []string
	b     strings.Builder
}

// newGrid starts a scenario with one column per goroutine, headed by its
// id.
func newGrid(goroutines []int64) *grid {
	w := 18
	if len(goroutines) > 5 {
		w = 14
	}
	t := &grid{width: w, cells: make([]string, len(goroutines))}
	for i, g := range goroutines {
		t.cell(i, fmt.Sprintf("goroutine %d", g))
	}
	t.flush()
	for i := range goroutines {
		t.cell(i, "----")
	}
	t.flush()
	return t
}

func (t *grid) cell(col int, s string) { t.cells[col] = s }

// flush writes the current row and clears it.
func (t *grid) flush() {
	var l strings.Builder
	for i, c := range t.cells {
		fmt.Fprintf(&l, "%-*s", t.width, c)
		t.cells[i] = ""
	}
	t.b.WriteString("  " + strings.TrimRight(l.String(), " ") + "\n")
}

func (t *grid) String() string { return t.b.String() }
