package monitor

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"

	"github.com/condiag/condiag/report"
)

// maxDump bounds the buffer for a dump of every goroutine's stack.
const maxDump = 64 << 20

// dumpStacks returns every goroutine's stack, as runtime.Stack prints
// them, parsed and keyed by goroutine id.
func dumpStacks() map[int64]report.Goroutine {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= maxDump {
			return parseStacks(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// parseStacks parses a traceback of all goroutines. Frames of the runtime,
// of the standard sync packages and of condiag itself are dropped from the
// top of each stack, so that a blocked goroutine's first frame is the
// user's call. Malformed parts are skipped.
func parseStacks(b []byte) map[int64]report.Goroutine {
	out := map[int64]report.Goroutine{}
	for _, block := range bytes.Split(b, []byte("\n\n")) {
		if g, ok := parseGoroutine(string(block)); ok {
			out[g.ID] = g
		}
	}
	return out
}

func parseGoroutine(s string) (report.Goroutine, bool) {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	var g report.Goroutine
	head, ok := strings.CutPrefix(lines[0], "goroutine ")
	if !ok {
		return g, false
	}
	idStr, state, ok := strings.Cut(head, " [")
	if !ok {
		return g, false
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		return g, false
	}
	g.ID = id
	g.State = strings.TrimSuffix(strings.TrimSuffix(state, ":"), "]")
	if i := strings.Index(g.State, "]"); i >= 0 {
		g.State = g.State[:i]
	}
	for i := 1; i+1 < len(lines); i += 2 {
		fn := lines[i]
		loc := strings.TrimSpace(lines[i+1])
		created := strings.HasPrefix(fn, "created by ")
		if created {
			fn = strings.TrimPrefix(fn, "created by ")
			if j := strings.Index(fn, " in goroutine "); j >= 0 {
				fn = fn[:j]
			}
		} else if j := strings.LastIndex(fn, "("); j > 0 && strings.HasSuffix(fn, ")") {
			fn = fn[:j]
		}
		fr := report.Frame{Func: fn}
		if j := strings.LastIndex(loc, " +0x"); j >= 0 {
			loc = loc[:j]
		}
		if j := strings.LastIndex(loc, ":"); j >= 0 {
			fr.File = loc[:j]
			fr.Line, _ = strconv.Atoi(loc[j+1:])
		}
		if created {
			g.CreatedBy = fr
			continue
		}
		if !isOwnFrame(fr.Func) {
			g.Stack = append(g.Stack, fr)
		}
	}
	g.Stack = trimTop(g.Stack)
	return g, true
}

// trimTop drops the runtime's, the standard sync packages' and condiag's
// frames from the top of a stack.
func trimTop(st []report.Frame) []report.Frame {
	for len(st) > 1 {
		fn := st[0].Func
		if isOwnFrame(fn) || strings.HasPrefix(fn, "runtime.") ||
			strings.HasPrefix(fn, "sync.") || strings.HasPrefix(fn, "internal/sync.") {
			st = st[1:]
			continue
		}
		break
	}
	return st
}
