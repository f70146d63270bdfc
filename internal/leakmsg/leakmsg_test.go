package leakmsg

import (
	"testing"

	"github.com/condiag/condiag/report"
)

func TestWording(t *testing.T) {
	lk := report.Lock{ID: 3, Kind: "Mutex", Name: "store.mu", FirstLocked: report.Frame{File: "/s/a.go", Line: 10}}
	put := report.Frame{Func: "main.put", File: "/s/a.go", Line: 20}
	tests := []struct {
		name string
		give string
		want string
	}{
		{
			name: "lock wait, exited holder",
			give: Leaked(1, 7, "main.get", []string{LockWait(lk, false, []Holder{{ID: 6, Now: Exited, Taken: put}})}),
			want: "goroutine 7 leaked in main.get, waiting to lock store.mu (first locked at /s/a.go:10), held by goroutine 6, which has exited (taken at /s/a.go:20 in main.put)",
		},
		{
			name: "read wait, live holder, group",
			give: Leaked(3, 7, "", []string{LockWait(lk, true, []Holder{{ID: 6, Now: Now("chan receive", put)}})}),
			want: "3 goroutines with this stack (goroutine 7 and others) leaked, waiting to read-lock store.mu (first locked at /s/a.go:10), held by goroutine 6 [chan receive] at /s/a.go:20",
		},
		{
			name: "nobody holds",
			give: LockWait(lk, false, nil),
			want: "waiting to lock store.mu (first locked at /s/a.go:10), which nobody holds",
		},
		{
			name: "wait group",
			give: ObjectWait(report.Lock{ID: 4, Kind: "WaitGroup", FirstLocked: put}, 2),
			want: "in Wait on WaitGroup#4, whose counter is 2 (first used at /s/a.go:20)",
		},
		{
			name: "cond",
			give: ObjectWait(report.Lock{ID: 5, Kind: "Cond", FirstLocked: put}, 0),
			want: "in Wait on Cond#5 (first used at /s/a.go:20), not signalled",
		},
		{
			name: "held, taken",
			give: Held(lk, "write", 6, Exited, put),
			want: "store.mu (taken at /s/a.go:20) is still held (write) by goroutine 6, which has exited",
		},
		{
			name: "held, site unknown",
			give: Held(lk, "read", 6, "", report.Frame{}),
			want: "store.mu (first locked at /s/a.go:10) is still held (read) by goroutine 6",
		},
		{
			name: "holding",
			give: Holding(lk, "write", put),
			want: "holding store.mu (write) taken at /s/a.go:20",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.give != tt.want {
				t.Errorf("got  %s\nwant %s", tt.give, tt.want)
			}
		})
	}
}
