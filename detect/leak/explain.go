package leak

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/internal/gstack"
	"github.com/condiag/condiag/internal/leakmsg"
	"github.com/condiag/condiag/internal/monitor"
	"github.com/condiag/condiag/report"
)

// maxListed is how many goroutine ids a grouped finding lists.
const maxListed = 10

// explain groups the leaked goroutines by identical stack and builds one
// LK3001 for each group, naming what condiag knows of the first: the
// primitive it waits on and its holders, the locks it holds, where it was
// created and by which test.
func explain(leaked []*gstack.Goroutine, gs []gstack.Goroutine) []report.Finding {
	alive := byID(gs)
	snap := monitor.Snapshot()
	var order []string
	groups := map[string][]*gstack.Goroutine{}
	for _, g := range leaked {
		k := groupKey(g, snap)
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], g)
	}
	out := make([]report.Finding, 0, len(order))
	for _, k := range order {
		out = append(out, leakFinding(groups[k], snap, alive))
	}
	return out
}

// groupKey is what goroutines of one group share: their state, stack,
// creator and the class of what they wait on.
func groupKey(g *gstack.Goroutine, snap monitor.State) string {
	var b strings.Builder
	b.WriteString(g.State)
	for _, f := range g.Frames {
		fmt.Fprintf(&b, "|%s %s:%d", f.Func, f.File, f.Line)
	}
	fmt.Fprintf(&b, "|%s:%d", g.CreatedBy.File, g.CreatedBy.Line)
	if w, ok := snap.Waits[g.ID]; ok {
		fmt.Fprintf(&b, "|%s %s", w.Lock.Kind, w.Lock.Class)
	}
	return b.String()
}

func leakFinding(group []*gstack.Goroutine, snap monitor.State, alive map[int64]*gstack.Goroutine) report.Finding {
	g := group[0]
	f := groupFinding("LK3001", g)
	user := gstack.UserFrames(g.Frames)
	f.Goroutines = []report.Goroutine{goroutine(g, snap)}
	what := []string{"blocked in " + g.State}
	if wait, ok := addWait(&f, group, snap, alive); ok {
		what[0] = wait
	}
	for _, h := range snap.Holds[g.ID] {
		lk := h.Lock.Report()
		lk.Held, lk.Holder = h.Mode.String(), g.ID
		f.Locks = append(f.Locks, lk)
		what = append(what, leakmsg.Holding(lk, h.Mode.String(), h.Taken))
	}
	fn := ""
	if len(user) > 0 {
		fn = user[0].Func
	}
	f.Message = leakmsg.Leaked(len(group), g.ID, fn, what)
	if !g.CreatedBy.IsZero() {
		f.Notes = append(f.Notes, fmt.Sprintf("created at %s by %s", g.CreatedBy, g.CreatedBy.Func))
	}
	if t := startedBy(g); t != "" {
		f.Message += ", started by " + t
		f.Notes = append(f.Notes, "started by "+t)
	}
	if len(group) > 1 {
		f.Notes = append(f.Notes, fmt.Sprintf("leaked goroutines: %d, with the same stack: %s", len(group), listIDs(group)))
	}
	if g.Leaked {
		f.Notes = append(f.Notes, "proven: the garbage collector found it can never run again (goroutine leak profile)")
	}
	return f
}

// addWait adds to f the condiag primitive that the goroutines of group
// wait on, and its holders outside the group, and returns the wait in
// words; false if condiag knows of no such wait.
func addWait(f *report.Finding, group []*gstack.Goroutine, snap monitor.State, alive map[int64]*gstack.Goroutine) (string, bool) {
	w, ok := snap.Waits[group[0].ID]
	if !ok {
		return "", false
	}
	lk := w.Lock.Report()
	f.Locks = append(f.Locks, lk)
	for _, h := range w.Holders {
		inGroup := slices.ContainsFunc(group, func(x *gstack.Goroutine) bool { return x.ID == h })
		if hg := alive[h]; hg != nil && !inGroup {
			f.Goroutines = append(f.Goroutines, goroutine(hg, snap))
		}
	}
	return waitText(w, lk, snap, alive), true
}

// groupFinding starts a finding about a group of goroutines like g, at
// g's innermost user frame (or its go statement).
func groupFinding(id string, g *gstack.Goroutine) report.Finding {
	f := report.New(id)
	f.Confidence = report.Observed
	if user := gstack.UserFrames(g.Frames); len(user) > 0 {
		f.Location = user[0]
	} else {
		f.Location = g.CreatedBy
	}
	return f
}

func waitText(w monitor.Wait, lk report.Lock, snap monitor.State, alive map[int64]*gstack.Goroutine) string {
	if w.Object {
		return leakmsg.ObjectWait(lk, w.Count)
	}
	var holders []leakmsg.Holder
	for _, h := range w.Holders {
		holders = append(holders, holder(h, lk.ID, snap, alive))
	}
	if rw := w.Resource; rw != nil {
		return leakmsg.ResourceWait(lk, rw.Verb, rw.State, rw.Relation, holders)
	}
	return leakmsg.LockWait(lk, w.Mode == deadlock.ModeRead, holders)
}

