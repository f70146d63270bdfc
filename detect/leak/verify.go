package leak

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/condiag/condiag/internal/goid"
	"github.com/condiag/condiag/internal/gstack"
	"github.com/condiag/condiag/report"
)

// TestingT is the part of *testing.T that [VerifyNone] uses. A T with a
// Name method (as *testing.T has) names the test in reports.
type TestingT interface {
	Error(args ...any)
}

// TestingM is the part of *testing.M that [VerifyTestMain] uses.
type TestingM interface {
	Run() int
}

type helper interface{ Helper() }
type namer interface{ Name() string }

// VerifyNone fails t with the goroutines that t leaked and the condiag
// locks its goroutines still hold. Use it deferred at the top of a test.
//
// Unlike goleak's, it is right under t.Parallel: a goroutine counts for
// t when it descends from t's goroutine (through the "created by" chain,
// remembered across checks, or the test function that ran the go
// statement). Goroutines of other tests that are still running are left
// to those tests. Goroutines whose origin is unknown count for t only
// when no other test runs; [VerifyTestMain] reports the rest.
func VerifyNone(t TestingT, options ...Option) {
	if h, ok := t.(helper); ok {
		h.Helper()
	}
	o := buildOpts(options)
	if err := checkTest(t, o).err(); err != nil {
		t.Error(err.Error())
	}
	if o.cleanup != nil {
		o.cleanup(0)
	}
}

// TestCheck is what a check of one test found, for a caller that adds
// findings of its own (the module root's condiag.VerifyNone).
type TestCheck struct {
	// Findings are what [VerifyNone] would fail the test with.
	Findings []report.Finding
	scope    *testScope
}

// CheckTest checks test t like [VerifyNone], without failing it. It must
// be called from t's goroutine. A [Cleanup] option is not run.
func CheckTest(t TestingT, options ...Option) *TestCheck {
	sc := newTestScope(t)
	return &TestCheck{Findings: check(buildOpts(options), sc).findings, scope: sc}
}

// Owns reports whether a finding that involves the goroutines ids belongs
// to the checked test, by the rules of [VerifyNone]: one of them belongs
// to it, or none is known to belong to any test and no other test runs.
func (c *TestCheck) Owns(ids ...int64) bool {
	if len(ids) == 0 {
		return !c.scope.others
	}
	return slices.ContainsFunc(ids, c.scope.owns)
}

func checkTest(t TestingT, o *opts) result { return check(o, newTestScope(t)) }

// EndFindings returns what [VerifyTestMain] reports after the tests: what
// [Findings] returns, less the goroutines and locks a test's check
// reported already.
func EndFindings(options ...Option) []report.Finding {
	return check(buildOpts(options), endScope{}).findings
}

// reported holds the goroutines that a test's check reported, so that
// the check at the end does not report them again.
var (
	reportedMu sync.Mutex
	reported   = map[int64]bool{}
)

func wasReported(id int64) bool {
	reportedMu.Lock()
	defer reportedMu.Unlock()
	return reported[id]
}

// endScope counts what no test's check reported.
type endScope struct{ allScope }

func (endScope) counts(g *gstack.Goroutine) bool { return !wasReported(g.ID) }
func (endScope) countsGone(id int64) bool        { return !wasReported(id) }

// osExit is a seam for tests.
var osExit = os.Exit

// VerifyTestMain runs the tests of m, then looks for leaks and exits:
// with m's code when the tests failed, with 1 when leaks were found
// (they are printed), else 0. Call it from TestMain. While the tests run,
// a watchdog prints a diagnosis of what hangs shortly before
// -test.timeout kills the binary (see [Watchdog]).
func VerifyTestMain(m TestingM, options ...Option) {
	o := buildOpts(options)
	stop := StartWatchdog(options...)
	code := m.Run()
	stop()
	if code == 0 {
		if err := check(o, endScope{}).err(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	if o.cleanup != nil {
		o.cleanup(code)
	}
	osExit(code)
}

// testScope counts the goroutines of one test.
type testScope struct {
	allScope
	me     int64
	mine   []string // names of me and the tests it runs in
	alive  map[int64]bool
	others bool // other tests are running their bodies
}

// idle lists where a test goroutine waits while it runs no code of its
// own: for its subtests, or for the go-ahead of t.Parallel.
var idle = []string{"testing.(*T).Run", "testing.(*T).Parallel", "testing.tRunner", "testing.runTests"}

func newTestScope(t TestingT) *testScope {
	me := int64(goid.ID())
	if n, ok := t.(namer); ok {
		gstack.Process.Register(me, n.Name())
	}
	return &testScope{me: me}
}

// reported remembers what the test's check reported.
func (s *testScope) reported(ids []int64) {
	reportedMu.Lock()
	defer reportedMu.Unlock()
	for _, id := range ids {
		reported[id] = true
	}
}

func (s *testScope) update(gs []gstack.Goroutine) {
	s.alive = make(map[int64]bool, len(gs))
	up := map[int64]bool{}
	s.mine = s.mine[:0]
	for _, t := range gstack.Process.Tests(s.me) {
		up[t.Goroutine] = true
		s.mine = append(s.mine, t.Name)
	}
	s.others = false
	for i := range gs {
		g := &gs[i]
		s.alive[g.ID] = true
		if g.ID != s.me && !up[g.ID] && gstack.TestFunction(g) != "" && !slices.Contains(idle, g.FirstFunction()) {
			s.others = true
		}
	}
}

func (s *testScope) counts(g *gstack.Goroutine) bool { return s.owns(g.ID) }
func (s *testScope) countsGone(id int64) bool        { return s.owns(id) }

func (s *testScope) owns(id int64) bool {
	ts := gstack.Process.Tests(id)
	for _, t := range ts {
		if t.Goroutine == s.me {
			return true
		}
	}
	if len(ts) > 0 {
		// By the test function that ran the go statement, when the
		// goroutines in between were never seen.
		t := ts[0]
		return t.Goroutine == 0 && len(s.mine) > 0 && topTest(s.mine[len(s.mine)-1]) == t.Name
		// Another test's: that test checks its own, VerifyTestMain
		// reports what it did not.
	}
	return !s.others // of unknown origin
}

// topTest returns the top-level test of a test name: "TestX" of
// "TestX/sub".
func topTest(name string) string {
	top, _, _ := strings.Cut(name, "/")
	return top
}
