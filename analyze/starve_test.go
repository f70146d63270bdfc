package analyze_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/detect/starve"
	"github.com/condiag/condiag/trace"
)

func TestStarvation(t *testing.T) {
	// G2 blocks on lock 1 for 300ms and is overtaken 15 times (as
	// measured online and written to its Unblock); G3 blocks for 1ms,
	// overtaken as often.
	unblock := func(g uint64, at time.Duration, overtaken int64) trace.Event {
		return trace.Event{Kind: trace.EvUnblock, G: g, Time: at, Obj: 1, Arg: overtaken}
	}
	evs := []trace.Event{
		lock(1, 1*ms, 1, 10),
		lock(2, 2*ms, 1, 20), ev(trace.EvBlock, 2, 3*ms, 1),
		ev(trace.EvUnlock, 1, 302*ms, 1), unblock(2, 303*ms, 15), ev(trace.EvUnlock, 2, 304*ms, 1),
		lock(1, 310*ms, 1, 10),
		lock(3, 311*ms, 1, 30), ev(trace.EvBlock, 3, 312*ms, 1),
		ev(trace.EvUnlock, 1, 313*ms, 1), unblock(3, 314*ms, 15), ev(trace.EvUnlock, 3, 315*ms, 1),
	}
	data := build(t, false, evs...)
	got, res := findings(t, data, analyze.Options{})
	if !slices.Equal(got, []string{"/src/main.go:20 ST4001"}) {
		t.Fatalf("findings %v, want ST4001 at line 20", got)
	}
	if m := res.Findings[0].Message; !strings.Contains(m, "goroutine 2 waited 300ms to lock Mutex#1 and was overtaken 15 times") {
		t.Errorf("message %q", m)
	}
	// The thresholds are options.
	got, _ = findings(t, data, analyze.Options{Starve: starveOff()})
	if len(got) != 0 {
		t.Errorf("with ST4001 off: %v", got)
	}
	// The contention report: line 10 held twice, waited never; lines 20
	// and 30 waited once each, the longest first.
	got, res = findings(t, data, analyze.Options{Contention: true})
	want := []string{"/src/main.go:20 CT5001", "/src/main.go:20 ST4001", "/src/main.go:30 CT5001"}
	if !slices.Equal(got, want) {
		t.Fatalf("with the contention report: %v, want %v", got, want)
	}
	for _, f := range res.Findings {
		if f.ID == "CT5001" && f.Location.Line == 20 && !strings.Contains(f.Message, "1 of 1 acquisitions here waited, 300ms in all (longest 300ms); held 1ms in all") {
			t.Errorf("CT5001 message %q", f.Message)
		}
	}
	got, _ = findings(t, data, analyze.Options{Contention: true, ContentionTop: 1})
	if !slices.Equal(got, want[:2]) {
		t.Errorf("top 1: %v", got)
	}
}

func starveOff() starve.Options {
	return starve.Options{Overtaken: -1, LockWait: -1, WriterWait: -1, WorkWait: -1}
}

