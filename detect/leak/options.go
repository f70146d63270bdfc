package leak

import (
	"strings"
	"time"

	"github.com/condiag/condiag/internal/gstack"
)

// Option changes what a check counts or how long it waits. Options with
// goleak's names mean what they mean in go.uber.org/goleak.
type Option interface{ apply(*opts) }

type optionFunc func(*opts)

func (f optionFunc) apply(o *opts) { f(o) }

type opts struct {
	filters    []func(*gstack.Goroutine) bool
	maxRetries int
	maxSleep   time.Duration
	settle     time.Duration
	cleanup    func(int)
	margin     time.Duration // hung-test watchdog; < 0 off
}

// Defaults: goleak's retries, and the time a parked set must stay
// unchanged to be reported at once.
const (
	defaultRetries = 20
	defaultSleep   = 100 * time.Millisecond
	defaultSettle  = 100 * time.Millisecond
)

func buildOpts(options []Option) *opts {
	o := &opts{maxRetries: defaultRetries, maxSleep: defaultSleep, settle: defaultSettle}
	o.filters = append(o.filters, isTestStack, isSyscallStack, isStdLibStack, isTraceStack, isOwn)
	for _, opt := range options {
		opt.apply(o)
	}
	return o
}

func (o *opts) ignored(g *gstack.Goroutine) bool {
	for _, f := range o.filters {
		if f(g) {
			return true
		}
	}
	return false
}

func addFilter(f func(*gstack.Goroutine) bool) Option {
	return optionFunc(func(o *opts) { o.filters = append(o.filters, f) })
}

// IgnoreTopFunction ignores goroutines whose innermost function is f, a
// fully qualified name such as "example.com/pkg.(*Server).serve".
func IgnoreTopFunction(f string) Option {
	return addFilter(func(g *gstack.Goroutine) bool { return g.FirstFunction() == f })
}

// IgnoreAnyFunction ignores goroutines with f anywhere on their stack.
func IgnoreAnyFunction(f string) Option {
	return addFilter(func(g *gstack.Goroutine) bool { return g.HasFunction(f) })
}

// IgnoreCreatedBy ignores goroutines started by a go statement in f, as
// the "created by" line of their traceback names it (without its
// " in goroutine N" suffix).
func IgnoreCreatedBy(f string) Option {
	return addFilter(func(g *gstack.Goroutine) bool { return g.CreatedBy.Func == f })
}

// IgnoreCurrent ignores the goroutines that exist when the option is
// made.
func IgnoreCurrent() Option {
	ids := map[int64]bool{}
	for _, g := range gstack.All() {
		ids[g.ID] = true
	}
	return addFilter(func(g *gstack.Goroutine) bool { return ids[g.ID] })
}

// Cleanup calls f at the end of [VerifyNone] (with 0) or
// [VerifyTestMain] (with the exit code, before exiting). It cannot be
// passed to [Find].
func Cleanup(f func(exitCode int)) Option {
	return optionFunc(func(o *opts) { o.cleanup = f })
}

// MaxRetryAttempts sets how many times a check scans again while
// goroutines may still be exiting (goleak's default, 20).
func MaxRetryAttempts(n int) Option {
	return optionFunc(func(o *opts) { o.maxRetries = n })
}

// MaxSleepInterval caps the growing pause between two scans (100 ms).
func MaxSleepInterval(d time.Duration) Option {
	return optionFunc(func(o *opts) { o.maxSleep = d })
}

// Settle sets how long a set of leaked goroutines that are all parked
// for good (on a channel, a lock, a WaitGroup, a Cond, or a select)
// must stay unchanged to be reported without waiting out the retries
// (100 ms). Goroutines that sleep, run or wait for I/O or a system call
// always get every retry. 0 waits out the retries, as goleak does.
func Settle(d time.Duration) Option {
	return optionFunc(func(o *opts) { o.settle = d })
}

// Watchdog sets how long before the test binary's -test.timeout
// [VerifyTestMain] prints its diagnosis of the goroutines that hang: by
// default a tenth of the timeout, at least 1 s and at most 30 s. 0 or
// less turns the watchdog off; without a timeout it is off.
func Watchdog(margin time.Duration) Option {
	return optionFunc(func(o *opts) {
		o.margin = margin
		if margin <= 0 {
			o.margin = -1
		}
	})
}

// The default filters: goleak's, and condiag's own goroutines.

func isTestStack(g *gstack.Goroutine) bool {
	switch g.FirstFunction() {
	case "testing.RunTests", "testing.(*T).Run", "testing.(*T).Parallel", "testing.runFuzzing", "testing.runFuzzTests":
		return strings.HasPrefix(g.State, "chan receive")
	}
	return false
}

func isSyscallStack(g *gstack.Goroutine) bool {
	return g.HasFunction("runtime.goexit") && strings.HasPrefix(g.State, "syscall")
}

func isStdLibStack(g *gstack.Goroutine) bool {
	if f := g.FirstFunction(); f == "os/signal.signal_recv" || f == "os/signal.loop" {
		return true
	}
	return g.HasFunction("runtime.ensureSigM")
}

func isTraceStack(g *gstack.Goroutine) bool { return g.HasFunction("runtime.ReadTrace") }

// isOwn reports whether g is one of condiag's background goroutines: the
// monitor's watchdog, the trace recorder, finding delivery, this
// package's watchdog.
func isOwn(g *gstack.Goroutine) bool {
	return strings.HasPrefix(g.CreatedBy.Func, "github.com/condiag/condiag/internal/")
}

// CleanupOf returns the function of a [Cleanup] option, or nil for any
// other option: for a caller that runs the cleanup itself.
func CleanupOf(opt Option) func(int) {
	var o opts
	opt.apply(&o)
	return o.cleanup
}