// holder describes goroutine id, which holds lock.
func holder(id int64, lock uint64, snap monitor.State, alive map[int64]*gstack.Goroutine) leakmsg.Holder {
	h := leakmsg.Holder{ID: id, Now: leakmsg.Exited}
	if g := alive[id]; g != nil {
		h.Now = now(g)
	}
	for _, x := range snap.Holds[id] {
		if x.Lock.ID == lock {
			h.Taken = x.Taken
		}
	}
	return h
}

// now is what g does, for a [leakmsg.Holder].
func now(g *gstack.Goroutine) string {
	var where report.Frame
	if user := gstack.UserFrames(g.Frames); len(user) > 0 {
		where = user[0]
	}
	return leakmsg.Now(g.State, where)
}

// startedBy names the test that started g, if any is known.
func startedBy(g *gstack.Goroutine) string {
	ts := gstack.Process.Tests(g.ID)
	if len(ts) == 0 {
		return ""
	}
	return "test " + ts[0].Name
}

func goroutine(g *gstack.Goroutine, snap monitor.State) report.Goroutine {
	r := report.Goroutine{ID: g.ID, State: g.State, Stack: gstack.UserFrames(g.Frames), CreatedBy: g.CreatedBy}
	for _, h := range snap.Holds[g.ID] {
		r.Holds = append(r.Holds, h.Lock.ID)
	}
	if w, ok := snap.Waits[g.ID]; ok {
		r.WaitsFor = w.Lock.ID
		switch {
		case w.Resource != nil:
			r.WaitMode = strings.Fields(w.Resource.Verb)[0]
		case !w.Object:
			r.WaitMode = w.Mode.String()
		}
	}
	return r
}

func listIDs(group []*gstack.Goroutine) string {
	var ids []string
	for i, g := range group {
		if i == maxListed {
			ids = append(ids, "...")
			break
		}
		ids = append(ids, fmt.Sprint(g.ID))
	}
	return strings.Join(ids, ", ")
}

// heldAtEnd builds an LK3002 for each condiag lock still held by a
// goroutine the check counts, the caller, or one that has exited.
func heldAtEnd(o *opts, sc scope, gs []gstack.Goroutine, self int64) []report.Finding {
	snap := monitor.Snapshot()
	alive := byID(gs)
	var out []report.Finding
	for _, id := range slices.Sorted(maps.Keys(snap.Holds)) {
		g := alive[id]
		switch {
		case g == nil:
			if !sc.countsGone(id) {
				continue
			}
		case id == self:
		case o.ignored(g) || runsTests(g) || !sc.counts(g):
			continue
		}
		for _, h := range snap.Holds[id] {
			out = append(out, heldFinding(id, h, g, snap))
		}
	}
	return out
}

func heldFinding(id int64, h monitor.Hold, g *gstack.Goroutine, snap monitor.State) report.Finding {
	f := report.New("LK3002")
	f.Confidence = report.Observed
	lk := h.Lock.Report()
	lk.Held, lk.Holder = h.Mode.String(), id
	f.Locks = []report.Lock{lk}
	f.Location = h.Taken
	if h.Taken.IsZero() {
		f.Location = lk.FirstLocked
	}
	state := leakmsg.Exited
	if g != nil {
		f.Goroutines = []report.Goroutine{goroutine(g, snap)}
		state = now(g)
		if t := startedBy(g); t != "" {
			state += ", started by " + t
		}
	} else {
		f.Goroutines = []report.Goroutine{{ID: id, State: "exited", Holds: []uint64{lk.ID}}}
		if ts := gstack.Process.Tests(id); len(ts) > 0 {
			state += ", started by test " + ts[0].Name
		}
	}
	f.Message = leakmsg.Held(lk, h.Mode.String(), id, state, h.Taken)
	return f
}

// byID indexes a dump by goroutine id.
func byID(gs []gstack.Goroutine) map[int64]*gstack.Goroutine {
	m := make(map[int64]*gstack.Goroutine, len(gs))
	for i := range gs {
		m[gs[i].ID] = &gs[i]
	}
	return m
}

// Work reported already, by object id and what was left, so that the
// end of the tests does not report again what a test did.
var (
	workMu       sync.Mutex
	workReported = map[string]bool{}
)

// workLeft builds an LK3003 for each queue holding items and each pool
// with results nobody asked for, created by a goroutine the check
// counts.
func workLeft(sc scope, gs []gstack.Goroutine) []report.Finding {
	alive := byID(gs)
	var out []report.Finding
	for _, w := range monitor.PendingWork() {
		if g := alive[w.Creator]; g != nil && !sc.counts(g) || g == nil && !sc.countsGone(w.Creator) {
			continue
		}
		f := report.New("LK3003")
		f.Confidence = report.Observed
		lk := w.Object.Report()
		f.Locks = []report.Lock{lk}
		f.Location = lk.FirstLocked
		if len(w.Unobserved) > 0 || w.More > 0 {
			f.Message = leakmsg.Unobserved(lk, w.Unobserved, w.Submitted, w.More)
			if len(w.Submitted) > 0 && !w.Submitted[0].IsZero() {
				f.Location = w.Submitted[0]
			}
		} else {
			f.Message = leakmsg.Untaken(lk, w.Items, w.Closed)
		}
		key := fmt.Sprintf("%d %d %d", lk.ID, w.Items, int64(len(w.Unobserved))+w.More)
		workMu.Lock()
		seen := workReported[key]
		workReported[key] = true
		workMu.Unlock()
		if !seen {
			out = append(out, f)
		}
	}
	return out
}
