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
	infos := map[uint64]LockInfo{}
	var edges []*edge
	var steps []string
	for i, wi := range cycle {
		w := &ws[wi]
		prev := &ws[cycle[(i+len(cycle)-1)%len(cycle)]]
		next := &ws[cycle[(i+1)%len(cycle)]]
		infos[w.Lock.ID] = w.Lock
		mode, _ := s.holds(w.Goroutine, prev.Lock.ID)
		if mode == ModeInvalid {
			mode = ModeWrite
		}
		edges = append(edges, &edge{from: prev.Lock.ID, to: w.Lock.ID, fromMode: mode, toMode: w.Mode, goroutine: w.Goroutine})
		how := "held by"
		if _, ok := s.holds(next.Goroutine, w.Lock.ID); !ok {
			how = "with a writer queued first:"
		}
		steps = append(steps, fmt.Sprintf("goroutine %d waits to %s %s %s goroutine %d",
			w.Goroutine, verb(w.Mode), w.Lock.Report().Label(), how, next.Goroutine))
		f.Goroutines = append(f.Goroutines, s.goroutine(w.Goroutine, w))
	}
	for _, wi := range cycle {
		f.Locks = append(f.Locks, ws[wi].Lock.Report())
	}
	edges = rotate(edges, func(id uint64) LockInfo { return infos[id] }, report.Observed)
	for _, e := range edges {
		f.Edges = append(f.Edges, report.Edge{
			From: e.from, To: e.to, FromMode: e.fromMode.String(), ToMode: e.toMode.String(),
			Goroutine: e.goroutine, Stack: s.Stacks[e.goroutine].Stack,
		})
	}
	f.Message = "deadlock: " + strings.Join(steps, "; ")
	if len(f.Goroutines) > 0 && len(f.Goroutines[0].Stack) > 0 {
		f.Location = f.Goroutines[0].Stack[0]
	}
	f.Scenario = scenario(edges, letters(edges, func(id uint64) LockInfo { return infos[id] }, report.Observed))
	return f
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
	f.Message = fmt.Sprintf("blocked too long: goroutine %d has waited %s to %s %s; %s",
		w.Goroutine, waited.Round(100*time.Millisecond), verb(w.Mode), w.Lock.Report().Label(), who)
	if g := f.Goroutines[0]; len(g.Stack) > 0 {
		f.Location = g.Stack[0]
	}
	return f
}
