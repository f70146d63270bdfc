package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Indentation of the text form: details of a finding, items under a
// heading (locks, stack frames), and file:line under a frame's function.
const (
	indent1 = "    "
	indent2 = indent1 + indent1
	indent3 = indent2 + indent1
)

// WriteText writes fs to w in the text form read by people:
//
//	bank.go:31: lock order accounts -> ledger -> accounts (DL1001)
//	    potential deadlock: lock-order cycle (severity: error, confidence: observed)
//	    locks:
//	        accounts (Mutex#1), class "accounts", first locked at bank.go:12 in main.transfer
//	    edge 1: accounts (write) -> ledger (write) taken by goroutine 7 at:
//	        main.transfer
//	            /src/bank.go:33
//	    ...
//	    help: run "condiag explain DL1001"
//
// The first line of each finding is "file:line: message (ID)", with "-"
// for an unknown location; the indented lines below give the details.
// Findings are separated by a blank line. WriteText writes nothing for
// no findings, and returns the first error from w.
func WriteText(w io.Writer, fs []Finding) error {
	var b strings.Builder
	for i := range fs {
		if i > 0 {
			b.WriteByte('\n')
		}
		writeFinding(&b, &fs[i])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFinding(b *strings.Builder, f *Finding) {
	loc := "-"
	if f.Location.File != "" {
		loc = f.Location.String()
	}
	msg := f.Message
	if msg == "" {
		msg = f.Title
	}
	fmt.Fprintf(b, "%s: %s", loc, msg)
	if f.ID != "" {
		fmt.Fprintf(b, " (%s)", f.ID)
	}
	b.WriteByte('\n')
	writeSummary(b, f)
	writeLocks(b, f)
	for i, e := range f.Edges {
		fmt.Fprintf(b, "%sedge %d: %s -> %s taken by goroutine %d at:\n",
			indent1, i+1, lockRef(f, e.From, e.FromMode), lockRef(f, e.To, e.ToMode), e.Goroutine)
		writeStack(b, e.Stack)
	}
	for _, g := range f.Goroutines {
		writeGoroutine(b, f, g)
	}
	if f.Scenario != "" {
		b.WriteString(indent1 + "scenario:\n")
		writeIndented(b, indent2, indent2, f.Scenario)
	}
	for _, n := range f.Notes {
		writeIndented(b, indent1+"note: ", indent1+"      ", n)
	}
	if f.ID != "" {
		fmt.Fprintf(b, "%shelp: run \"condiag explain %s\"\n", indent1, f.ID)
	}
}

// writeSummary writes the title line: title, severity, confidence and
// process, leaving out what is unknown.
func writeSummary(b *strings.Builder, f *Finding) {
	attrs := []string{"severity: " + f.Severity.String()}
	if f.Confidence != ConfidenceInvalid {
		attrs = append(attrs, "confidence: "+f.Confidence.String())
	}
	if f.Process != 0 {
		attrs = append(attrs, fmt.Sprintf("pid: %d", f.Process))
	}
	title := f.Title
	if title == "" {
		title = f.ID
	}
	fmt.Fprintf(b, "%s%s (%s)\n", indent1, title, strings.Join(attrs, ", "))
}

func writeLocks(b *strings.Builder, f *Finding) {
	if len(f.Locks) == 0 {
		return
	}
	b.WriteString(indent1 + "locks:\n")
	for _, l := range f.Locks {
		b.WriteString(indent2 + l.Label())
		if l.Name != "" {
			fmt.Fprintf(b, " (%s#%d)", l.Kind, l.ID)
		}
		if l.Class != "" {
			fmt.Fprintf(b, ", class %q", l.Class)
		}
		if !l.FirstLocked.IsZero() {
			switch l.Kind {
			case "Mutex", "RWMutex", "Once", "":
				b.WriteString(", first locked at " + frameText(l.FirstLocked))
			default: // a wait group, cond, queue, pool ...: where it was made or first used
				b.WriteString(", created at " + frameText(l.FirstLocked))
			}
		}
		if l.Held != "" {
			fmt.Fprintf(b, ", held (%s)", l.Held)
		}
		if l.Holder != 0 {
			if l.Held == "" {
				b.WriteString(", held")
			}
			fmt.Fprintf(b, " by goroutine %d", l.Holder)
		}
		b.WriteByte('\n')
	}
}

func writeGoroutine(b *strings.Builder, f *Finding, g Goroutine) {
	fmt.Fprintf(b, "%sgoroutine %d", indent1, g.ID)
	if g.State != "" {
		fmt.Fprintf(b, " [%s]", g.State)
	}
	b.WriteByte(':')
	var parts []string
	if len(g.Holds) > 0 {
		held := make([]string, len(g.Holds))
		for i, id := range g.Holds {
			held[i] = lockRef(f, id, "")
		}
		parts = append(parts, "holds "+strings.Join(held, ", "))
	}
	if g.WaitsFor != 0 {
		parts = append(parts, "waits for "+lockRef(f, g.WaitsFor, g.WaitMode))
	}
	if len(parts) > 0 {
		b.WriteString(" " + strings.Join(parts, "; "))
	}
	b.WriteByte('\n')
	writeStack(b, g.Stack)
	if !g.CreatedBy.IsZero() {
		fmt.Fprintf(b, "%screated by %s\n%s%s\n", indent2, funcText(g.CreatedBy), indent3, g.CreatedBy)
	}
}

// writeStack writes frames the way Go tracebacks do: the function, then
// its file:line indented below it.
func writeStack(b *strings.Builder, stack []Frame) {
	for _, fr := range stack {
		fmt.Fprintf(b, "%s%s\n%s%s\n", indent2, funcText(fr), indent3, fr)
	}
}

// writeIndented writes the lines of s, the first after first and the
// others after rest, dropping trailing white space.
func writeIndented(b *strings.Builder, first, rest, s string) {
	prefix := first
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			b.WriteByte('\n')
		} else {
			b.WriteString(prefix + line + "\n")
		}
		prefix = rest
	}
}

