package leak

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/condiag/condiag/internal/goid"
	"github.com/condiag/condiag/internal/gstack"
	"github.com/condiag/condiag/report"
)

// Error is the error [Find] returns: the findings, grouped (LK3001 per
// distinct stack, LK3002 per lock still held, LK3003 per queue or pool
// with work nobody took).
type Error struct {
	Findings []report.Finding
	Leaked   int // leaked goroutines, which LK3001 findings group by stack
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "condiag: found %d leaked goroutine(s), %d finding(s):\n", e.Leaked, len(e.Findings))
	report.WriteText(&b, e.Findings)
	return strings.TrimRight(b.String(), "\n")
}

// ErrCleanup is returned by Find when given [Cleanup], which only the
// Verify functions run.
var ErrCleanup = errors.New("leak: Cleanup can only be passed to VerifyNone or VerifyTestMain")

// Find looks for leaked goroutines and condiag locks still held, and
// returns nil or an *[Error]. The calling goroutine, the testing
// package's, goroutines running tests and condiag's own are never
// leaks.
//
// A goroutine may be on its way out when Find looks: Find scans again,
// pausing longer each time (as goleak does: up to 20 times, at most
// 100 ms apart), while any is left. It stops early when the goroutines
// left are all parked for good and the same for the [Settle] time: with
// 10,000 leaked goroutines it reports in a fraction of goleak's time.
func Find(options ...Option) error {
	o := buildOpts(options)
	if o.cleanup != nil {
		return ErrCleanup
	}
	return check(o, allScope{}).err()
}

// Findings returns what [Find] would report, as findings.
func Findings(options ...Option) []report.Finding {
	return check(buildOpts(options), allScope{}).findings
}

// scope decides which goroutines a check counts.
type scope interface {
	update(gs []gstack.Goroutine)    // a new dump
	counts(g *gstack.Goroutine) bool // a live goroutine
	countsGone(id int64) bool        // one that has exited
	reported(ids []int64)            // the goroutines the check reports
}

// allScope counts every goroutine.
type allScope struct{}

func (allScope) update([]gstack.Goroutine)     {}
func (allScope) counts(*gstack.Goroutine) bool { return true }
func (allScope) countsGone(int64) bool         { return true }
func (allScope) reported([]int64)              {}

// result is what a check found.
type result struct {
	findings []report.Finding
	leaked   int
}

func (r result) err() error {
	if len(r.findings) == 0 {
		return nil
	}
	return &Error{Findings: r.findings, Leaked: r.leaked}
}

// check scans until the leaked set is settled or the retries run out, and
// explains what is left.
func check(o *opts, sc scope) result {
	self := int64(goid.ID())
	var (
		prev    string
		since   time.Time
		gs      []gstack.Goroutine
		leaked  []*gstack.Goroutine
		retries = 0
	)
	for {
		gs = gstack.All()
		gstack.Process.Observe(gs)
		sc.update(gs)
		leaked = candidates(o, sc, gs, self)
		if len(leaked) == 0 {
			break
		}
		now := time.Now()
		if sig := signature(leaked); sig != prev {
			prev, since = sig, now
		} else if o.settle > 0 && allParked(leaked) && now.Sub(since) >= o.settle {
			break
		}
		if retries >= o.maxRetries {
			break
		}
		time.Sleep(min(time.Microsecond<<retries, o.maxSleep))
		retries++
	}
	if len(leaked) > 0 {
		// The runtime may prove some of them (taking its profile runs
		// a garbage collection): mark those.
		if proven := leakProfile(); proven != nil {
			for _, g := range leaked {
				g.Leaked = proven[g.ID]
			}
		}
	}
	held := heldAtEnd(o, sc, gs, self)
	var ids []int64
	for _, g := range leaked {
		ids = append(ids, g.ID)
	}
	for _, f := range held {
		ids = append(ids, f.Locks[0].Holder)
	}
	sc.reported(ids)
	fs := append(explain(leaked, gs), held...)
	return result{findings: append(fs, workLeft(sc, gs)...), leaked: len(leaked)}
}

// candidates returns the goroutines of gs that count as leaked.
func candidates(o *opts, sc scope, gs []gstack.Goroutine, self int64) []*gstack.Goroutine {
	var out []*gstack.Goroutine
	for i := range gs {
		g := &gs[i]
		if g.ID == self || runsTests(g) || o.ignored(g) {
			continue
		}
		if !sc.counts(g) {
			continue
		}
		out = append(out, g)
	}
	return out
}

// runsTests reports whether g runs a test or the testing package's loop
// over them: such a goroutine is never a leak.
func runsTests(g *gstack.Goroutine) bool {
	for _, f := range g.Frames {
		switch {
		case f.Func == "testing.tRunner", f.Func == "testing.fRunner", f.Func == "testing.(*M).Run",
			strings.HasPrefix(f.Func, "testing.(*B)."):
			return true
		}
	}
	return false
}

// signature identifies a set of goroutines in their states, to tell when
// it stops changing.
func signature(gs []*gstack.Goroutine) string {
	var b strings.Builder
	for _, g := range gs {
		fmt.Fprintf(&b, "%d %s", g.ID, g.State)
		if len(g.Frames) > 0 {
			fmt.Fprintf(&b, " %s:%d", g.Frames[0].File, g.Frames[0].Line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// parked lists the states of goroutines that only another goroutine can
// wake: a set of them that does not change is a leak, not an exit in
// progress. A select may have a timer case, which is why the set must
// stay unchanged for the settle time.
var parked = []string{
	"chan receive", "chan send", "chan receive (nil chan)", "chan send (nil chan)",
	"select", "select (no cases)", "semacquire",
	"sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock",
	"sync.WaitGroup.Wait", "sync.Cond.Wait",
}

func allParked(gs []*gstack.Goroutine) bool {
	for _, g := range gs {
		if !slices.Contains(parked, g.State) {
			return false
		}
	}
	return true
}

// leakProfile returns the goroutines that the runtime's goroutine leak
// profile proves leaked, or nil when the binary was not built with
// GOEXPERIMENT=goroutineleakprofile. Taking it runs a garbage collection.
func leakProfile() map[int64]bool {
	p := pprof.Lookup("goroutineleak")
	if p == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := p.WriteTo(&buf, 2); err != nil {
		return nil
	}
	out := map[int64]bool{}
	for _, g := range gstack.Parse(buf.Bytes()) {
		if g.Leaked {
			out[g.ID] = true
		}
	}
	return out
}

// ProfileAvailable reports whether the runtime's goroutine leak profile
// is there to prove leaks (GOEXPERIMENT=goroutineleakprofile).
func ProfileAvailable() bool { return pprof.Lookup("goroutineleak") != nil }
