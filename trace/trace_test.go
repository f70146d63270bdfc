package trace_test

import (
	"bytes"
	"errors"
	"github.com/condiag/condiag/detect/race"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag/internal/goid"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
	"github.com/condiag/condiag/trace"
)

func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

// readAll reads every event of a trace.
func readAll(t testing.TB, data []byte) (*trace.Reader, []trace.Event) {
	t.Helper()
	r, err := trace.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var evs []trace.Event
	for {
		e, err := r.Next()
		if err == io.EOF {
			return r, evs
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
}

// TestRecord records the operations of every primitive and checks what
// the reader gives back: kinds, objects, goroutines, stacks, order.
func TestRecord(t *testing.T) {
	if !race.Instrumented {
		t.Skip("condiagoff: the primitives record nothing")
	}
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	if err := trace.Start(io.Discard); err == nil {
		t.Error("a second Start succeeded")
	}
	me := goid.ID()
	var a sync.Mutex
	var rw sync.RWMutex
	sync.SetName(&a, "a")
	lockLine := line() + 1
	a.Lock()
	rw.RLock()
	rw.RUnlock()
	a.Unlock()
	a.Lock()
	var wg sync.WaitGroup
	var child uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		child = goid.ID()
		if a.TryLock() {
			t.Error("TryLock of a locked Mutex succeeded")
		}
	}()
	wg.Wait()
	a.Unlock()
	c := sync.NewCond(&a)
	ready := false
	go func() {
		a.Lock()
		ready = true
		c.Signal()
		a.Unlock()
	}()
	a.Lock()
	for !ready {
		c.Wait()
	}
	a.Unlock()
	if err := trace.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := trace.Stop(); err == nil {
		t.Error("a second Stop succeeded")
	}

	r, evs := readAll(t, buf.Bytes())
	if !r.Ended() || r.Truncated() != nil {
		t.Errorf("Ended %v, Truncated %v: want a clean end", r.Ended(), r.Truncated())
	}
	var mine []string
	var objA uint64
	sawChild := false
	for _, e := range evs {
		if e.Kind == trace.EvName && e.Str == "a" {
			objA = e.Obj
		}
		if e.Kind == trace.EvGoroutine && e.G == child {
			sawChild = true
			if uint64(e.Arg) != me {
				t.Errorf("child goroutine %d: creator %d, want %d", child, e.Arg, me)
			}
			if st := r.Stack(e.Stack); len(st) == 0 || !strings.HasSuffix(st[0].File, "trace_test.go") {
				t.Errorf("child goroutine created at %v, want trace_test.go", st)
			}
		}
		// Whether a Lock blocks depends on the schedule (the cond's
		// signaller may still hold a): Block and Unblock are left out.
		if e.G == me && e.Kind != trace.EvBlock && e.Kind != trace.EvUnblock {
			mine = append(mine, e.Kind.String())
		}
	}
	if !sawChild {
		t.Errorf("no Goroutine event for the child goroutine %d", child)
	}
	want := []string{
		"Goroutine", "Object", "Name", "Lock", "Object", "RLock", "RUnlock", "Unlock", "Lock",
		"Object", "WaitGroupAdd", "WaitGroupWait", "WaitGroupWaited", "Unlock",
		"Lock", "Object", "CondWait", "Unlock", "CondWoken", "Lock", "Unlock",
	}
	// The cond may be signalled before Wait: then there is no CondWait.
	if !slices.Equal(mine, want) && !slices.Equal(mine, slices.Delete(slices.Clone(want), 16, 19)) {
		t.Errorf("events of the test goroutine:\n got %v\nwant %v", mine, want)
	}
	var childKinds []string
	for _, e := range evs {
		if e.G == child {
			childKinds = append(childKinds, e.Kind.String())
			if e.Kind == trace.EvTryFail && e.Obj != objA {
				t.Errorf("TryLockFail of object %d, want %d", e.Obj, objA)
			}
		}
	}
	if !slices.Equal(childKinds, []string{"Goroutine", "TryLockFail", "WaitGroupAdd"}) {
		t.Errorf("events of the child goroutine: %v", childKinds)
	}
	for i, e := range evs {
		if e.Kind == trace.EvLock && e.Obj == objA && e.G == me {
			st := r.Stack(e.Stack)
			if len(st) == 0 || st[0].Line != lockLine || !strings.HasSuffix(st[0].Func, "TestRecord") {
				t.Errorf("first Lock of a: stack %v, want TestRecord at line %d", st, lockLine)
			}
			break
		}
		if i > 0 && e.Time < evs[i-1].Time {
			t.Errorf("event %d (%v) before event %d (%v)", i, e, i-1, evs[i-1])
		}
	}
}

// writeSample writes a trace of three chunks with the Writer.
func writeSample(t testing.TB) ([]byte, []int) {
	var buf bytes.Buffer
	w, err := trace.NewWriter(&buf, trace.Header{PID: 42, PPID: 1, Cmdline: []string{"sample", "-x"}, HangThreshold: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st := w.Stack([]report.Frame{{Func: "main.f", File: "/src/main.go", Line: 12}, {Func: "main.main", File: "/src/main.go", Line: 30}})
	ms := time.Millisecond
	events := [][]trace.Event{
		{
			{Kind: trace.EvGoroutine, G: 1, Time: 1 * ms},
			{Kind: trace.EvObject, G: 1, Time: 2 * ms, Obj: 1, Arg: int64(trace.ObjMutex), Stack: st},
			{Kind: trace.EvName, G: 1, Time: 3 * ms, Obj: 1, Str: "mu"},
			{Kind: trace.EvLock, G: 1, Time: 4 * ms, Obj: 1, Stack: st},
			{Kind: trace.EvGoroutine, G: 7, Time: 5 * ms, Arg: 1},
		},
		{
			{Kind: trace.EvLock, G: 7, Time: 6 * ms, Obj: 1, Stack: st},
			{Kind: trace.EvBlock, G: 7, Time: 7 * ms, Obj: 1},
			{Kind: trace.EvUnlock, G: 1, Time: 8 * ms, Obj: 1},
		},
		{
			{Kind: trace.EvUnblock, G: 7, Time: 9 * ms, Obj: 1},
			{Kind: trace.EvWGAdd, G: 7, Time: 10 * ms, Obj: 2, Arg: -3},
			{Kind: trace.EvUnlock, G: 7, Time: 11 * ms, Obj: 1},
		},
	}
	var ends []int
	for _, chunk := range events {
		for _, e := range chunk {
			if err := w.Write(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, buf.Len())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ends = append(ends, buf.Len())
	return buf.Bytes(), ends
}

func TestWriterReader(t *testing.T) {
	data, _ := writeSample(t)
	r, evs := readAll(t, data)
	h := r.Header()
	if h.PID != 42 || h.PPID != 1 || !slices.Equal(h.Cmdline, []string{"sample", "-x"}) || h.HangThreshold != time.Second {
		t.Errorf("header %+v", h)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.String())
	}
	want := []string{
		"      1.000000ms G1 Goroutine creator=G0",
		"      2.000000ms G1 Object obj=1 kind=Mutex stack=1",
		`      3.000000ms G1 Name obj=1 "mu"`,
		"      4.000000ms G1 Lock obj=1 stack=1",
		"      5.000000ms G7 Goroutine creator=G1",
		"      6.000000ms G7 Lock obj=1 stack=1",
		"      7.000000ms G7 Block obj=1",
		"      8.000000ms G1 Unlock obj=1",
		"      9.000000ms G7 Unblock obj=1",
		"     10.000000ms G7 WaitGroupAdd obj=2 delta=-3",
		"     11.000000ms G7 Unlock obj=1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := r.Stack(1); len(st) != 2 || st[1].Func != "main.main" || st[0].Line != 12 {
		t.Errorf("stack 1 = %v", st)
	}
	if !r.Ended() {
		t.Error("not ended")
	}
}

// TestTruncatedEveryOffset cuts a trace at every byte: the reader reads
// every complete chunk, says what it skipped, and never fails otherwise.
func TestTruncatedEveryOffset(t *testing.T) {
	data, ends := writeSample(t)
	full := []int{5, 8, 11, 11} // events in the chunks up to each end
	headerLen := ends[0] - chunkLen(t, data, ends)
	for cut := 0; cut < len(data); cut++ {
		r, err := trace.NewReader(bytes.NewReader(data[:cut]))
		if cut < headerLen {
			var fe *trace.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("cut at %d, in the header: err %v, want a FormatError", cut, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("cut at %d: %v", cut, err)
			}
			n++
		}
		want, boundary := 0, cut == headerLen
		for i, end := range ends {
			if end <= cut {
				want = full[i]
			}
			if end == cut {
				boundary = true
			}
		}
		if n != want {
			t.Errorf("cut at %d: %d events, want %d", cut, n, want)
		}
		if tr := r.Truncated(); (tr == nil) != boundary {
			t.Errorf("cut at %d: Truncated() = %v, at a chunk boundary: %v", cut, tr, boundary)
		} else if tr != nil && tr.Offset+tr.Bytes != int64(cut) {
			t.Errorf("cut at %d: truncation %+v does not end at the cut", cut, tr)
		}
	}
}

// chunkLen returns the length of the first chunk.
func chunkLen(t testing.TB, data []byte, ends []int) int {
	// The first chunk starts after the header: find it by reading
	// the header alone.
	for h := 1; h < len(data); h++ {
		if _, err := trace.NewReader(bytes.NewReader(data[:h])); err == nil {
			return ends[0] - h
		}
	}
	t.Fatal("no header length works")
	return 0
}

// TestCorruptEveryByte flips every byte of a trace: each flip is an error
// naming an offset within the file, or a trace that still reads, never a
// panic or a hang.
func TestCorruptEveryByte(t *testing.T) {
	data, _ := writeSample(t)
	for i := range data {
		bad := slices.Clone(data)
		bad[i] ^= 0x5A
		err := readToEnd(bad)
		var fe *trace.FormatError
		if err != nil && (!errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(len(bad))) {
			t.Errorf("flip at %d: %v: want a FormatError within the file", i, err)
		}
	}
}

func readToEnd(data []byte) error {
	r, err := trace.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		if i > 1e6 {
			return errors.New("too many events")
		}
		if _, err := r.Next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func TestBadFiles(t *testing.T) {
	data, ends := writeSample(t)
	header := data[:ends[0]-chunkLen(t, data, ends)]
	absurdChunk := append(slices.Clone(header), 0xC7, 0xff, 0xff, 0xff, 0xff, 0x0f)
	newer := slices.Clone(header)
	newer[len("condiag-trace\x00")] = 9
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "offset 0: empty file"},
		{"wrong magic", []byte("PK\x03\x04 this is a zip file, not a trace"), "offset 0: not a condiag trace"},
		{"newer version", newer, "format version 9 is newer"},
		{"absurd chunk length", absurdChunk, "exceeds the limit"},
		{"absurd count", withChunk(header, []byte{0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}), "do not fit"},
		{"bad tag", append(slices.Clone(header), 'x'), "expected a chunk"},
		{"undefined stack", withChunk(header, []byte{0, 0, 0, 0, 0, 1, 1, 0, 0, 4, byte(trace.EvLock), 0, 1, 9}), "undefined stack 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := readToEnd(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func withChunk(header, body []byte) []byte {
	return trace.AppendChunk(slices.Clone(header), body)
}
