// Package analyze replays condiag traces through condiag's detectors.
//
// The replay is the online monitor's logic fed from a file instead of
// from the running program: the same lock-order graph, wait-for graph
// and finding builders (package detect/deadlock), so a trace gives the
// findings the program reported while it ran (DL1001 to DL1006). What
// only the end of a trace can tell is added when the trace was stopped
// cleanly (trace.Stop): goroutines still blocked on a condiag primitive
// (LK3001) and locks still held (LK3002).
//
// Speed and memory: see docs/performance.md. Memory does not grow with
// the number of events, only with the number of goroutines, objects and
// distinct stacks and chains of held locks.
package analyze

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/detect/starve"
	"github.com/condiag/condiag/internal/leakmsg"
	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/trace"
)

// Options configure an analysis.
type Options struct {
	// Hang is the DL1005 threshold: 0 uses the one the program ran
	// with (recorded in the trace), a negative value turns DL1005 off.
	Hang time.Duration
	// Progress, if set, is called now and then with the bytes read of
	// the current file and its size.
	Progress func(name string, done, total int64)
	// Starve sets the thresholds of the starvation checks (ST4001 to
	// ST4003); the zero value takes the defaults of detect/starve.
	Starve starve.Options
	// Contention adds the contention report: a CT5001 for each of the
	// ContentionTop lock sites that waited longest (all if 0).
	Contention    bool
	ContentionTop int
	// Waits asks for Result.Waits: every acquisition stack that had to
	// wait, for a contention profile.
	Waits bool
}

// File describes one trace that was analysed.
type File struct {
	Name      string
	Header    trace.Header
	Events    int64
	Bytes     int64
	Duration  time.Duration // how much of the program the trace covers
	Ended     bool          // stopped cleanly
	Truncated *trace.Truncation
	Lost      uint64
}

// Result is the outcome of an analysis.
type Result struct {
	Files    []File
	Findings []report.Finding // each names its process (Finding.Process)
	Warnings []string         // each names its file
	Waits    []Wait           // with Options.Waits, by process, the longest delay first
}

// Wait is the contention of one lock class at one acquisition stack of
// one process, for a contention profile ([Result.ContentionProfile]).
type Wait struct {
	Process      int
	Lock         report.Lock
	Stack        []report.Frame // of the acquisition, innermost first
	Acquisitions int64
	Contentions  int64 // acquisitions that waited
	Delay        time.Duration
}

// InputError is a file that cannot be analysed: unreadable, not a
// trace, or corrupt. Its message names the file and, for a corrupt one,
// the byte offset.
type InputError struct {
	Name string
	Err  error
}