// lockRef names lock id as f describes it, followed by mode in
// parentheses when mode is known.
func lockRef(f *Finding, id uint64, mode string) string {
	name := fmt.Sprintf("lock#%d", id)
	if l, ok := f.Lock(id); ok {
		name = l.Label()
	}
	if mode != "" {
		name += " (" + mode + ")"
	}
	return name
}

func funcText(fr Frame) string {
	if fr.Func == "" {
		return "?"
	}
	return fr.Func
}

// frameText formats fr as "file:line in func", or only the part known.
func frameText(fr Frame) string {
	switch {
	case fr.File == "":
		return fr.Func
	case fr.Func == "":
		return fr.String()
	}
	return fr.String() + " in " + fr.Func
}

// WriteJSON writes fs to w as one JSON object, {"findings": [...]}, each
// finding in the form [Finding.MarshalJSON] describes. No findings give
// an empty list, never null. The output is indented and does not escape
// HTML characters, so that "->" reads as it is.
func WriteJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonReport{Findings: fs})
}

type jsonReport struct {
	Findings []Finding `json:"findings"`
}

// jsonFinding is the JSON form of a Finding. It is a stable schema: fields
// may be added, never renamed or removed. List fields are always present,
// empty rather than null.
type jsonFinding struct {
	Code       string        `json:"code"`
	Severity   string        `json:"severity"`
	Confidence string        `json:"confidence"`
	Title      string        `json:"title"`
	Location   jsonPosition  `json:"location"`
	End        jsonPosition  `json:"end"` // the same as Location, until findings carry ranges
	Message    string        `json:"message"`
	Related    []jsonRelated `json:"related"`
	Process    int           `json:"pid,omitempty"`
	Locks      []Lock        `json:"locks"`
	Edges      []Edge        `json:"edges"`
	Goroutines []Goroutine   `json:"goroutines"`
	Scenario   string        `json:"scenario"`
	Notes      []string      `json:"notes"`
}

