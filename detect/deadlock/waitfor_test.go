package deadlock

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag/report"
)

func TestWaitCycles(t *testing.T) {
	tests := []struct {
		name string
		give []Waiter
		want string
	}{
		{
			name: "two goroutines",
			give: []Waiter{
				{Goroutine: 9, Lock: a1, Mode: ModeWrite, WaitsFor: []int64{7}},
				{Goroutine: 7, Lock: b1, Mode: ModeWrite, WaitsFor: []int64{9}},
			},
			want: "[[7 9]]",
		},
		{
			name: "holder running",
			give: []Waiter{
				{Goroutine: 1, Lock: a1, WaitsFor: []int64{2}},
				{Goroutine: 3, Lock: a1, WaitsFor: []int64{2}},
			},
			want: "[]",
		},
		{
			name: "chain into a cycle",
			give: []Waiter{
				{Goroutine: 1, Lock: a1, WaitsFor: []int64{2}},
				{Goroutine: 2, Lock: b1, WaitsFor: []int64{3}},
				{Goroutine: 3, Lock: c1, WaitsFor: []int64{2}},
			},
			want: "[[2 3]]",
		},
		{
			name: "uncertain wait closes no cycle",
			give: []Waiter{
				{Goroutine: 9, Lock: a1, WaitsFor: []int64{7}, Uncertain: true},
				{Goroutine: 7, Lock: b1, WaitsFor: []int64{9}},
			},
			want: "[]",
		},
		{
			name: "two separate cycles",
			give: []Waiter{
				{Goroutine: 1, Lock: a1, WaitsFor: []int64{2}},
				{Goroutine: 2, Lock: b1, WaitsFor: []int64{1}},
				{Goroutine: 5, Lock: c1, WaitsFor: []int64{6}},
				{Goroutine: 6, Lock: d1, WaitsFor: []int64{5}},
			},
			want: "[[1 2] [5 6]]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]int64
			for _, c := range WaitCycles(tt.give) {
				var gs []int64
				for _, i := range c {
					gs = append(gs, tt.give[i].Goroutine)
				}
				got = append(got, gs)
			}
			if s := fmt.Sprint(got); s != tt.want && !(s == "[]" && tt.want == "[]") {
				t.Errorf("cycles = %s, want %s", s, tt.want)
			}
		})
	}
}

func TestBlockedFinding(t *testing.T) {
	ws := []Waiter{
		{Goroutine: 7, Lock: b1, Mode: ModeWrite, WaitsFor: []int64{9}},
		{Goroutine: 9, Lock: a1, Mode: ModeWrite, WaitsFor: []int64{7}},
	}
	s := Snapshot{
		Holds: map[int64][]HeldLock{7: {w(a1)}, 9: {w(b1)}},
		Stacks: map[int64]report.Goroutine{
			7: {ID: 7, State: "sync.Mutex.Lock", Stack: []report.Frame{{Func: "main.f", File: "m.go", Line: 17}}},
			9: {ID: 9, State: "sync.Mutex.Lock", Stack: []report.Frame{{Func: "main.g", File: "m.go", Line: 27}}},
		},
	}
	f := BlockedFinding(ws, WaitCycles(ws)[0], s)
	if f.ID != "DL1002" || f.Location.Line != 17 {
		t.Errorf("finding %s at %v, want DL1002 at m.go:17", f.ID, f.Location)
	}
	for _, want := range []string{"goroutine 7 waits to lock Mutex#2 held by goroutine 9", "goroutine 9 waits to lock Mutex#1 held by goroutine 7"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
	if len(f.Goroutines) != 2 || len(f.Goroutines[0].Holds) != 1 || f.Goroutines[0].WaitsFor != b1.ID {
		t.Errorf("goroutines = %+v", f.Goroutines)
	}
}

func TestHangFinding(t *testing.T) {
	wt := Waiter{Goroutine: 1, Lock: a1, Mode: ModeWrite, WaitsFor: []int64{4}}
	s := Snapshot{Stacks: map[int64]report.Goroutine{
		1: {ID: 1, Stack: []report.Frame{{File: "m.go", Line: 5}}},
		4: {ID: 4, State: "chan receive", Stack: []report.Frame{{File: "m.go", Line: 40}}},
	}}
	f := HangFinding(wt, 31*time.Second, s)
	if !strings.Contains(f.Message, "waited 31s") || !strings.Contains(f.Message, "goroutine 4 [chan receive] at m.go:40") {
		t.Errorf("message = %q", f.Message)
	}
	delete(s.Stacks, 4)
	if f := HangFinding(wt, time.Minute, s); !strings.Contains(f.Message, "which has exited") {
		t.Errorf("message for an exited holder = %q", f.Message)
	}
}
