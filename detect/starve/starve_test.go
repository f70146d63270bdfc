package starve

import (
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
)

var (
	mutex   = deadlock.LockInfo{ID: 3, Kind: "Mutex", Class: "a.go:10", Name: "state.mu"}
	rwmutex = deadlock.LockInfo{ID: 4, Kind: "RWMutex", Class: "b.go:20", Name: "index.mu"}
	here    = []report.Frame{{Func: "main.f", File: "/src/a.go", Line: 12}}
)

func TestLockWaited(t *testing.T) {
	d := New(Options{})
	tests := []struct {
		name string
		w    LockWait
		id   string // "" for none
		msg  string
	}{
		{"overtaken long", LockWait{Goroutine: 7, Lock: mutex, Mode: deadlock.ModeWrite, Waited: 300 * time.Millisecond, Overtaken: 40}, "ST4001", "goroutine 7 waited 300ms to lock state.mu and was overtaken 40 times"},
		{"overtaken briefly", LockWait{Lock: mutex, Mode: deadlock.ModeWrite, Waited: 5 * time.Millisecond, Overtaken: 40}, "", ""},
		{"long, in turn", LockWait{Lock: mutex, Mode: deadlock.ModeWrite, Waited: time.Second, Overtaken: 2}, "", ""},
		{"writer behind readers", LockWait{Goroutine: 9, Lock: rwmutex, Mode: deadlock.ModeWrite, Waited: 250 * time.Millisecond, ReadHeld: true}, "ST4002", "writer starved by readers: goroutine 9 waited 250ms to lock index.mu"},
		{"writer behind a writer", LockWait{Lock: rwmutex, Mode: deadlock.ModeWrite, Waited: 250 * time.Millisecond}, "", ""},
		{"reader", LockWait{Lock: rwmutex, Mode: deadlock.ModeRead, Waited: time.Second, ReadHeld: true, Overtaken: 50}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.w.Stack = here
			f, ok := d.LockWaited(tt.w)
			if !ok {
				if tt.id != "" {
					t.Fatalf("no finding, want %s", tt.id)
				}
				return
			}
			if f.ID != tt.id || !strings.Contains(f.Message, tt.msg) {
				t.Errorf("got %s %q, want %s containing %q", f.ID, f.Message, tt.id, tt.msg)
			}
			if f.Location != here[0] || len(f.Locks) != 1 {
				t.Errorf("Location %v, Locks %v", f.Location, f.Locks)
			}
		})
	}
}

func TestWorkWaited(t *testing.T) {
	d := New(Options{WorkWait: 200 * time.Millisecond})
	q := deadlock.LockInfo{ID: 5, Kind: "Queue", Class: "c.go:3"}
	s := deadlock.LockInfo{ID: 6, Kind: "Semaphore", Class: "c.go:4"}
	tests := []struct {
		name string
		w    WorkWait
		msg  string // "" for none
	}{
		{"queue", WorkWait{Goroutine: 2, Object: q, Op: tracefmt.OpQueuePut, Size: 8, Waited: time.Second}, "goroutine 2 waited 1s to put into Queue#5, full at its capacity of 8"},
		{"queue briefly", WorkWait{Object: q, Op: tracefmt.OpQueuePut, Size: 8, Waited: 100 * time.Millisecond}, ""},
		{"large request", WorkWait{Goroutine: 3, Object: s, Op: tracefmt.OpSemAcquire, N: 8, Size: 10, Largest: 2, Waited: time.Second}, "a large request waits for many small holds"},
		{"small request", WorkWait{Goroutine: 3, Object: s, Op: tracefmt.OpSemAcquire, N: 1, Size: 10, Largest: 2, Waited: time.Second}, "acquire 1 of the 10 permits of Semaphore#6"},
		{"task", WorkWait{Goroutine: 4, Object: q, Op: tracefmt.OpTaskStart, Size: 4, Waited: time.Second}, "a task submitted by goroutine 4 waited 1s to start, all 4 workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := d.WorkWaited(tt.w)
			if ok != (tt.msg != "") {
				t.Fatalf("finding %v, want %v", ok, tt.msg != "")
			}
			if ok && (f.ID != "ST4003" || !strings.Contains(f.Message, tt.msg)) {
				t.Errorf("got %s %q, want ST4003 containing %q", f.ID, f.Message, tt.msg)
			}
		})
	}
	if _, ok := New(Options{WorkWait: -1}).WorkWaited(tests[0].w); ok {
		t.Error("WorkWait < 0 should turn ST4003 off")
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions("overtaken=5, lock=50ms,writer=off,work=2s")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Options{Overtaken: 5, LockWait: 50 * time.Millisecond, WriterWait: -1, WorkWait: 2 * time.Second}); o != want {
		t.Errorf("ParseOptions = %+v, want %+v", o, want)
	}
	for _, bad := range []string{"lock", "lock=fast", "overtaken=many", "speed=1s"} {
		if _, err := ParseOptions(bad); err == nil {
			t.Errorf("ParseOptions(%q): no error", bad)
		}
	}
	if got := New(Options{WriterWait: -1, LockWait: 30 * time.Millisecond}).LockFloor(); got != 30*time.Millisecond {
		t.Errorf("LockFloor = %v, want 30ms", got)
	}
}

func TestContention(t *testing.T) {
	c := NewContention()
	hot := deadlock.LockInfo{ID: 1, Kind: "Mutex", Class: "cache.go:9"}
	cold := deadlock.LockInfo{ID: 2, Kind: "Mutex", Class: "log.go:3"}
	for range 10 {
		c.Acquired(hot, "site1", 2*time.Millisecond, true)
		c.Released(hot, "site1", time.Millisecond)
		c.Acquired(hot, "site1b", 0, false) // another stack, same frame
		c.Released(hot, "site1b", 3*time.Millisecond)
		c.Acquired(cold, "site2", 0, false)
	}
	c.Acquired(cold, "site3", time.Millisecond, true)
	frame := func(site any) report.Frame {
		line := map[string]int{"site1": 10, "site1b": 10, "site2": 20, "site3": 30}[site.(string)]
		return report.Frame{Func: "main.f", File: "/src/a.go", Line: line}
	}
	fs := c.Findings(0, frame)
	if len(fs) != 2 {
		t.Fatalf("%d findings, want 2 (sites that never waited are left out)", len(fs))
	}
	if fs[0].ID != "CT5001" || fs[0].Location.Line != 10 {
		t.Errorf("first finding %s at %v, want CT5001 at line 10 (the longest wait)", fs[0].ID, fs[0].Location)
	}
	if want := "10 of 20 acquisitions here waited, 20ms in all (longest 2ms); held 40ms in all from here (mean 2ms, longest 3ms)"; !strings.Contains(fs[0].Message, want) {
		t.Errorf("Message = %q, want it to contain %q", fs[0].Message, want)
	}
	if fs := c.Findings(1, frame); len(fs) != 1 {
		t.Errorf("Findings(1) = %d findings", len(fs))
	}
}
