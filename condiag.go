// Package condiag is the test-time front door of condiag, a concurrency
// debugging toolkit for Go.
//
// Programs use the instrumented primitives of
// github.com/condiag/condiag/sync (a drop-in for the standard sync
// package); their findings are collected in the process. This package
// hands them to tests and to the program:
//
//	func TestMain(m *testing.M) { condiag.VerifyTestMain(m) }
//
//	func TestTransfer(t *testing.T) {
//		defer condiag.VerifyNone(t)
//		// ...
//	}
//
//	if err := condiag.Check(); err != nil {
//		log.Print(err)
//	}
//
// By default every new finding is also printed to standard error when it
// is found; [SetHandler] changes that, and so does the CONDIAG_ON_FINDING
// environment variable (print, panic, exit or silent).
package condiag

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/condiag/condiag/detect/leak"
	"github.com/condiag/condiag/internal/gstack"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/report"
)

// Findings returns every finding reported in this process so far.
func Findings() []report.Finding { return sink.Findings() }

// Handler receives each new finding as soon as it is found.
type Handler = sink.Handler

// SetHandler installs h as the receiver of findings and returns the
// previous one. nil records findings without telling anyone. The handler
// is called for every occurrence of a finding, so that one that panics or
// exits acts each time; [Findings] lists each distinct finding once. It
// may panic or exit; condiag holds none of its locks while it runs.
func SetHandler(h Handler) Handler { return sink.SetHandler(h) }

// PrintFindings returns a handler that writes each distinct finding to w
// in the text form, once. It is the default, with os.Stderr.
func PrintFindings(w io.Writer) Handler {
	return func(f report.Finding) { sink.PrintOnce(w, f) }
}

// PanicOnFinding is a handler that prints a finding to standard error and
// then panics with it, in the goroutine that found it: for the checks made
// before a lock is taken (DL1001, DL1003, DL1004, DL1006), the goroutine
// that misuses the lock. The watchdog's findings (DL1002, DL1005, and
// DL1003 under a read hold) are delivered in a goroutine of their own,
// where a panic ends the program.
func PanicOnFinding(f report.Finding) {
	sink.Print(f)
	panic(&f)
}

// ExitOnFinding returns a handler that prints a finding to standard error
// and exits the process with code.
func ExitOnFinding(code int) Handler {
	return func(f report.Finding) {
		sink.Print(f)
		osExit(code)
	}
}

// osExit is a seam for tests.
var osExit = os.Exit

// Option changes what [Check], [VerifyNone] and [VerifyTestMain] count.
type Option interface{ apply(*options) }

