package monitor

import (
	"github.com/condiag/condiag/detect/deadlock"
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
	state := "blocked"
	if stack == nil {
		stack = frames(stackPCs(0))
		state = "about to block"
	}
	send(deadlock.SelfFinding(id, int64(goid), holds, l.Info(), heldMode, mode, state, stack))
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
	g := Current()
	var info *deadlock.LockInfo
	if l != nil {
		i := l.Info()
		info = &i
	}
	pcs := stackPCs(0)
	traceMisuse(g, l, kind, op, pcs)
	f := deadlock.MisuseFinding(info, kind.String(), op, int64(g.goid), g.heldIDs(), frames(pcs))
	if g.gp == 0 {
		g.settle()
	}
	sink.Report(f)
}

// reportNow hands findings to the sink and its handler in the calling
// goroutine.
func reportNow(fs ...report.Finding) { sink.ReportAll(fs) }
