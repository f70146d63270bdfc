package report

import (
	"fmt"
	"strings"
)

// Severity says how serious a finding is. The zero value is invalid.
type Severity int

const (
	SeverityInvalid Severity = iota
	SeverityInfo             // informational, such as a contention report
	SeverityWarning          // a hazard that may bite under other timing
	SeverityError            // a bug: a deadlock, a leak, a misuse
)

var severityNames = [...]string{"invalid", "info", "warning", "error"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// Confidence says whether a finding was seen happening or is inferred from
// what was seen. The zero value is invalid.
type Confidence int

const (
	ConfidenceInvalid Confidence = iota
	// Observed: the events happened on these very objects, such as
	// goroutines blocked in a cycle, or a lock order inverted on the same
	// two mutexes.
	Observed
	// Predicted: inferred over lock classes, such as an inversion between
	// different instances of the same roles.
	Predicted
)

var confidenceNames = [...]string{"invalid", "observed", "predicted"}

func (c Confidence) String() string {
	if c < 0 || int(c) >= len(confidenceNames) {
		return fmt.Sprintf("Confidence(%d)", int(c))
	}
	return confidenceNames[c]
}

// Frame is one call site.
type Frame struct {
	Func string `json:"func,omitempty"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// String formats f as "file:line".
func (f Frame) String() string {
	if f.File == "" {
		return "?"
	}
	return fmt.Sprintf("%s:%d", f.File, f.Line)
}

// IsZero reports whether f names no call site.
func (f Frame) IsZero() bool { return f.File == "" && f.Func == "" }

// Lock describes one lock instance involved in a finding.
type Lock struct {
	ID          uint64 `json:"id"`               // instance id, unique in the process
	Kind        string `json:"kind"`             // "Mutex", "RWMutex", "Once", ...
	Class       string `json:"class"`            // lock class: a name given by the user, or the first acquisition site
	Name        string `json:"name,omitempty"`   // user-given instance name, if any
	FirstLocked Frame  `json:"first_locked"`     // where this instance was first acquired
	Held        string `json:"held,omitempty"`   // "write" or "read", when the lock is held in the finding
	Holder      int64  `json:"holder,omitempty"` // goroutine holding it, when known
}

// Label is the short name used in reports: the user's name if any, else
// the kind and instance id.
func (l Lock) Label() string {
	if l.Name != "" {
		return l.Name
	}
	return fmt.Sprintf("%s#%d", l.Kind, l.ID)
}

// Goroutine describes one goroutine involved in a finding.
type Goroutine struct {
	ID        int64    `json:"id"`
	State     string   `json:"state,omitempty"`     // as runtime.Stack prints it, e.g. "sync.Mutex.Lock"
	Holds     []uint64 `json:"holds,omitempty"`     // lock ids held
	WaitsFor  uint64   `json:"waits_for,omitempty"` // lock id waited for, 0 if none
	WaitMode  string   `json:"wait_mode,omitempty"` // "write" or "read"
	Stack     []Frame  `json:"stack,omitempty"`     // innermost first
	CreatedBy Frame    `json:"created_by,omitzero"` // go statement that started it
}

// Edge is one "acquired To while holding From" step of a lock-order
// cycle, with the goroutine and stack that took it.
type Edge struct {
	From      uint64  `json:"from"`
	To        uint64  `json:"to"`
	FromMode  string  `json:"from_mode"`
	ToMode    string  `json:"to_mode"`
	Goroutine int64   `json:"goroutine"`
	Stack     []Frame `json:"stack,omitempty"`
}

// Finding is one thing condiag found. It is plain data: printing it,
// failing a test with it or handing it to a callback is the caller's
// choice.
type Finding struct {
	ID         string      `json:"code"`
	Title      string      `json:"title"`
	Severity   Severity    `json:"-"`
	Confidence Confidence  `json:"-"`
	Message    string      `json:"message"`
	Location   Frame       `json:"location"`
	Process    int         `json:"pid,omitempty"`
	Locks      []Lock      `json:"locks,omitempty"`
	Edges      []Edge      `json:"edges,omitempty"`
	Goroutines []Goroutine `json:"goroutines,omitempty"`
	Scenario   string      `json:"scenario,omitempty"`
	Notes      []string    `json:"notes,omitempty"`
}

// Lock returns the lock with the given id, and whether f mentions it.
func (f *Finding) Lock(id uint64) (Lock, bool) {
	for _, l := range f.Locks {
		if l.ID == id {
			return l, true
		}
	}
	return Lock{}, false
}

// Key identifies a finding for de-duplication: two findings with the same
// key report the same problem. It is made of the ID and, in order, the
// edges of a cycle (rotated to a canonical start by its detector; locks
// by class, and by instance unless predicted), or else the locks' classes
// and the location: the same misuse on another instance at the same
// place is the same problem.
func (f *Finding) Key() string {
	var b strings.Builder
	b.WriteString(f.ID)
	lock := func(id uint64) {
		l, _ := f.Lock(id)
		fmt.Fprintf(&b, "|%s", l.Class)
		if f.Confidence != Predicted {
			fmt.Fprintf(&b, "#%d", l.ID)
		}
	}
	switch {
	case len(f.Edges) > 0:
		for _, e := range f.Edges {
			lock(e.From)
		}
	case len(f.Locks) > 0:
		for _, l := range f.Locks {
			fmt.Fprintf(&b, "|%s", l.Class)
		}
		fmt.Fprintf(&b, "|%s", f.Location)
	default:
		fmt.Fprintf(&b, "|%s|%s", f.Location, f.Message)
	}
	return b.String()
}

// Error formats f in the one-line text form, so that a finding can be
// returned as an error.
func (f *Finding) Error() string {
	return fmt.Sprintf("%s: %s (%s)", f.Location, f.Message, f.ID)
}