type options struct {
	ignore  map[string]string // finding ID -> reason
	funcs   map[string]string // function -> reason
	leak    []leak.Option     // for the leak scan, Cleanup aside
	cleanup func(int)         // a Cleanup, run by the facade
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// IgnoreID makes findings with the given ID not count. reason is
// required: an empty reason makes the check fail with an error that says
// so, as a suppression without a reason is itself a problem.
func IgnoreID(id, reason string) Option {
	return optionFunc(func(o *options) {
		if o.ignore == nil {
			o.ignore = map[string]string{}
		}
		o.ignore[id] = reason
	})
}

// IgnoreFunction makes findings that involve fn not count: leaked
// goroutines with fn on their stack, and findings whose location or
// goroutines' stacks are in fn. fn is fully qualified
// ("example.com/pkg.(*Pool).worker"); reason is required, as for
// [IgnoreID].
func IgnoreFunction(fn, reason string) Option {
	return optionFunc(func(o *options) {
		if o.funcs == nil {
			o.funcs = map[string]string{}
		}
		o.funcs[fn] = reason
		o.leak = append(o.leak, leak.IgnoreAnyFunction(fn))
	})
}

// IgnoreTopFunction, IgnoreAnyFunction, IgnoreCreatedBy, IgnoreCurrent
// and Cleanup are goleak's options, with goleak's meaning: they apply to
// the goroutine leak scan (package detect/leak).

// IgnoreTopFunction ignores leaked goroutines whose innermost function
// is f.
func IgnoreTopFunction(f string) Option { return LeakOptions(leak.IgnoreTopFunction(f)) }

// IgnoreAnyFunction ignores leaked goroutines with f on their stack.
func IgnoreAnyFunction(f string) Option { return LeakOptions(leak.IgnoreAnyFunction(f)) }

// IgnoreCreatedBy ignores leaked goroutines started by a go statement in
// f.
func IgnoreCreatedBy(f string) Option { return LeakOptions(leak.IgnoreCreatedBy(f)) }

// IgnoreCurrent ignores the goroutines that exist when it is called.
func IgnoreCurrent() Option { return LeakOptions(leak.IgnoreCurrent()) }

// Cleanup calls f at the end of [VerifyNone] (with 0) or
// [VerifyTestMain] (with the exit code, before the exit).
func Cleanup(f func(exitCode int)) Option { return LeakOptions(leak.Cleanup(f)) }

// LeakOptions passes options to the goroutine leak scan, such as
// leak.MaxRetryAttempts or leak.Watchdog.
func LeakOptions(opts ...leak.Option) Option {
	return optionFunc(func(o *options) {
		for _, opt := range opts {
			if c := leak.CleanupOf(opt); c != nil {
				o.cleanup = c
			} else {
				o.leak = append(o.leak, opt)
			}
		}
	})
}

func build(opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	var errs []error
	for id, reason := range o.ignore {
		if _, ok := report.Lookup(id); !ok {
			errs = append(errs, fmt.Errorf("condiag: IgnoreID(%q): unknown finding ID", id))
		}
		if strings.TrimSpace(reason) == "" {
			errs = append(errs, fmt.Errorf("condiag: IgnoreID(%q) without a reason", id))
		}
	}
	for fn, reason := range o.funcs {
		if strings.TrimSpace(reason) == "" {
			errs = append(errs, fmt.Errorf("condiag: IgnoreFunction(%q) without a reason", fn))
		}
	}
	return o, errors.Join(errs...)
}

// counts reports whether f counts under o.
func (o options) counts(f *report.Finding) bool {
	if _, ok := o.ignore[f.ID]; ok {
		return false
	}
	if len(o.funcs) == 0 {
		return true
	}
	if _, ok := o.funcs[f.Location.Func]; ok {
		return false
	}
	for _, g := range f.Goroutines {
		for _, fr := range g.Stack {
			if _, ok := o.funcs[fr.Func]; ok {
				return false
			}
		}
	}
	return true
}

func (o options) filter(fs []report.Finding) []report.Finding {
	var out []report.Finding
	for i := range fs {
		if o.counts(&fs[i]) {
			out = append(out, fs[i])
		}
	}
	return out
}

// FindingsError is the error [Check] returns: the findings, as one
// report.
type FindingsError struct {
	Findings []report.Finding
	// Dropped is how many more findings were reported than the process
	// keeps (10,000); they went to the handler only.
	Dropped int
}

func (e *FindingsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "condiag: %d finding(s):\n", len(e.Findings))
	if e.Dropped > 0 {
		fmt.Fprintf(&b, "(and %d more that were not kept)\n", e.Dropped)
	}
	report.WriteText(&b, e.Findings)
	return strings.TrimRight(b.String(), "\n")
}

// Check returns nil when nothing is wrong in this process now, or a
// *[FindingsError] listing what is: every finding the online detectors
// reported, goroutines that leaked (LK3001) and condiag locks still held
// (LK3002) by goroutines other than the caller's. Call it where the
// program believes it has stopped all its work.
func Check(opts ...Option) error {
	o, err := build(opts)
	if err != nil {
		return err
	}
	fs := o.filter(sink.Findings())
	fs = append(fs, o.filter(leak.Findings(o.leak...))...)
	if n := sink.Dropped(); len(fs) > 0 || n > 0 {
		return &FindingsError{Findings: fs, Dropped: n}
	}
	return nil
}

