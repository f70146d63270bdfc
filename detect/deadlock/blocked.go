package deadlock

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/condiag/condiag/report"
)

// Snapshot is what a driver knows of the goroutines at one moment: what
// each holds, and the stacks of those it could capture.
type Snapshot struct {
	Holds  map[int64][]HeldLock
	Stacks map[int64]report.Goroutine
}

func (s Snapshot) goroutine(id int64, w *Waiter) report.Goroutine {
	g, ok := s.Stacks[id]
	if !ok {
		g = report.Goroutine{ID: id, State: "not running"}
	}
	g.Holds = nil
	for _, h := range s.Holds[id] {
		g.Holds = append(g.Holds, h.Lock.ID)
	}
	if w != nil {
		g.WaitsFor = w.Lock.ID
		g.WaitMode = w.Mode.String()
		if w.Verb != "" {
			g.WaitMode = strings.Fields(w.Verb)[0] // put, take, acquire, wait
		}
	}
	return g
}

func (s Snapshot) holds(g int64, lock uint64) (Mode, bool) {
	for _, h := range s.Holds[g] {
		if h.Lock.ID == lock {
			return h.Mode, true
		}
	}
	return ModeInvalid, false
}

// BlockedFinding builds the DL1002 finding for a cycle returned by
// [WaitCycles].
func BlockedFinding(ws []Waiter, cycle []int, s Snapshot) report.Finding {
	f := report.New("DL1002")
	f.Confidence = report.Observed
	inCycle := map[uint64]LockInfo{}
	for _, wi := range cycle {
		inCycle[ws[wi].Lock.ID] = ws[wi].Lock
	}
	cols := make([]blockedColumn, len(cycle))
	var steps []string
	for i, wi := range cycle {
		w := &ws[wi]
		next := &ws[cycle[(i+1)%len(cycle)]]
		if w.Verb != "" {
			steps = append(steps, fmt.Sprintf("goroutine %d waits to %s %s %s", w.Goroutine, w.Verb, w.label(), w.relation(next.Goroutine)))
		} else {
			how := "held by"
			if _, ok := s.holds(next.Goroutine, w.Lock.ID); !ok {
				how = "behind the writer queued first,"
			}
			steps = append(steps, fmt.Sprintf("goroutine %d waits to %s %s %s goroutine %d",
				w.Goroutine, verb(w.Mode), w.Lock.Report().Label(), how, next.Goroutine))
		}
		f.Goroutines = append(f.Goroutines, s.goroutine(w.Goroutine, w))
		cols[i] = blockedColumn{goroutine: w.Goroutine, wait: w.Lock.ID, waitMode: w.Mode, verb: w.Verb}
		for _, h := range s.Holds[w.Goroutine] {
			if _, ok := inCycle[h.Lock.ID]; ok {
				cols[i].holds = append(cols[i].holds, h)
			}
		}
	}
	// Letters and the lock list follow the scenario: what the first
	// goroutine holds, what it waits for, and so on.
	names := map[uint64]string{}
	add := func(id uint64) {
		if _, ok := names[id]; !ok {
			names[id] = letter(len(f.Locks))
			f.Locks = append(f.Locks, inCycle[id].Report())
		}
	}
	for _, c := range cols {
		for _, h := range c.holds {
			add(h.Lock.ID)
		}
		add(c.wait)
	}
	f.Message = "deadlock: " + strings.Join(steps, "; ")
	if len(f.Goroutines) > 0 && len(f.Goroutines[0].Stack) > 0 {
		f.Location = f.Goroutines[0].Stack[0]
	}
	f.Scenario = blockedScenario(cols, names)
	return f
}

// blockedColumn is one goroutine of a DL1002 cycle.
type blockedColumn struct {
	goroutine int64
	holds     []HeldLock
	wait      uint64
	waitMode  Mode
	verb      string // for a wait on an object other than a lock
}

// label names the object w waits on, with its state.
func (w *Waiter) label() string {
	l := w.Lock.Report().Label()
	if w.State != "" {
		l += " (" + w.State + ")"
	}
	return l
}

// relation says how the goroutines w waits for relate to its object,
// naming next, the one the cycle goes on with.
func (w *Waiter) relation(next int64) string {
	if w.Any && len(w.WaitsFor) > 1 {
		return fmt.Sprintf("%s %s, all blocked", w.Relation, goroutineList(w.WaitsFor))
	}
	return fmt.Sprintf("%s goroutine %d", w.Relation, next)
}

// blockedScenario draws the goroutines of a DL1002 cycle: first what each
// holds, then what each waits for.
func blockedScenario(cols []blockedColumn, names map[uint64]string) string {
	gs := make([]int64, len(cols))
	for i, c := range cols {
		gs[i] = c.goroutine
	}
	t := newGrid(gs)
	for i, c := range cols {
		for _, h := range c.holds {
			t.cell(i, op(h.Mode, names[h.Lock.ID]))
			t.flush()
		}
	}
	for i, c := range cols {
		o := op(c.waitMode, names[c.wait])
		if c.verb != "" {
			o = strings.Fields(c.verb)[0] + "(" + names[c.wait] + ")"
		}
		t.cell(i, o+" (blocked)")
		t.flush()
	}
	return "Goroutines blocked now:\n\n" + t.String() + "\n  *** DEADLOCK ***\n"
}

func verb(m Mode) string {
	if m == ModeRead {
		return "read-lock"
	}
	return "lock"
}

// HangFinding builds the DL1005 finding for w, blocked for waited.
func HangFinding(w Waiter, waited time.Duration, s Snapshot) report.Finding {
	f := report.New("DL1005")
	f.Confidence = report.Observed
	f.Locks = []report.Lock{w.Lock.Report()}
	f.Goroutines = []report.Goroutine{s.goroutine(w.Goroutine, &w)}
	var holders []string
	for _, h := range slices.Sorted(slices.Values(w.WaitsFor)) {
		g := s.goroutine(h, nil)
		f.Goroutines = append(f.Goroutines, g)
		where := ""
		if len(g.Stack) > 0 {
			where = " at " + g.Stack[0].String()
		}
		if _, ok := s.Stacks[h]; !ok {
			where = ", which has exited"
		}
		holders = append(holders, fmt.Sprintf("goroutine %d [%s]%s", h, g.State, where))
	}
	who := "no holder known"
	if len(holders) > 0 {
		who = "held by " + strings.Join(holders, ", ")
	}
	v, label := verb(w.Mode), w.Lock.Report().Label()
	if w.Verb != "" {
		v, label = w.Verb, w.label()
		who = "no goroutine known to end the wait"
		if len(holders) > 0 {
			who = w.Relation + " " + strings.Join(holders, ", ")
		}
	}
	f.Message = fmt.Sprintf("blocked too long: goroutine %d has waited %s to %s %s; %s",
		w.Goroutine, waited.Round(100*time.Millisecond), v, label, who)
	if g := f.Goroutines[0]; len(g.Stack) > 0 {
		f.Location = g.Stack[0]
	}
	return f
}
