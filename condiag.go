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
	ignore map[string]string // finding ID -> reason
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
	return o, errors.Join(errs...)
}

func (o options) filter(fs []report.Finding) []report.Finding {
	var out []report.Finding
	for _, f := range fs {
		if _, ok := o.ignore[f.ID]; !ok {
			out = append(out, f)
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

// Check returns nil when no finding has been reported in this process, or
// a *[FindingsError] listing them.
func Check(opts ...Option) error {
	o, err := build(opts)
	if err != nil {
		return err
	}
	fs := o.filter(sink.Findings())
	if n := sink.Dropped(); len(fs) > 0 || n > 0 {
		return &FindingsError{Findings: fs, Dropped: n}
	}
	return nil
}

// TestingT is the part of *testing.T that [VerifyNone] uses.
type TestingT interface {
	Helper()
	Error(args ...any)
}

// verified is how far VerifyNone has reported, so that a finding fails
// one test, the first that checks after it was found.
var (
	verifiedMu      sync.Mutex
	verified        int
	verifiedDropped int
)

// unverified returns the findings recorded since the last VerifyNone and
// how many were dropped since, and marks them verified. verifiedMu is
// held.
func unverified() ([]report.Finding, int) {
	fs := sink.Since(verified)
	verified += len(fs)
	dropped := sink.Dropped() - verifiedDropped
	verifiedDropped += dropped
	return fs, dropped
}

// VerifyNone fails t with every finding reported since the previous call
// of VerifyNone in this process (or since it started). Use it deferred at
// the top of a test.
func VerifyNone(t TestingT, opts ...Option) {
	t.Helper()
	o, err := build(opts)
	if err != nil {
		t.Error(err)
		return
	}
	verifiedMu.Lock()
	fs, dropped := unverified()
	verifiedMu.Unlock()
	if fs = o.filter(fs); len(fs) > 0 || dropped > 0 {
		t.Error((&FindingsError{Findings: fs, Dropped: dropped}).Error())
	}
}

// TestingM is the part of *testing.M that [VerifyTestMain] uses.
type TestingM interface {
	Run() int
}

// VerifyTestMain runs the tests of m and then exits: with m's code when
// it failed, with 1 (after printing them) when findings were reported
// during the run that no [VerifyNone] reported already, else 0. Call it
// from TestMain. A trace being recorded (CONDIAG_TRACE) is stopped before
// the exit, so that it is complete.
func VerifyTestMain(m TestingM, opts ...Option) {
	code := m.Run()
	if code == 0 {
		o, err := build(opts)
		if err == nil {
			verifiedMu.Lock()
			fs, dropped := unverified()
			verifiedMu.Unlock()
			if fs = o.filter(fs); len(fs) > 0 || dropped > 0 {
				err = &FindingsError{Findings: fs, Dropped: dropped}
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	// A trace recorded through CONDIAG_TRACE ends here: stop it, so that
	// it is complete and says so.
	sink.BeforeExit()
	osExit(code)
}