// jsonPosition is a source position. Col is 0 when unknown, which is
// always for now; Func is given when known.
type jsonPosition struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Func string `json:"func,omitempty"`
}

// jsonRelated is another position that explains a finding: where an edge
// of a cycle was taken, where a lock was first locked.
type jsonRelated struct {
	Location jsonPosition `json:"location"`
	Message  string       `json:"message"`
}

// MarshalJSON encodes f in condiag's stable JSON schema: "code",
// "severity" and "confidence" (as words, such as "error" and "observed"),
// "title", "location" and "end" ({"file", "line", "col"}), "message",
// "related" (a list of {"location", "message"}: where each lock-order
// edge was taken and where each lock was first locked), then "pid",
// "locks", "edges", "goroutines", "scenario" and "notes".
func (f Finding) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f.toJSON()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON decodes the form MarshalJSON encodes. Derived fields
// ("end", "related") are ignored.
func (f *Finding) UnmarshalJSON(data []byte) error {
	var j jsonFinding
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	sev, ok := parseName(severityNames[:], j.Severity)
	if !ok {
		return fmt.Errorf("decoding finding %s: unknown severity %q", j.Code, j.Severity)
	}
	conf, ok := parseName(confidenceNames[:], j.Confidence)
	if !ok {
		return fmt.Errorf("decoding finding %s: unknown confidence %q", j.Code, j.Confidence)
	}
	*f = Finding{
		ID:         j.Code,
		Title:      j.Title,
		Severity:   Severity(sev),
		Confidence: Confidence(conf),
		Message:    j.Message,
		Location:   Frame{Func: j.Location.Func, File: j.Location.File, Line: j.Location.Line},
		Process:    j.Process,
		Locks:      orNil(j.Locks),
		Edges:      orNil(j.Edges),
		Goroutines: orNil(j.Goroutines),
		Scenario:   j.Scenario,
		Notes:      orNil(j.Notes),
	}
	return nil
}

func (f *Finding) toJSON() jsonFinding {
	loc := position(f.Location)
	return jsonFinding{
		Code:       f.ID,
		Severity:   f.Severity.String(),
		Confidence: f.Confidence.String(),
		Title:      f.Title,
		Location:   loc,
		End:        loc,
		Message:    f.Message,
		Related:    related(f),
		Process:    f.Process,
		Locks:      orEmpty(f.Locks),
		Edges:      orEmpty(f.Edges),
		Goroutines: orEmpty(f.Goroutines),
		Scenario:   f.Scenario,
		Notes:      orEmpty(f.Notes),
	}
}

// related lists where each edge of f was taken (its innermost frame) and
// where each lock of f was first locked.
func related(f *Finding) []jsonRelated {
	rs := []jsonRelated{}
	for _, e := range f.Edges {
		if len(e.Stack) == 0 {
			continue
		}
		rs = append(rs, jsonRelated{
			Location: position(e.Stack[0]),
			Message: fmt.Sprintf("goroutine %d locked %s while holding %s",
				e.Goroutine, lockRef(f, e.To, e.ToMode), lockRef(f, e.From, e.FromMode)),
		})
	}
	for _, l := range f.Locks {
		if l.FirstLocked.IsZero() {
			continue
		}
		rs = append(rs, jsonRelated{Location: position(l.FirstLocked), Message: l.Label() + " first locked here"})
	}
	return rs
}

func position(fr Frame) jsonPosition {
	return jsonPosition{File: fr.File, Line: fr.Line, Func: fr.Func}
}

// parseName returns the index of s in names; "" means the zero value.
func parseName(names []string, s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	for i, n := range names {
		if n == s {
			return i, true
		}
	}
	return 0, false
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func orNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
