package monitor

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/condiag/condiag/internal/goid"
	"github.com/condiag/condiag/report"
)

const dump = `goroutine 7 [sync.Mutex.Lock, 2 minutes]:
internal/sync.runtime_SemacquireMutex(0xc000012345?, 0x0?, 0x1?)
	/usr/local/go/src/runtime/sema.go:95 +0x25
sync.(*Mutex).Lock(...)
	/usr/local/go/src/sync/mutex.go:46
github.com/condiag/condiag/sync.(*Mutex).Lock(0xc0000a4000)
	/work/main/sync/mutex.go:70 +0x85
main.transfer(0xc0000a4000, 0xc0000a4010)
	/work/main/fixtures/x/main.go:17 +0x4f
created by main.main in goroutine 1
	/work/main/fixtures/x/main.go:29 +0x8c

goroutine 1 [running]:
main.main()
	/work/main/fixtures/x/main.go:40 +0x1d

garbage that is not a goroutine
`

func TestParseStacks(t *testing.T) {
	got := parseStacks([]byte(dump))
	want := map[int64]report.Goroutine{
		7: {
			ID: 7, State: "sync.Mutex.Lock, 2 minutes",
			Stack:     []report.Frame{{Func: "main.transfer", File: "/work/main/fixtures/x/main.go", Line: 17}},
			CreatedBy: report.Frame{Func: "main.main", File: "/work/main/fixtures/x/main.go", Line: 29},
		},
		1: {
			ID: 1, State: "running",
			Stack: []report.Frame{{Func: "main.main", File: "/work/main/fixtures/x/main.go", Line: 40}},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("parseStacks (-want +got):\n%s", d)
	}
}

func TestDumpStacksHasCaller(t *testing.T) {
	g, ok := dumpStacks()[int64(goid.ID())]
	if !ok {
		t.Fatal("the dump of all stacks lacks this goroutine")
	}
	// The monitor's own frames are left out; the caller's remain.
	if len(g.Stack) == 0 || g.Stack[0].Func != "testing.tRunner" {
		t.Errorf("stack = %v, want testing.tRunner on top", g.Stack)
	}
}