func (e *InputError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Files analyses the traces of one program or of a process tree (one
// file per process) and returns every finding. An unreadable or corrupt
// file is an *InputError; a truncated one is analysed as far as it goes,
// with a warning.
func Files(names []string, opt Options) (*Result, error) {
	res := &Result{}
	for _, name := range names {
		if ok, err := raceLog(res, name); ok || err != nil {
			if err != nil {
				return nil, &InputError{Name: name, Err: err}
			}
			continue
		}
		r, err := trace.OpenFile(name)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, &InputError{Name: name, Err: err}
		}
		err = analyzeTrace(res, name, r, r.Size(), opt)
		r.Close()
		if err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(res.Findings, func(a, b report.Finding) int { return a.Process - b.Process })
	return res, nil
}

// raceLog analyses name if it is a log of Go's race detector (the output
// of go test -race, say) rather than a trace: its reports, grouped by
// their pair of accesses, are RC2001 findings. It reports whether it was
// such a log.
func raceLog(res *Result, name string) (bool, error) {
	f, err := os.Open(name)
	if err != nil {
		return false, nil // trace.OpenFile says why
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte(tracefmt.Magic)) || !race.IsLog(head) {
		return false, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return true, err
	}
	races, err := race.ParseLog(f)
	if err != nil {
		return true, err
	}
	res.Findings = append(res.Findings, race.Findings(races)...)
	res.Files = append(res.Files, File{Name: name, Ended: true})
	return true, nil
}

// Reader analyses one trace read from r, named name in messages.
func Reader(name string, r io.Reader, opt Options) (*Result, error) {
	res := &Result{}
	if err := analyzeFile(res, name, r, 0, opt); err != nil {
		return nil, err
	}
	return res, nil
}

func analyzeFile(res *Result, name string, src io.Reader, size int64, opt Options) error {
	r, err := trace.NewReader(src)
	if err != nil {
		return &InputError{Name: name, Err: err}
	}
	return analyzeTrace(res, name, r, size, opt)
}

func analyzeTrace(res *Result, name string, r *trace.Reader, size int64, opt Options) error {
	hang := opt.Hang
	if hang == 0 {
		hang = r.Header().HangThreshold
	}
	p := newProc(r, hang, opt)
	p.hangFixed = opt.Hang != 0
	var e trace.Event
	for {
		err := r.Read(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			return &InputError{Name: name, Err: err}
		}
		p.event(&e)
		if opt.Progress != nil && r.Events()&(1<<20-1) == 0 {
			opt.Progress(name, r.Offset(), size)
		}
	}
	if opt.Progress != nil {
		opt.Progress(name, r.Offset(), size)
	}
	warn := func(format string, args ...any) {
		res.Warnings = append(res.Warnings, name+": "+fmt.Sprintf(format, args...))
	}
	if t := r.Truncated(); t != nil {
		warn("%s; analysed what comes before", t)
	}
	if n, err := r.LiveBytes(); err != nil {
		warn("the live file was not read: %v", err)
	} else if n > 0 {
		warn("%d bytes of events that the program had not written to the trace when it ended were read from %s.live", n, name)
	}
	if r.Lost() > 0 {
		warn("the recorder lost %d events: findings may be missing", r.Lost())
	}
	p.runChecks(r.EndTime())
	p.settle(r.EndTime())
	if r.Ended() {
		p.end()
	} else if n := p.unfinished(); n > 0 {
		warn("the trace was not stopped (the program exited or was killed without trace.Stop), so what happened after %v is unknown: %d goroutines blocked or holding locks then are not reported as leaks", r.EndTime().Round(time.Millisecond), n)
	}
	res.Files = append(res.Files, File{
		Name: name, Header: r.Header(), Events: r.Events(), Bytes: r.Offset(),
		Duration: r.EndTime(), Ended: r.Ended(), Truncated: r.Truncated(), Lost: r.Lost(),
	})
	if p.contention != nil && opt.Contention {
		p.report(p.contention.Findings(opt.ContentionTop, func(site any) report.Frame {
			if st := p.r.Stack(site.(trace.StackID)); len(st) > 0 {
				return st[0]
			}
			return report.Frame{}
		})...)
	}
	if p.contention != nil && opt.Waits {
		var ws []Wait
		p.contention.Each(func(site any, s starve.SiteStats) {
			ws = append(ws, Wait{
				Process: p.pid, Lock: s.Lock.Report(), Stack: p.r.Stack(site.(trace.StackID)),
				Acquisitions: s.Acquisitions, Contentions: s.Contended, Delay: s.Wait,
			})
		})
		slices.SortFunc(ws, func(a, b Wait) int {
			if a.Delay != b.Delay {
				return cmp.Compare(b.Delay, a.Delay)
			}
			return cmp.Compare(fmt.Sprint(a.Stack), fmt.Sprint(b.Stack))
		})
		res.Waits = append(res.Waits, ws...)
	}
	res.Findings = append(res.Findings, p.findings...)
	return nil
}

// unfinished counts the goroutines blocked or holding locks at the end.
func (p *proc) unfinished() int {
	n := 0
	p.each(func(g *grout) {
		if (g.pend != nil && g.pend.blocked) || g.waitObj != nil || len(g.heldIDs()) > 0 {
			n++
		}
	})
	return n
}

// end reports what the end of a cleanly stopped trace tells: goroutines
// still blocked (LK3001) and locks still held (LK3002). Goroutines of a
// reported deadlock are left out: DL1002 said it all.
func (p *proc) end() {
	snap := p.snapshot()
	p.each(func(g *grout) {
		if p.inCycle[g.id] {
			return
		}
		switch {
		case g.pend != nil && g.pend.blocked:
			p.report(p.blockedAtEnd(g, snap))
		case g.waitObj != nil:
			p.report(p.waitingAtEnd(g, snap))
		default:
			for i := 0; i < g.n; i++ {
				if e := &g.held[i]; g.valid(e) {
					p.report(p.heldAtEnd(g, e, snap))
				}
			}
		}
	})
	p.workAtEnd()
}

// workAtEnd reports the queues holding items and the pools with results
// nobody asked for when the trace ended (LK3003), as the live leak
// checks do.
func (p *proc) workAtEnd() {
	var objs []*object
	for _, o := range p.objs {
		if o != nil && o.res != nil {
			objs = append(objs, o)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.objMap)) {
		if o := p.objMap[id]; o.res != nil {
			objs = append(objs, o)
		}
	}
	for _, o := range objs {
		if o.kind != trace.ObjQueue && o.kind != trace.ObjPool {
			continue
		}
		w := o.res.Pending()
		if w.Items == 0 && len(w.Unobserved) == 0 && w.More == 0 {
			continue
		}
		f := report.New("LK3003")
		f.Confidence = report.Observed
		lk := o.lockInfo().Report()
		f.Locks = []report.Lock{lk}
		f.Location = lk.FirstLocked
		if len(w.Unobserved) > 0 || w.More > 0 {
			var at []report.Frame
			for _, site := range w.Sites {
				var fr report.Frame
				if st := p.r.Stack(trace.StackID(site.Stack)); len(st) > 0 {
					fr = st[0]
				}
				at = append(at, fr)
			}
			f.Message = leakmsg.Unobserved(lk, w.Unobserved, at, w.More)
			if len(at) > 0 && !at[0].IsZero() {
				f.Location = at[0]
			}
		} else {
			f.Message = leakmsg.Untaken(lk, w.Items, w.Closed)
		}
		p.report(f)
	}
}

// The findings of the end of a trace are worded as the live leak checks
// word theirs (internal/leakmsg), less what only a live process tells:
// what a holder does now, whether it has exited.

func (p *proc) blockedAtEnd(g *grout, snap deadlock.Snapshot) report.Finding {
	req := g.pend
	f := report.New("LK3001")
	f.Confidence = report.Observed
	lk := req.o.lockInfo().Report()
	f.Locks = []report.Lock{lk}
	gr := snap.Stacks[int64(g.id)]
	gr.WaitsFor, gr.WaitMode = req.o.id, req.mode.String()
	f.Goroutines = []report.Goroutine{gr}
	st := p.r.Stack(req.stack)
	if len(st) > 0 {
		f.Location = st[0]
	}
	var what []string
	if req.op != 0 {
		rw := req.o.resource().WaitsFor(g.id, deadlock.Op(req.op), req.n)
		gr.WaitMode = strings.Fields(rw.Verb)[0]
		f.Goroutines[0] = gr
		var who []leakmsg.Holder
		for _, h := range rw.On {
			who = append(who, leakmsg.Holder{ID: h})
			if hg, ok := snap.Stacks[h]; ok {
				f.Goroutines = append(f.Goroutines, hg)
			}
		}
		what = []string{leakmsg.ResourceWait(lk, rw.Verb, rw.State, rw.Relation, who)}
	} else {
		var holders []leakmsg.Holder
		for _, h := range p.holders(req.o) {
			holders = append(holders, leakmsg.Holder{ID: int64(h), Taken: p.taken(p.g(h), req.o)})
			if hg, ok := snap.Stacks[int64(h)]; ok {
				f.Goroutines = append(f.Goroutines, hg)
			}
		}
		what = []string{leakmsg.LockWait(lk, req.mode == read, holders)}
	}
	f.Message = leakmsg.Leaked(1, int64(g.id), funcOf(st), append(what, p.holding(g, &f)...))
	f.Notes = append(f.Notes, fmt.Sprintf("blocked for %s when the trace ended", (p.now-req.since).Round(time.Millisecond)))
	return f
}

func (p *proc) waitingAtEnd(g *grout, snap deadlock.Snapshot) report.Finding {
	o := g.waitObj
	f := report.New("LK3001")
	f.Confidence = report.Observed
	lk := o.lockInfo().Report()
	f.Locks = []report.Lock{lk}
	f.Goroutines = []report.Goroutine{snap.Stacks[int64(g.id)]}
	if len(g.waitStack) > 0 {
		f.Location = g.waitStack[0]
	}
	what := []string{leakmsg.ObjectWait(lk, o.count)}
	f.Message = leakmsg.Leaked(1, int64(g.id), funcOf(g.waitStack), append(what, p.holding(g, &f)...))
	f.Notes = append(f.Notes, fmt.Sprintf("waiting for %s when the trace ended", (p.now-g.waitSince).Round(time.Millisecond)))
	return f
}

func (p *proc) heldAtEnd(g *grout, e *entry, snap deadlock.Snapshot) report.Finding {
	f := report.New("LK3002")
	f.Confidence = report.Observed
	lk := e.o.lockInfo().Report()
	lk.Held, lk.Holder = e.mode.String(), int64(g.id)
	f.Locks = []report.Lock{lk}
	gr := snap.Stacks[int64(g.id)]
	gr.Stack = p.r.Stack(e.stack)
	f.Goroutines = []report.Goroutine{gr}
	var taken report.Frame
	if len(gr.Stack) > 0 {
		taken = gr.Stack[0]
	}
	f.Location = taken
	if taken.IsZero() {
		f.Location = lk.FirstLocked
	}
	f.Message = leakmsg.Held(lk, e.mode.String(), int64(g.id), "", taken)
	return f
}

// holding adds the locks g holds to f, and returns them in words.
func (p *proc) holding(g *grout, f *report.Finding) []string {
	var out []string
	for i := 0; i < g.n; i++ {
		if e := &g.held[i]; g.valid(e) {
			lk := e.o.lockInfo().Report()
			lk.Held, lk.Holder = e.mode.String(), int64(g.id)
			f.Locks = append(f.Locks, lk)
			out = append(out, leakmsg.Holding(lk, e.mode.String(), p.taken(g, e.o)))
		}
	}
	return out
}

// taken returns where g took o, if it holds it.
func (p *proc) taken(g *grout, o *object) report.Frame {
	for i := 0; i < g.n; i++ {
		if e := &g.held[i]; e.o == o && g.valid(e) {
			if st := p.r.Stack(e.stack); len(st) > 0 {
				return st[0]
			}
		}
	}
	return report.Frame{}
}

func funcOf(st []report.Frame) string {
	if len(st) == 0 {
		return ""
	}
	return st[0].Func
}

// holders returns the goroutines holding o.
func (p *proc) holders(o *object) []uint64 {
	var out []uint64
	p.each(func(g *grout) {
		if _, ok := p.holdsMode(g, o); ok {
			out = append(out, g.id)
		}
	})
	return out
}
