package leak

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/condiag/condiag/internal/gstack"
	"github.com/condiag/condiag/internal/monitor"
	"github.com/condiag/condiag/report"
)

// StartWatchdog starts the hung-test watchdog of [VerifyTestMain] and
// returns the function that stops it: shortly before -test.timeout ends
// the test binary (see [Watchdog] for how long before), it prints to
// standard error what hangs: each cycle of goroutines blocked on each
// other (DL1002), then the other blocked goroutines grouped by what they
// wait on, with the holders of condiag locks (DL1005). go test's own
// timeout panic follows as usual. It does nothing without a timeout, with
// Watchdog(0), or with CONDIAG_WATCHDOG=off in the environment.
func StartWatchdog(options ...Option) (stop func()) {
	o := buildOpts(options)
	timeout := testTimeout()
	if timeout <= 0 || o.margin < 0 || os.Getenv("CONDIAG_WATCHDOG") == "off" {
		return func() {}
	}
	margin := o.margin
	if margin == 0 {
		margin = min(max(timeout/10, time.Second), 30*time.Second)
	}
	if margin >= timeout {
		margin = timeout / 2
	}
	start := time.Now()
	t := time.AfterFunc(timeout-margin, func() {
		diagnose(os.Stderr, o, timeout, time.Since(start))
	})
	return func() { t.Stop() }
}

// testTimeout returns the -test.timeout of a test binary, parsing the
// command line if the testing package has not yet.
func testTimeout() time.Duration {
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 0
	}
	if !flag.Parsed() {
		flag.Parse()
	}
	if g, ok := f.Value.(flag.Getter); ok {
		if d, ok := g.Get().(time.Duration); ok {
			return d
		}
	}
	return 0
}

// diagnose writes what hangs to w.
func diagnose(w io.Writer, o *opts, timeout, elapsed time.Duration) {
	gs := gstack.All()
	gstack.Process.Observe(gs)
	fs := diagnosis(o, gs, elapsed)
	var running []string
	for i := range gs {
		if fn := gstack.TestFunction(&gs[i]); fn != "" && !slices.Contains(idle, gs[i].FirstFunction()) {
			running = append(running, testOf(&gs[i]))
		}
	}
	fmt.Fprintf(w, "condiag: the tests will time out in %s (-test.timeout=%s); still running: %s\n",
		(timeout - elapsed).Round(time.Millisecond), timeout, strings.Join(running, ", "))
	if len(fs) == 0 {
		fmt.Fprintln(w, "condiag: no goroutine is blocked: the tests are busy, not stuck")
		return
	}
	report.WriteText(w, fs)
}

func testOf(g *gstack.Goroutine) string {
	if ts := gstack.Process.Tests(g.ID); len(ts) > 0 && ts[0].Goroutine == g.ID {
		return ts[0].Name
	}
	return gstack.TestName(gstack.TestFunction(g))
}

// diagnosis returns the findings of a hang: DL1002 for each cycle of
// goroutines blocked on each other now, then DL1005 for each group of
// other blocked goroutines that wait on the same thing at the same place.
func diagnosis(o *opts, gs []gstack.Goroutine, elapsed time.Duration) []report.Finding {
	cycles := monitor.Deadlocks()
	inCycle := map[int64]bool{}
	for _, f := range cycles {
		for _, g := range f.Goroutines {
			inCycle[g.ID] = true
		}
	}
	alive := byID(gs)
	snap := monitor.Snapshot()
	var order []string
	groups := map[string][]*gstack.Goroutine{}
	for i := range gs {
		g := &gs[i]
		if inCycle[g.ID] || o.ignored(g) || !blocked(g) || slices.Contains(idle, g.FirstFunction()) {
			continue
		}
		k := waitKey(g, snap)
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], g)
	}
	out := cycles
	for _, k := range order {
		out = append(out, hangFinding(groups[k], snap, alive, elapsed))
	}
	return out
}

// blocked reports whether g waits (as opposed to running or being
// runnable).
func blocked(g *gstack.Goroutine) bool {
	switch g.State {
	case "running", "runnable", "syscall", "idle", "dead", "copystack", "preempted":
		return false
	}
	return true
}

// waitKey groups goroutines that wait on the same thing at one place.
func waitKey(g *gstack.Goroutine, snap monitor.State) string {
	k := g.State
	if user := gstack.UserFrames(g.Frames); len(user) > 0 {
		k += " " + user[0].String()
	}
	if w, ok := snap.Waits[g.ID]; ok {
		k += fmt.Sprintf(" #%d", w.Lock.ID)
	}
	return k
}

func hangFinding(group []*gstack.Goroutine, snap monitor.State, alive map[int64]*gstack.Goroutine, elapsed time.Duration) report.Finding {
	g := group[0]
	f := groupFinding("DL1005", g)
	user := gstack.UserFrames(g.Frames)
	for _, x := range group {
		if len(f.Goroutines) == maxListed {
			break
		}
		f.Goroutines = append(f.Goroutines, goroutine(x, snap))
	}
	what := "blocked in " + g.State
	if len(user) > 0 {
		what += " in " + user[0].Func
	}
	if wait, ok := addWait(&f, group, snap, alive); ok {
		what = wait
	}
	who := fmt.Sprintf("goroutine %d is", g.ID)
	if len(group) > 1 {
		who = fmt.Sprintf("%d goroutines (%s) are", len(group), listIDs(group))
	}
	since := ""
	if g.Minutes > 0 {
		since = fmt.Sprintf(" for %d minutes", g.Minutes)
	}
	f.Message = fmt.Sprintf("the tests are about to time out after %s: %s %s%s", elapsed.Round(time.Second), who, what, since)
	if t := startedBy(g); t != "" {
		f.Message += ", started by " + t
	}
	return f
}
