// Package sink collects the findings of the online detectors of this
// process, drops duplicates and passes each new one to the handler.
package sink

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/condiag/condiag/report"
)

// Handler receives each new finding. It may print, panic or exit: the
// sink holds no lock while it runs.
type Handler func(report.Finding)

// mu guards everything below.
var (
	mu       sync.Mutex
	seen     = map[string]bool{}
	findings []report.Finding
	handler  Handler = Print
)

// maxFindings bounds the findings the sink keeps in a long-running
// program; findings past it are still passed to the handler, once, and
// counted. maxKeys bounds the keys kept to recognize duplicates.
const (
	maxFindings = 10000
	maxKeys     = 100000
)

var dropped int

// Report records f, unless an identical finding was recorded before, and
// passes it to the handler. It reports whether f was new.
//
// The handler sees every occurrence, so that a handler that panics or
// exits acts on each (a self-deadlock hit twice panics twice, instead of
// hanging the second time); [Print], the default, prints each distinct
// finding once.
func Report(f report.Finding) bool {
	return ReportAll([]report.Finding{f}) == 1
}

// ReportAll records every finding of fs that is new, then passes all of
// them to the handler, so that a handler that panics on the first still
// leaves the others recorded. It returns how many were new.
func ReportAll(fs []report.Finding) int {
	n, h := record(fs)
	if n > 0 {
		newFindings()
	}
	beforeHandler(len(fs))
	if h != nil {
		for _, f := range fs {
			h(f)
		}
	}
	return n
}

// ReportAsync records fs like [ReportAll] and passes them to the handler
// in a goroutine of its own, for a reporter that must not wait for the
// handler: the watchdog, whose next findings a handler that blocks (on a
// lock of the deadlock it reports, say) would hold up.
func ReportAsync(fs ...report.Finding) {
	if n, h := record(fs); h != nil || before.get() != nil || n > 0 {
		go func() {
			if n > 0 {
				newFindings()
			}
			beforeHandler(len(fs))
			if h == nil {
				return
			}
			for _, f := range fs {
				h(f)
			}
		}()
	}
}

// hook holds a function that another package sets: the trace recorder,
// the test facade. The zero value holds none.
type hook[F any] struct{ p atomic.Pointer[F] }

func (h *hook[F]) set(f F) { h.p.Store(&f) }

func (h *hook[F]) get() F {
	if p := h.p.Load(); p != nil {
		return *p
	}
	var none F
	return none
}

var (
	before      hook[func()]
	hangChanged hook[func(time.Duration)]
	beforeExit  hook[func()]
	onNew       hook[func()]
)

// SetOnNew sets a function called after new findings were recorded,
// before the handler sees them (the test facade remembers which
// goroutines exist then, to tell which test a finding belongs to). nil
// removes it.
func SetOnNew(f func()) { onNew.set(f) }

func newFindings() {
	if f := onNew.get(); f != nil {
		f()
	}
}

// SetBeforeExit sets a function [BeforeExit] calls (the trace recorder
// stops the trace). nil removes it.
func SetBeforeExit(f func()) { beforeExit.set(f) }

// BeforeExit is called by condiag.VerifyTestMain before the test binary
// exits.
func BeforeExit() {
	if f := beforeExit.get(); f != nil {
		f()
	}
}

// SetHangHook sets a function called when the DL1005 threshold changes
// (the trace recorder records it). nil removes it.
func SetHangHook(f func(time.Duration)) { hangChanged.set(f) }

// HangChanged calls the hang hook, if any.
func HangChanged(d time.Duration) {
	if f := hangChanged.get(); f != nil {
		f(d)
	}
}

// SetBeforeHandler sets a function called, in the reporting goroutine,
// after new findings were recorded and before the handler sees them (the
// trace recorder writes what it recorded, since a handler may end the
// program). nil removes it.
func SetBeforeHandler(f func()) { before.set(f) }

func beforeHandler(n int) {
	if n == 0 {
		return
	}
	if f := before.get(); f != nil {
		f()
	}
}

// record records the new findings of fs and returns how many were new and
// the handler.
func record(fs []report.Finding) (int, Handler) {
	fresh := 0
	mu.Lock()
	for i := range fs {
		f := &fs[i]
		if f.Process == 0 {
			f.Process = os.Getpid()
		}
		key := f.Key()
		if seen[key] {
			continue
		}
		if len(seen) < maxKeys {
			seen[key] = true
		}
		if len(findings) < maxFindings {
			findings = append(findings, *f)
		} else {
			dropped++
		}
		fresh++
	}
	h := handler
	mu.Unlock()
	return fresh, h
}

// Findings returns a copy of every finding recorded so far.
func Findings() []report.Finding {
	mu.Lock()
	defer mu.Unlock()
	return append([]report.Finding(nil), findings...)
}

// Mark returns a position in the list of findings; [Since] returns those
// recorded after it.
func Mark() int {
	mu.Lock()
	defer mu.Unlock()
	return len(findings)
}

// Since returns the findings recorded after mark.
func Since(mark int) []report.Finding {
	mu.Lock()
	defer mu.Unlock()
	if mark < 0 || mark > len(findings) {
		mark = 0
	}
	return append([]report.Finding(nil), findings[mark:]...)
}

// Dropped returns how many findings were not kept because the list was
// full.
func Dropped() int {
	mu.Lock()
	defer mu.Unlock()
	return dropped
}

// SetHandler installs h (nil: record only) and returns the previous one.
func SetHandler(h Handler) Handler {
	mu.Lock()
	defer mu.Unlock()
	old := handler
	handler = h
	return old
}

// Print writes f to standard error in the text form, the first time a
// finding with its key is printed.
func Print(f report.Finding) { PrintOnce(os.Stderr, f) }

// printed holds the keys of the findings printed so far, bounded like
// seen; guarded by printMu.
var (
	printMu sync.Mutex
	printed = map[string]bool{}
)

// PrintOnce writes f to w in the text form unless a finding with the same
// key was printed before.
func PrintOnce(w io.Writer, f report.Finding) {
	key := f.Key()
	printMu.Lock()
	defer printMu.Unlock()
	if printed[key] {
		return
	}
	if len(printed) < maxKeys {
		printed[key] = true
	}
	report.WriteText(w, []report.Finding{f})
}