// TestingT is the part of *testing.T that [VerifyNone] uses. With a Name
// method, as *testing.T has, reports name the test.
type TestingT interface {
	Helper()
	Error(args ...any)
}

// claimed is which findings of the sink a check has reported already, so
// that a finding fails one test: the one it belongs to.
var (
	claimedMu      sync.Mutex
	claimed        = map[int]bool{}
	claimedDropped int
)

// claim returns the findings not reported yet for which owns is true, and
// how many were dropped since the last claim, and marks them reported.
func claim(owns func(f *report.Finding) bool) ([]report.Finding, int) {
	claimedMu.Lock()
	defer claimedMu.Unlock()
	var out []report.Finding
	for i, f := range sink.Findings() {
		if !claimed[i] && owns(&f) {
			claimed[i] = true
			out = append(out, f)
		}
	}
	dropped := sink.Dropped() - claimedDropped
	claimedDropped += dropped
	return out, dropped
}

// goroutinesOf returns the goroutines a finding involves.
func goroutinesOf(f *report.Finding) []int64 {
	var ids []int64
	for _, g := range f.Goroutines {
		ids = append(ids, g.ID)
	}
	for _, e := range f.Edges {
		ids = append(ids, e.Goroutine)
	}
	return ids
}

// VerifyNone fails t with what went wrong in t: the findings of the
// online detectors that involve t's goroutines, the goroutines t leaked
// and the condiag locks they still hold (package detect/leak). It is
// right under t.Parallel: what belongs to another test that is still
// running is left to that test. Use it deferred at the top of a test.
func VerifyNone(t TestingT, opts ...Option) {
	t.Helper()
	o, err := build(opts)
	if err != nil {
		t.Error(err)
		return
	}
	lc := leak.CheckTest(t, o.leak...)
	online, dropped := claim(func(f *report.Finding) bool { return lc.Owns(goroutinesOf(f)...) })
	fs := append(o.filter(online), o.filter(lc.Findings)...)
	if len(fs) > 0 || dropped > 0 {
		t.Error((&FindingsError{Findings: fs, Dropped: dropped}).Error())
	}
	if o.cleanup != nil {
		o.cleanup(0)
	}
}

// TestingM is the part of *testing.M that [VerifyTestMain] uses.
type TestingM interface {
	Run() int
}

// VerifyTestMain runs the tests of m and then exits: with m's code when
// it failed; with 1, after printing them, when findings were reported
// during the run that no [VerifyNone] reported already, or goroutines
// leaked, or condiag locks are still held; else 0. Call it from TestMain.
//
// While the tests run, a watchdog prints a diagnosis shortly before
// -test.timeout ends the binary: the deadlock if there is one (DL1002),
// else the blocked goroutines grouped by what they wait on (DL1005); see
// leak.Watchdog. A trace being recorded (CONDIAG_TRACE) is stopped before
// the exit, so that it is complete.
func VerifyTestMain(m TestingM, opts ...Option) {
	o, err := build(opts)
	stop := leak.StartWatchdog(o.leak...)
	code := m.Run()
	stop()
	if code == 0 {
		if err == nil {
			fs, dropped := claim(func(*report.Finding) bool { return true })
			fs = append(o.filter(fs), o.filter(leak.EndFindings(o.leak...))...)
			if len(fs) > 0 || dropped > 0 {
				err = &FindingsError{Findings: fs, Dropped: dropped}
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	if o.cleanup != nil {
		o.cleanup(code)
	}
	// A trace recorded through CONDIAG_TRACE ends here: stop it, so that
	// it is complete and says so.
	sink.BeforeExit()
	osExit(code)
}

func init() {
	if testing.Testing() {
		// Remember which goroutines exist when a finding is made, so
		// that VerifyNone can tell which test it belongs to after they
		// have exited.
		sink.SetOnNew(func() { gstack.Process.Observe(gstack.All()) })
	}
}
