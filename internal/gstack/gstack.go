// Package gstack reads the tracebacks of every goroutine of the process
// (runtime.Stack with all set, or the goroutine leak profile at debug
// level 2) into plain values, fast enough for 10,000 goroutines in a few
// milliseconds: the dump is converted to a string once and every name is
// a substring of it.
package gstack

import (
	"runtime"
	"strconv"
	"strings"

	"github.com/condiag/condiag/report"
)

// Goroutine is one goroutine of a dump.
type Goroutine struct {
	ID      int64
	State   string // the wait reason or status, e.g. "chan receive", "running"
	Minutes int    // how long it has waited, when the runtime says (a minute or more)
	// Leaked is set when the garbage collector proved the goroutine can
	// never run again (the goroutineleak profile of
	// GOEXPERIMENT=goroutineleakprofile).
	Leaked    bool
	Frames    []report.Frame // innermost first, every frame
	CreatedBy report.Frame   // the go statement that started it
	Parent    int64          // the goroutine that ran it, 0 if unknown
	Elided    bool           // the runtime left frames out
}

// FirstFunction returns the innermost function of g's stack.
func (g *Goroutine) FirstFunction() string {
	if len(g.Frames) == 0 {
		return ""
	}
	return g.Frames[0].Func
}

// HasFunction reports whether fn is anywhere on g's stack.
func (g *Goroutine) HasFunction(fn string) bool {
	for _, f := range g.Frames {
		if f.Func == fn {
			return true
		}
	}
	return false
}

// maxDump bounds the buffer for a dump.
const maxDump = 256 << 20

// All returns every goroutine of the process.
func All() []Goroutine { return Parse(Dump()) }

// Dump returns runtime.Stack of every goroutine.
func Dump() []byte {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= maxDump {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// Parse parses a dump of goroutine tracebacks. Parts it cannot read are
// skipped: a dump is a diagnostic, not a contract.
func Parse(b []byte) []Goroutine {
	s := string(b)
	out := make([]Goroutine, 0, strings.Count(s, "\n\ngoroutine ")+1)
	for len(s) > 0 {
		var block string
		if i := strings.Index(s, "\n\n"); i >= 0 {
			block, s = s[:i], s[i+2:]
		} else {
			block, s = s, ""
		}
		if g, ok := parseOne(block); ok {
			out = append(out, g)
		}
	}
	return out
}

func parseOne(s string) (Goroutine, bool) {
	var g Goroutine
	head, rest, _ := strings.Cut(strings.TrimLeft(s, "\n"), "\n")
	head, ok := strings.CutPrefix(head, "goroutine ")
	if !ok {
		return g, false
	}
	idStr, state, ok := strings.Cut(head, " ")
	if !ok {
		return g, false
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		return g, false
	}
	g.ID = id
	// "[chan receive (leaked), 3 minutes, locked to thread]:"; at
	// GOTRACEBACK=system a "gp=... m=..." part comes first.
	if i := strings.IndexByte(state, '['); i >= 0 {
		state = state[i+1:]
	}
	state, _, _ = strings.Cut(state, "]")
	parts := strings.Split(state, ", ")
	g.State = parts[0]
	for _, p := range parts[1:] {
		if m, ok := strings.CutSuffix(p, " minutes"); ok {
			g.Minutes, _ = strconv.Atoi(m)
		}
	}
	if st, ok := strings.CutSuffix(g.State, " (leaked)"); ok {
		g.State, g.Leaked = st, true
	}
	g.Frames = make([]report.Frame, 0, strings.Count(rest, "\n\t"))
	for rest != "" {
		var fn, loc string
		fn, rest, _ = strings.Cut(rest, "\n")
		switch {
		case strings.HasPrefix(fn, "...additional frames elided..."):
			g.Elided = true
			continue
		case strings.HasPrefix(fn, "[originating from goroutine"):
			// GODEBUG=tracebackancestors: what follows are ancestors.
			return g, true
		case fn == "" || fn[0] == '\t':
			continue
		}
		if strings.HasPrefix(rest, "\t") {
			loc, rest, _ = strings.Cut(rest[1:], "\n")
		}
		if c, ok := strings.CutPrefix(fn, "created by "); ok {
			if i := strings.Index(c, " in goroutine "); i >= 0 {
				g.Parent, _ = strconv.ParseInt(c[i+len(" in goroutine "):], 10, 64)
				c = c[:i]
			}
			g.CreatedBy = frame(c, loc)
			continue
		}
		if i := strings.LastIndexByte(fn, '('); i > 0 && strings.HasSuffix(fn, ")") {
			fn = fn[:i]
		}
		g.Frames = append(g.Frames, frame(fn, loc))
	}
	return g, true
}

func frame(fn, loc string) report.Frame {
	f := report.Frame{Func: fn}
	if i := strings.LastIndex(loc, " +0x"); i >= 0 {
		loc = loc[:i]
	}
	if i := strings.LastIndexByte(loc, ':'); i >= 0 {
		f.File = loc[:i]
		f.Line, _ = strconv.Atoi(loc[i+1:])
	}
	return f
}

// IsLibrary reports whether fn belongs to the Go runtime, the standard
// library or condiag itself, whose frames reports skip to reach the
// user's call.
func IsLibrary(fn string) bool {
	if strings.HasPrefix(fn, "github.com/condiag/condiag/") {
		rest := fn[len("github.com/condiag/condiag/"):]
		if strings.Contains(rest, "_test.") {
			return false // condiag's own tests are users
		}
		return strings.HasPrefix(rest, "sync.") || strings.HasPrefix(rest, "sync/") ||
			strings.HasPrefix(rest, "internal/") || strings.HasPrefix(rest, "detect/") ||
			strings.HasPrefix(rest, "queue.") || strings.HasPrefix(rest, "pool.")
	}
	// The standard library's import paths have no dot in their first
	// element; "main" is the user's.
	first, _, slash := strings.Cut(fn, "/")
	if !slash {
		first, _, _ = strings.Cut(fn, ".")
		return first != "main"
	}
	return !strings.Contains(first, ".")
}

// UserFrames returns fs without its innermost library frames (see
// [IsLibrary]), or fs itself if every frame is a library's.
func UserFrames(fs []report.Frame) []report.Frame {
	for i, f := range fs {
		if !IsLibrary(f.Func) {
			return fs[i:]
		}
	}
	return fs
}