func TestObjectWaits(t *testing.T) {
	op := func(g uint64, at time.Duration, obj uint64, o trace.Op, n int64) trace.Event {
		return trace.Event{Kind: trace.EvOp, G: g, Time: at, Obj: obj, Arg: int64(o), Arg2: n}
	}
	block := func(g uint64, at time.Duration, obj uint64, o trace.Op, n int64, line int) trace.Event {
		return trace.Event{Kind: trace.EvOpBlock, G: g, Time: at, Obj: obj, Arg: int64(o), Arg2: n, Stack: trace.StackID(line)}
	}
	queue := func(g uint64, at time.Duration) trace.Event {
		return trace.Event{Kind: trace.EvObject, G: g, Time: at, Obj: 2, Arg: int64(trace.ObjQueue), Stack: 200}
	}
	// G1 holds lock 1 and blocks putting into queue 2, full; G2, its
	// only consumer, waits for lock 1: DL1002. G3 put an item into
	// queue 4 that nobody took: LK3003 at the end, as for the item left
	// in queue 2.
	evs := []trace.Event{
		queue(1, 0), op(1, 0, 2, trace.OpSize, 1),
		lock(1, 1*ms, 1, 10),
		op(1, 2*ms, 2, trace.OpQueuePut, 1),
		op(2, 3*ms, 2, trace.OpQueueGet, 0),
		op(1, 4*ms, 2, trace.OpQueuePut, 1),
		block(1, 5*ms, 2, trace.OpQueuePut, 1, 11),
		lock(2, 6*ms, 1, 20), ev(trace.EvBlock, 2, 7*ms, 1),
		{Kind: trace.EvObject, G: 3, Time: 8 * ms, Obj: 4, Arg: int64(trace.ObjQueue), Stack: 400},
		op(3, 9*ms, 4, trace.OpQueuePut, 1),
		lock(3, 500*ms, 3, 30), ev(trace.EvUnlock, 3, 501*ms, 3),
	}
	got, res := findings(t, build(t, true, evs...), analyze.Options{})
	want := []string{"/src/main.go:11 DL1002", "/src/main.go:200 LK3003", "/src/main.go:400 LK3003"}
	if !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	if m := res.Findings[0].Message; !strings.Contains(m, "goroutine 1 waits to put into Queue#2 (full, 1 of 1) taken from only by goroutine 2; goroutine 2 waits to lock Mutex#1 held by goroutine 1") {
		t.Errorf("DL1002 message %q", m)
	}
	if m := res.Findings[2].Message; !strings.Contains(m, "Queue#4 (created at /src/main.go:400) holds 1 item nobody took") {
		t.Errorf("LK3003 message %q", m)
	}
}

func TestWriterStarvation(t *testing.T) {
	rw := trace.Event{Kind: trace.EvObject, G: 1, Obj: 1, Arg: int64(trace.ObjRWMutex), Stack: 100}
	rlock := trace.Event{Kind: trace.EvRLock, G: 1, Time: 1 * ms, Obj: 1, Stack: 10}
	wait := []trace.Event{lock(2, 2*ms, 1, 20), ev(trace.EvBlock, 2, 3*ms, 1)}
	runlock := ev(trace.EvRUnlock, 1, 250*ms, 1)
	granted := []trace.Event{{Kind: trace.EvUnblock, G: 2, Time: 300 * ms, Obj: 1}, ev(trace.EvUnlock, 2, 301*ms, 1)}
	// G2's Lock waits 297ms for G1's read hold: ST4002.
	evs := append(append(append([]trace.Event{rw, rlock}, wait...), runlock), granted...)
	got, _ := findings(t, build(t, false, evs...), analyze.Options{})
	if !slices.Equal(got, []string{"/src/main.go:20 ST4002"}) {
		t.Errorf("writer behind a reader: %v, want ST4002 at line 20", got)
	}
	// G3, a writer, takes the lock while G2 waits: G2 was kept out by
	// a writer too, not by readers only.
	evs = append(append(append([]trace.Event{rw, rlock}, wait...), runlock,
		trace.Event{Kind: trace.EvTryLock, G: 3, Time: 260 * ms, Obj: 1, Stack: 30}, ev(trace.EvUnlock, 3, 280*ms, 1)), granted...)
	got, _ = findings(t, build(t, false, evs...), analyze.Options{})
	if len(got) != 0 {
		t.Errorf("writer behind a reader and a writer: %v, want nothing", got)
	}
}

func TestRaceLog(t *testing.T) {
	res, err := analyze.Files([]string{"../detect/race/testdata/race.log"}, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 || res.Findings[0].ID != "RC2001" || !strings.Contains(res.Findings[0].Message, "2 times") {
		t.Errorf("findings of a race log: %+v", res.Findings)
	}
	// A text file that is neither a trace nor a race log is an input error.
	other := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(other, []byte("PASS\nok\n"), 0o644)
	if _, err := analyze.Files([]string{other}, analyze.Options{}); err == nil {
		t.Error("a text file without races: no error")
	}
}
