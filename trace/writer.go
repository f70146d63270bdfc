package trace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
)

// Writer writes a trace event by event: for tools that convert or
// generate traces, and for tests. Programs record their own trace with
// [Start] or CONDIAG_TRACE instead.
//
// Events are buffered by goroutine and written as one chunk by Flush;
// Close writes the last chunk, marked as the end of the trace.
type Writer struct {
	w       io.Writer
	err     error
	strs    map[string]uint64
	newStrs []string
	stacks  map[string]uint64
	newStk  [][]tracefmt.Frame
	order   []uint64
	batches map[uint64]*wbatch
	last    time.Duration
	closed  bool
}

type wbatch struct {
	base, prev  uint64
	stream, off uint64 // the goroutine's stream, and the offset of events in it
	events      []byte
}

// NewWriter writes the header of a new trace to w. Zero fields of h are
// filled from the calling process, except Start which defaults to now.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.PID == 0 {
		h.PID, h.PPID = os.Getpid(), os.Getppid()
	}
	if h.Cmdline == nil {
		h.Cmdline = os.Args
	}
	if h.Start.IsZero() {
		h.Start = time.Now()
	}
	if h.GoVersion == "" {
		h.GoVersion = runtime.Version()
	}
	fields := []tracefmt.HeaderField{
		{Key: tracefmt.FieldPID, Type: tracefmt.ValUint, U: uint64(max(h.PID, 0))},
		{Key: tracefmt.FieldPPID, Type: tracefmt.ValUint, U: uint64(max(h.PPID, 0))},
		{Key: tracefmt.FieldCmdline, Type: tracefmt.ValStrings, SS: h.Cmdline},
		{Key: tracefmt.FieldStart, Type: tracefmt.ValUint, U: uint64(max(h.Start.UnixNano(), 0))},
		{Key: tracefmt.FieldClock, Type: tracefmt.ValString, S: "monotonic ns"},
		{Key: tracefmt.FieldGoVersion, Type: tracefmt.ValString, S: h.GoVersion},
		{Key: tracefmt.FieldHang, Type: tracefmt.ValInt, I: int64(max(h.HangThreshold, 0))},
		{Key: tracefmt.FieldHost, Type: tracefmt.ValString, S: h.Host},
		{Key: tracefmt.FieldGOMAXPROC, Type: tracefmt.ValUint, U: uint64(max(h.GOMAXPROCS, 0))},
	}
	if h.Race {
		fields = append(fields, tracefmt.HeaderField{Key: tracefmt.FieldRace, Type: tracefmt.ValUint, U: 1})
	}
	if _, err := w.Write(tracefmt.AppendHeader(nil, fields)); err != nil {
		return nil, err
	}
	return &Writer{
		w: w, strs: map[string]uint64{}, stacks: map[string]uint64{}, batches: map[uint64]*wbatch{},
	}, nil
}

func (w *Writer) str(s string) uint64 {
	if s == "" {
		return 0
	}
	if id, ok := w.strs[s]; ok {
		return id
	}
	w.newStrs = append(w.newStrs, s)
	id := uint64(len(w.strs) + 1)
	w.strs[s] = id
	return id
}

// Stack interns a stack, innermost frame first, and returns its id for
// Event.Stack.
func (w *Writer) Stack(frames []report.Frame) StackID {
	var b strings.Builder
	for _, f := range frames {
		fmt.Fprintf(&b, "%s\x00%s\x00%d\x00", f.Func, f.File, f.Line)
	}
	if id, ok := w.stacks[b.String()]; ok {
		return StackID(id)
	}
	st := make([]tracefmt.Frame, len(frames))
	for i, f := range frames {
		st[i] = tracefmt.Frame{Func: w.str(f.Func), File: w.str(f.File), Line: uint64(max(f.Line, 0))}
	}
	w.newStk = append(w.newStk, st)
	id := uint64(len(w.stacks) + 1)
	w.stacks[b.String()] = id
	return StackID(id)
}

// Write adds e to the trace. The times of one goroutine's events must
// not decrease; e.Kind must be a kind of this version; e.Stack must come
// from [Writer.Stack].
func (w *Writer) Write(e Event) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("trace: Write after Close")
	}
	if e.Kind == 0 || int(e.Kind) >= len(tracefmt.Specs) || tracefmt.Specs[e.Kind].Name == "" {
		return fmt.Errorf("trace: unknown event kind %d", e.Kind)
	}
	if e.Stack > StackID(len(w.stacks)) {
		return fmt.Errorf("trace: stack %d was not made by this Writer", e.Stack)
	}
	if e.Time < 0 {
		return fmt.Errorf("trace: negative time %v", e.Time)
	}
	b := w.batches[e.G]
	if b == nil {
		b = &wbatch{stream: uint64(len(w.batches) + 1)}
		w.batches[e.G] = b
		w.order = append(w.order, e.G)
	}
	t := uint64(e.Time)
	if len(b.events) == 0 {
		b.base = b.prev
	}
	if t < b.prev {
		return fmt.Errorf("trace: goroutine %d: time %v before its previous event", e.G, e.Time)
	}
	b.events = append(b.events, byte(e.Kind))
	b.events = binary.AppendUvarint(b.events, t-b.prev)
	b.prev = t
	objs, nums := 0, 0
	num := func() int64 { // as the Reader lays numbers out
		nums++
		if nums == 2 {
			return e.Arg2
		}
		return e.Arg
	}
	for _, a := range tracefmt.Specs[e.Kind].Args {
		var v uint64
		switch a.Type {
		case tracefmt.ArgObj:
			if objs == 0 {
				v = e.Obj
			} else {
				v = uint64(num())
			}
			objs++
		case tracefmt.ArgInt:
			v = tracefmt.Zigzag(num())
		case tracefmt.ArgUint, tracefmt.ArgG:
			v = uint64(num())
		case tracefmt.ArgString:
			v = w.str(e.Str)
		case tracefmt.ArgStack:
			v = uint64(e.Stack)
		}
		b.events = binary.AppendUvarint(b.events, v)
	}
	w.last = max(w.last, e.Time)
	return nil
}

// Flush writes the events written so far as one chunk.
func (w *Writer) Flush() error { return w.chunk(0) }

// Close writes the last chunk, marked as the end of a trace stopped
// cleanly. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	err := w.chunk(tracefmt.FlagEnd)
	w.closed = true
	return err
}

func (w *Writer) chunk(flags uint64) error {
	if w.err != nil {
		return w.err
	}
	body := tracefmt.Body{Flags: flags, Time: uint64(w.last), Strings: w.newStrs, Stacks: w.newStk}
	for _, g := range w.order {
		b := w.batches[g]
		if len(b.events) > 0 {
			body.Batches = append(body.Batches, tracefmt.Batch{G: g, Stream: b.stream, Offset: b.off, Base: b.base, Events: b.events})
		}
	}
	_, err := w.w.Write(tracefmt.AppendChunk(nil, tracefmt.AppendBody(nil, &body)))
	if err != nil {
		w.err = err
		return err
	}
	w.newStrs, w.newStk = nil, nil
	for _, b := range w.batches {
		b.off += uint64(len(b.events))
		b.events = nil
	}
	return nil
}
