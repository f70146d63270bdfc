package monitor

import (
	"runtime"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/report"
)

// graph is the process's lock-order graph, and heldScratch the buffer
// feed builds acquisitions in; both guarded by slowMu.
var (
	graph       = deadlock.NewGraph()
	heldScratch []deadlock.HeldLock
)

// lockByID returns l or the lock of g's chain with the given id.
func (g *G) lockByID(l *Lock, id uint64) *Lock {
	if l.id == id {
		return l
	}
	for i := 0; i < g.n; i++ {
		if g.held[i].l.id == id {
			return g.held[i].l
		}
	}
	return nil
}

// feed prunes g's chain and feeds the acquisition of l in mode on top of
// it to the graph. It is the slow path: it runs once per distinct chain.
func (g *G) feed(l *Lock, mode Mode) {
	g.prune()
	h := g.next(l, mode, false)
	if g.n == 0 {
		markValidated(h)
		return
	}
	slowMu.Lock()
	a := deadlock.Acquisition{
		Goroutine: int64(g.goid),
		Lock:      l.info(),
		Mode:      mode,
		Stack:     func() []report.Frame { return frames(stackPCs(0)) },
		Held:      heldScratch[:0],
	}
	for i := 0; i < g.n; i++ {
		e := &g.held[i]
		a.Held = append(a.Held, deadlock.HeldLock{Lock: e.l.info(), Mode: e.mode})
	}
	heldScratch = a.Held
	found, added := graph.Acquire(a)
	for _, id := range added {
		if l := g.lockByID(l, id); l != nil && !l.inGraph {
			l.inGraph = true
			runtime.AddCleanup(l, forget, id)
		}
	}
	markValidated(h)
	slowMu.Unlock()
	sink.ReportAll(found)
}

// forget removes a dead lock instance from the graph.
func forget(id uint64) {
	slowMu.Lock()
	graph.Forget(id)
	slowMu.Unlock()
}

// GraphLen returns the number of lock instances in the lock-order graph.
func GraphLen() int {
	slowMu.Lock()
	defer slowMu.Unlock()
	return graph.Len()
}

// GraphHas reports whether l is in the lock-order graph.
func GraphHas(l *Lock) bool {
	slowMu.Lock()
	defer slowMu.Unlock()
	return graph.Has(l.id)
}

// frames symbolizes pcs, leaving out condiag's own frames and the
// runtime's goroutine entry.
func frames(pcs []uintptr) []report.Frame {
	var out []report.Frame
	it := runtime.CallersFrames(pcs)
	for {
		f, more := it.Next()
		if f.Function != "" && !isOwnFrame(f.Function) && f.Function != "runtime.goexit" {
			out = append(out, report.Frame{Func: f.Function, File: f.File, Line: f.Line})
		}
		if !more || len(out) == 32 {
			return out
		}
	}
}
