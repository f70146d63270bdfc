package monitor

import (
	"fmt"
	"strings"

	"github.com/condiag/condiag/internal/gstack"
	"github.com/condiag/condiag/report"
)

// dumpStacks returns every goroutine's stack, as runtime.Stack prints
// them, parsed and keyed by goroutine id.
func dumpStacks() map[int64]report.Goroutine { return parseStacks(gstack.Dump()) }

// parseStacks parses a traceback of all goroutines. Frames of condiag
// itself are dropped, and so are those of the runtime and of the standard
// sync packages at the top of each stack, so that a blocked goroutine's
// first frame is the user's call. Malformed parts are skipped.
func parseStacks(b []byte) map[int64]report.Goroutine {
	out := map[int64]report.Goroutine{}
	for _, g := range gstack.Parse(b) {
		r := report.Goroutine{ID: g.ID, State: g.State, CreatedBy: g.CreatedBy}
		if g.Minutes > 0 {
			r.State += fmt.Sprintf(", %d minutes", g.Minutes)
		}
		for _, f := range g.Frames {
			if !isOwnFrame(f.Func) {
				r.Stack = append(r.Stack, f)
			}
		}
		r.Stack = trimTop(r.Stack)
		out[g.ID] = r
	}
	return out
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
