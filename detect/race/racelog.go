// Package race finds data races on shared state. This first part reads
// the reports of Go's own race detector (the "WARNING: DATA RACE" blocks
// that `go test -race` and a -race binary print) and groups them by the
// pair of accesses, so that a noisy log becomes a short list of RC2001
// findings, each race once, with how often it was reported.
package race

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/condiag/condiag/report"
)

// Access is one side of a race: what the goroutine did, where.
type Access struct {
	Op        string // "write", "read", "atomic write", ...
	Goroutine int64  // 0 for the main goroutine's unknown id
	Main      bool   // the main goroutine
	Stack     []report.Frame
	CreatedAt []report.Frame // where the goroutine was created, if the report says
}

// Race is one distinct race of a log: the two accesses of its first
// report, and how many reports had the same two access sites.
type Race struct {
	Current, Previous Access
	Count             int
	Line              int // of the first report's WARNING line in the log
}

var (
	accessRe  = regexp.MustCompile(`^(Previous )?((?:[Aa]tomic )?(?:[Rr]ead|[Ww]rite)) at 0x[0-9a-f]+ by (main goroutine|goroutine (\d+)):$`)
	createdRe = regexp.MustCompile(`^Goroutine (\d+) \([^)]*\) created at:$`)
)

// maxLine bounds a line of a log; longer ones are cut.
const maxLine = 1 << 20

// ParseLog reads a race detector log and returns its distinct races, in
// the order of their first report. Anything between the reports (test
// output) is skipped. It fails only when the log cannot be read, or
// holds no report at all, in which case the error says so.
func ParseLog(r io.Reader) ([]Race, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var (
		races   []Race
		index   = map[string]int{}
		cur     *Race
		acc     *Access                   // the access or creation stack being read
		created map[int64]*[]report.Frame // creation stacks, by goroutine
		frames  *[]report.Frame
		fn      string // a function line waiting for its file:line
		n       int
		reports int
	)
	finish := func() {
		if cur == nil {
			return
		}
		for _, a := range []*Access{&cur.Current, &cur.Previous} {
			if p := created[a.Goroutine]; p != nil && a.Goroutine != 0 {
				a.CreatedAt = *p
			}
		}
		if len(cur.Current.Stack) > 0 && len(cur.Previous.Stack) > 0 {
			reports++
			k := key(cur)
			if i, ok := index[k]; ok {
				races[i].Count++
			} else {
				index[k] = len(races)
				cur.Count = 1
				races = append(races, *cur)
			}
		}
		cur, acc, frames = nil, nil, nil
	}
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "WARNING: DATA RACE":
			finish()
			cur, created = &Race{Line: n}, map[int64]*[]report.Frame{}
			continue
		case cur == nil:
			continue
		case strings.HasPrefix(trimmed, "=================="):
			finish()
			continue
		}
		if m := accessRe.FindStringSubmatch(trimmed); m != nil {
			acc = &cur.Current
			if m[1] != "" {
				acc = &cur.Previous
			}
			acc.Op = strings.ToLower(m[2])
			if m[3] == "main goroutine" {
				acc.Main = true
			} else {
				acc.Goroutine, _ = strconv.ParseInt(m[4], 10, 64)
			}
			acc.Stack = nil
			frames = &acc.Stack
			continue
		}
		if m := createdRe.FindStringSubmatch(trimmed); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			frames = new([]report.Frame)
			created[id] = frames
			continue
		}
		if frames == nil || trimmed == "" {
			fn = ""
			continue
		}
		// A stack is pairs of lines: "pkg.Func(...)" then
		// "\t/path/file.go:12 +0x1f".
		if strings.HasPrefix(line, "      ") || strings.HasPrefix(line, "\t") {
			if fn != "" && len(*frames) < 64 {
				file, lineNo := fileLine(trimmed)
				*frames = append(*frames, report.Frame{Func: fn, File: file, Line: lineNo})
			}
			fn = ""
			continue
		}
		fn = funcName(trimmed)
	}
	finish()
	if err := sc.Err(); err != nil {
		return races, err
	}
	if reports == 0 {
		return nil, fmt.Errorf("no race detector report (WARNING: DATA RACE) in the log")
	}
	return races, nil
}

// funcName is the function of a stack line "pkg.Func(args)".
func funcName(s string) string {
	if i := strings.LastIndexByte(s, '('); i > 0 {
		return s[:i]
	}
	return s
}

// fileLine parses "/path/file.go:12 +0x1f".
func fileLine(s string) (string, int) {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[:i]
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n, _ := strconv.Atoi(s[i+1:])
	return s[:i], n
}

// key identifies a race by its two access sites, in either order, and
// their kinds of access.
func key(r *Race) string {
	a := fmt.Sprintf("%s %s", r.Current.Op, site(r.Current.Stack))
	b := fmt.Sprintf("%s %s", r.Previous.Op, site(r.Previous.Stack))
	if b < a {
		a, b = b, a
	}
	return a + "|" + b
}

// site is the first user frame of a stack, as file:line.
func site(st []report.Frame) string { return userStack(st)[0].String() }

// Findings turns races into RC2001 findings, the most reported first.
func Findings(races []Race) []report.Finding {
	out := make([]report.Finding, 0, len(races))
	sorted := slices.Clone(races)
	slices.SortStableFunc(sorted, func(a, b Race) int { return cmp.Compare(b.Count, a.Count) })
	for _, r := range sorted {
		f := report.New("RC2001")
		f.Confidence = report.Observed
		cur, prev := userStack(r.Current.Stack), userStack(r.Previous.Stack)
		f.Location = cur[0]
		times := "once"
		if r.Count > 1 {
			times = fmt.Sprintf("%d times", r.Count)
		}
		f.Message = fmt.Sprintf("data race: %s at %s by %s and %s at %s by %s, unordered (reported by the Go race detector %s)",
			r.Current.Op, cur[0], who(r.Current), r.Previous.Op, prev[0], who(r.Previous), times)
		for _, a := range []Access{r.Current, r.Previous} {
			g := report.Goroutine{ID: a.Goroutine, State: a.Op, Stack: userStack(a.Stack)}
			if len(a.CreatedAt) > 0 {
				g.CreatedBy = userStack(a.CreatedAt)[0]
			}
			f.Goroutines = append(f.Goroutines, g)
		}
		f.Notes = append(f.Notes, fmt.Sprintf("observed by the Go race detector; first report at line %d of the log", r.Line))
		out = append(out, f)
	}
	return out
}

func who(a Access) string {
	if a.Main {
		return "the main goroutine"
	}
	return fmt.Sprintf("goroutine %d", a.Goroutine)
}

// userStack is st without the frames of the runtime, the race detector
// and the testing package (a map access shows as runtime.mapassign), or
// st itself when nothing else is left.
func userStack(st []report.Frame) []report.Frame {
	var u []report.Frame
	for _, f := range st {
		if !strings.HasPrefix(f.Func, "runtime.") && !strings.HasPrefix(f.Func, "internal/") &&
			!strings.HasPrefix(f.Func, "testing.") && !strings.HasPrefix(f.Func, "sync/atomic.") {
			u = append(u, f)
		}
	}
	if len(u) > 0 {
		return u
	}
	if len(st) == 0 {
		return []report.Frame{{Func: "?"}}
	}
	return st
}

// IsLog reports whether the start of a file looks like a race detector
// log (or test output holding one) rather than a condiag trace.
func IsLog(head []byte) bool {
	return bytes.Contains(head, []byte("WARNING: DATA RACE")) || bytes.Contains(head, []byte("=== RUN")) ||
		bytes.HasPrefix(head, []byte("=================="))
}
