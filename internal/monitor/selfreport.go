package monitor

import (
	"fmt"

	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/report"
)

// reportSelf reports DL1003 (g requests l, which it holds, in a mode that
// can never be granted) or DL1004 (a second read lock). stack is g's
// stack, or nil when g is the calling goroutine; send hands the finding
// to the sink.
func reportSelf(id string, goid uint64, holds []uint64, l *Lock, heldMode, mode Mode, stack []report.Frame, send func(...report.Finding)) {
	// A second read lock does not block: report each instance once and
	// skip the stack capture after that. A self-deadlock is reported at
	// every occurrence, so that a handler that panics acts every time.
	if id == "DL1004" && l.selfReported.Or(1)&1 != 0 {
		return
	}
	f := report.New(id)
	f.Confidence = report.Observed
	info := l.Info()
	lk := info.Report()
	lk.Held = heldMode.String()
	lk.Holder = int64(goid)
	f.Locks = []report.Lock{lk}
	state := "blocked"
	if stack == nil {
		stack = frames(stackPCs(0))
		state = "about to block"
	}
	if len(stack) > 0 {
		f.Location = stack[0]
	}
	f.Goroutines = []report.Goroutine{{
		ID: int64(goid), State: state,
		Holds: holds, WaitsFor: l.id, WaitMode: mode.String(), Stack: stack,
	}}
	verb := map[Mode]string{Write: "Lock", Read: "RLock"}
	switch id {
	case "DL1003":
		f.Message = fmt.Sprintf("self-deadlock: goroutine %d calls %s on %s, which it already holds in %s mode", goid, verb[mode], lk.Label(), heldMode)
		if l.kind == KindOnce {
			f.Message = fmt.Sprintf("self-deadlock: goroutine %d calls Do on %s from inside its own Do", goid, lk.Label())
		}
	case "DL1004":
		f.Severity = report.SeverityWarning
		f.Message = fmt.Sprintf("recursive read lock: goroutine %d calls RLock on %s, which it already read-holds; it deadlocks if a writer calls Lock in between", goid, lk.Label())
	}
	send(f)
}

// heldIDs returns the ids of the locks g holds, oldest first.
func (g *G) heldIDs() []uint64 {
	ids := make([]uint64, 0, g.n)
	for i := 0; i < g.n; i++ {
		if g.valid(&g.held[i]) {
			ids = append(ids, g.held[i].l.id)
		}
	}
	return ids
}

// Misuse reports DL1006: op (such as "Unlock of unlocked Mutex") was
// called on l, which may be nil for a primitive never locked. The caller
// then lets the standard library fail as it does.
func Misuse(l *Lock, kind Kind, op string) {
	f := report.New("DL1006")
	f.Confidence = report.Observed
	g := Current()
	if l != nil {
		f.Locks = []report.Lock{l.Info().Report()}
	} else {
		f.Locks = []report.Lock{{Kind: kind.String(), Class: "never locked"}}
	}
	stack := frames(stackPCs(0))
	if len(stack) > 0 {
		f.Location = stack[0]
	}
	f.Goroutines = []report.Goroutine{{ID: int64(g.goid), State: "running", Holds: g.heldIDs(), Stack: stack}}
	f.Message = fmt.Sprintf("misuse: %s by goroutine %d", op, g.goid)
	if g.gp == 0 {
		g.settle()
	}
	sink.Report(f)
}

// reportNow hands findings to the sink and its handler in the calling
// goroutine.
func reportNow(fs ...report.Finding) { sink.ReportAll(fs) }
