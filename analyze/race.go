package analyze

import (
	"github.com/condiag/condiag/internal/racecheck"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/trace"
)

// The race checks replay the trace's lock acquisitions and releases,
// hand-offs (EvSync) and accesses (EvAccess) through the detector the
// monitor runs online. They start, as online, at the first declared
// location or edge.

// startRace starts the race checks.
func (p *proc) startRace() {
	if p.race != nil {
		return
	}
	p.race = racecheck.New(racecheck.Env{
		Stack:  func(site uint64) []report.Frame { return p.r.Stack(trace.StackID(site)) },
		Lock:   func(id uint64) report.Lock { return p.obj(id).lockInfo().Report() },
		Report: func(f report.Finding) { p.report(f) },
	})
}

// rt returns g's state in the race checks; p.race is set.
func (p *proc) rt(g *grout) *racecheck.Thread {
	if g.rt == nil {
		g.rt = p.race.Thread(g.id, g.creator, g.reuses)
	}
	return g.rt
}

// hbSync returns o's state as a lock, hoSync as a hand-off, as the
// monitor keeps them.
func (o *object) hbSync() *racecheck.Sync {
	if o.hb == nil {
		o.hb = new(racecheck.Sync)
	}
	return o.hb
}

func (o *object) hoSync() *racecheck.Sync {
	if o.ho == nil {
		o.ho = new(racecheck.Sync)
	}
	return o.ho
}

// raceLock replays a lock edge: an acquisition or a release by g.
func (p *proc) raceLock(g *grout, o *object, m mode, acquire bool) {
	if acquire {
		p.race.Acquire(p.rt(g), o.hbSync(), m == write)
	} else {
		p.race.Release(p.rt(g), o.hbSync(), m == write)
	}
}

// raceSync replays an EvSync.
func (p *proc) raceSync(g *grout, e *trace.Event) {
	if p.race == nil {
		return
	}
	o := p.obj(e.Obj)
	switch e.Arg {
	case trace.SyncRelease:
		p.race.Signal(p.rt(g), o.hoSync())
	case trace.SyncAcquire:
		p.race.Await(p.rt(g), o.hoSync())
	}
}

// raceAccess replays an EvAccess: the locks g holds, as the monitor
// counts them, and the access.
func (p *proc) raceAccess(g *grout, e *trace.Event) {
	if p.race == nil {
		return
	}
	o := p.obj(e.Obj)
	if o.loc == nil {
		o.loc = &racecheck.Loc{Name: o.name}
	}
	var held [maxHeld]racecheck.Held
	n := 0
	for i := 0; i < g.n; i++ {
		h := &g.held[i]
		if (h.o.kind == trace.ObjMutex || h.o.kind == trace.ObjRWMutex) && g.mayHold(h) {
			held[n] = racecheck.Hold(h.o.id, h.mode == write)
			n++
		}
	}
	p.race.Access(p.rt(g), o.loc, e.Arg != 0, uint64(e.Stack), held[:n])
}

// mayHold mirrors G.mayHold.
func (g *grout) mayHold(e *entry) bool { return e.mode == read || e.o.owner == g.id }
