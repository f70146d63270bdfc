package analyze_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/trace"
)

const ms = time.Millisecond

// build writes a trace of evs, closed cleanly if ended. Stacks are given
// as line numbers of main.go: "stack N" of an event is line N.
func build(t *testing.T, ended bool, evs ...trace.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := trace.NewWriter(&buf, trace.Header{PID: 100, HangThreshold: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	stacks := map[trace.StackID]trace.StackID{}
	objs := map[uint64]bool{}
	for _, e := range evs {
		if e.Stack != 0 {
			if _, ok := stacks[e.Stack]; !ok {
				stacks[e.Stack] = w.Stack([]report.Frame{{Func: "main.f", File: "/src/main.go", Line: int(e.Stack)}})
			}
			e.Stack = stacks[e.Stack]
		}
		if e.Kind == trace.EvObject {
			objs[e.Obj] = true // described by the test itself
		}
		if e.Obj != 0 && !objs[e.Obj] {
			objs[e.Obj] = true
			kind := trace.ObjMutex
			if e.Kind == trace.EvWGAdd || e.Kind == trace.EvWGWait {
				kind = trace.ObjWaitGroup
			}
			site := w.Stack([]report.Frame{{Func: "main.main", File: "/src/main.go", Line: int(e.Obj) * 100}})
			if err := w.Write(trace.Event{Kind: trace.EvObject, G: e.G, Time: e.Time, Obj: e.Obj, Arg: int64(kind), Stack: site}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if ended {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	} else if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func lock(g uint64, at time.Duration, obj uint64, line int) trace.Event {
	return trace.Event{Kind: trace.EvLock, G: g, Time: at, Obj: obj, Stack: trace.StackID(line)}
}

func ev(k trace.Kind, g uint64, at time.Duration, obj uint64) trace.Event {
	return trace.Event{Kind: k, G: g, Time: at, Obj: obj}
}

// findings analyses data and returns "line ID" of each finding, sorted.
func findings(t *testing.T, data []byte, opt analyze.Options) ([]string, *analyze.Result) {
	t.Helper()
	res, err := analyze.Reader("test.trace", bytes.NewReader(data), opt)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Location.String()+" "+f.ID)
		if f.Process != 100 {
			t.Errorf("%s names process %d, want 100", f.ID, f.Process)
		}
	}
	slices.Sort(out)
	return out, res
}

func TestEndOfTrace(t *testing.T) {
	evs := []trace.Event{
		lock(1, 1*ms, 1, 10),           // G1 takes lock 1 and keeps it
		ev(trace.EvLock, 1, 2*ms, 3),   // and takes lock 3 ...
		ev(trace.EvUnlock, 1, 3*ms, 3), // ... and releases it
		lock(2, 4*ms, 1, 20),           // G2 blocks on lock 1
		ev(trace.EvBlock, 2, 5*ms, 1),  //
		{Kind: trace.EvWGAdd, G: 1, Time: 6 * ms, Obj: 2, Arg: 2},
		{Kind: trace.EvWGAdd, G: 1, Time: 7 * ms, Obj: 2, Arg: -1},
		{Kind: trace.EvWGWait, G: 3, Time: 8 * ms, Obj: 2, Stack: 30}, // G3 waits for a counter of 1
		ev(trace.EvTryLock, 4, 9*ms, 4),                               // G4 try-locks lock 4, keeps it
	}
	evs[8].Stack = 40
	got, res := findings(t, build(t, true, evs...), analyze.Options{})
	want := []string{"/src/main.go:10 LK3002", "/src/main.go:20 LK3001", "/src/main.go:30 LK3001", "/src/main.go:40 LK3002"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	for _, f := range res.Findings {
		if f.Location.Line == 20 && !strings.Contains(f.Message, "held by goroutine 1") {
			t.Errorf("LK3001 of G2 does not name the holder: %s", f.Message)
		}
		if f.Location.Line == 30 && !strings.Contains(f.Message, "counter is 1") {
			t.Errorf("LK3001 of G3 does not give the counter: %s", f.Message)
		}
	}

	// The same trace, not stopped: nothing about its end, and a warning.
	got, res = findings(t, build(t, false, evs...), analyze.Options{})
	if len(got) != 0 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "not stopped") {
		t.Errorf("unstopped trace: findings %v, warnings %q", got, res.Warnings)
	}
}

func TestSelfDeadlock(t *testing.T) {
	// G1 locks lock 1 twice and blocks: DL1003 once the grace is over.
	got, _ := findings(t, build(t, false,
		lock(1, 1*ms, 1, 10), lock(1, 2*ms, 1, 11), ev(trace.EvBlock, 1, 23*ms, 1),
	), analyze.Options{})
	if !slices.Equal(got, []string{"/src/main.go:11 DL1003"}) {
		t.Errorf("self-deadlock: %v", got)
	}
	// Within the grace, G2 unlocks it (a lock used as a semaphore): fine.
	got, _ = findings(t, build(t, false,
		lock(1, 1*ms, 1, 10), lock(1, 2*ms, 1, 11), ev(trace.EvUnlock, 2, 5*ms, 1), ev(trace.EvUnlock, 1, 30*ms, 1),
	), analyze.Options{})
	if len(got) != 0 {
		t.Errorf("handed-over lock: %v", got)
	}
}

func TestDeadlockAndHang(t *testing.T) {
	data := build(t, false,
		lock(1, 1*ms, 1, 10), lock(2, 2*ms, 2, 20),
		lock(1, 3*ms, 2, 11), ev(trace.EvBlock, 1, 4*ms, 2),
		lock(2, 5*ms, 1, 21), ev(trace.EvBlock, 2, 6*ms, 1),
		lock(3, 300*ms, 3, 30),
	)
	got, _ := findings(t, data, analyze.Options{})
	want := []string{"/src/main.go:11 DL1002", "/src/main.go:21 DL1001"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	got, _ = findings(t, data, analyze.Options{Hang: 200 * ms})
	want = []string{"/src/main.go:11 DL1002", "/src/main.go:11 DL1005", "/src/main.go:21 DL1001", "/src/main.go:21 DL1005"}
	if !slices.Equal(got, want) {
		t.Errorf("with a hang threshold of 200ms: findings %v, want %v", got, want)
	}
}

func TestRecursiveRead(t *testing.T) {
	got, _ := findings(t, build(t, false,
		trace.Event{Kind: trace.EvRLock, G: 1, Time: 1 * ms, Obj: 1, Stack: 10},
		trace.Event{Kind: trace.EvRLock, G: 1, Time: 2 * ms, Obj: 1, Stack: 11},
		ev(trace.EvRUnlock, 1, 3*ms, 1), ev(trace.EvRUnlock, 1, 4*ms, 1),
		trace.Event{Kind: trace.EvRLock, G: 1, Time: 5 * ms, Obj: 1, Stack: 10},
		trace.Event{Kind: trace.EvRLock, G: 1, Time: 6 * ms, Obj: 1, Stack: 11},
	), analyze.Options{})
	if !slices.Equal(got, []string{"/src/main.go:11 DL1004"}) {
		t.Errorf("findings %v, want one DL1004", got)
	}
}

func TestInputError(t *testing.T) {
	_, err := analyze.Files([]string{"testdata/missing.trace"}, analyze.Options{})
	if err == nil || !strings.Contains(err.Error(), "testdata/missing.trace") {
		t.Errorf("missing file: %v", err)
	}
	_, err = analyze.Reader("junk.trace", strings.NewReader("junk"), analyze.Options{})
	if err == nil || !strings.Contains(err.Error(), "junk.trace: offset 0:") {
		t.Errorf("junk: %v", err)
	}
}
