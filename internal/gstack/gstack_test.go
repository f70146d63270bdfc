package gstack

import (
	"testing"

	"github.com/condiag/condiag/internal/goid"
	"github.com/condiag/condiag/report"
	"github.com/google/go-cmp/cmp"
)

const dump = `goroutine 1 [running]:
main.main()
	/src/main.go:10 +0x1d

goroutine 7 [chan receive (leaked), 3 minutes]:
main.worker(0xc000012345)
	/src/main.go:20 +0x2a
created by example.com/p.TestLeak.func1 in goroutine 6
	/src/p_test.go:30 +0x44

goroutine 6 gp=0xc000 m=nil [chan receive]:
testing.(*T).Run(0xc00, {0x1, 0x2}, 0x3)
	/go/src/testing/testing.go:1900 +0x1
...additional frames elided...
example.com/p.TestLeak(0xc00)
	/src/p_test.go:31 +0x9
testing.tRunner(0xc00, 0x5)
	/go/src/testing/testing.go:1800 +0x1
created by testing.(*T).Run in goroutine 1
	/go/src/testing/testing.go:1850 +0x2

garbage

goroutine x [running]:
`

func TestParse(t *testing.T) {
	got := Parse([]byte(dump))
	want := []Goroutine{
		{ID: 1, State: "running", Frames: []report.Frame{{Func: "main.main", File: "/src/main.go", Line: 10}}},
		{
			ID: 7, State: "chan receive", Minutes: 3, Leaked: true, Parent: 6,
			Frames:    []report.Frame{{Func: "main.worker", File: "/src/main.go", Line: 20}},
			CreatedBy: report.Frame{Func: "example.com/p.TestLeak.func1", File: "/src/p_test.go", Line: 30},
		},
		{
			ID: 6, State: "chan receive", Parent: 1, Elided: true,
			Frames: []report.Frame{
				{Func: "testing.(*T).Run", File: "/go/src/testing/testing.go", Line: 1900},
				{Func: "example.com/p.TestLeak", File: "/src/p_test.go", Line: 31},
				{Func: "testing.tRunner", File: "/go/src/testing/testing.go", Line: 1800},
			},
			CreatedBy: report.Frame{Func: "testing.(*T).Run", File: "/go/src/testing/testing.go", Line: 1850},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestAllFindsCaller(t *testing.T) {
	me := int64(goid.ID())
	for _, g := range All() {
		if g.ID == me {
			if !g.HasFunction("github.com/condiag/condiag/internal/gstack.TestAllFindsCaller") || TestFunction(&g) == "" {
				t.Errorf("own goroutine's stack lacks the test: %+v", g.Frames)
			}
			return
		}
	}
	t.Errorf("goroutine %d not in the dump", me)
}

func TestIsLibrary(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"runtime.gopark", true},
		{"time.Sleep", true},
		{"net/http.(*conn).serve", true},
		{"sync.(*Mutex).Lock", true},
		{"github.com/condiag/condiag/sync.(*Mutex).Lock", true},
		{"github.com/condiag/condiag/fixtures/x.main", false},
		{"main.worker", false},
		{"main.main.func1", false},
		{"example.com/p.TestX", false},
	}
	for _, tt := range tests {
		if got := IsLibrary(tt.give); got != tt.want {
			t.Errorf("IsLibrary(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestLineage(t *testing.T) {
	var l Lineage
	gs := Parse([]byte(dump))
	l.Observe(gs)
	if got := l.Tests(7); len(got) != 1 || got[0] != (Test{Goroutine: 6, Name: "TestLeak"}) {
		t.Errorf("Tests(7) = %+v, want TestLeak in goroutine 6", got)
	}
	l.Register(6, "TestLeak/sub")
	if got := l.Tests(7); len(got) != 1 || got[0].Name != "TestLeak/sub" {
		t.Errorf("Tests(7) after Register = %+v, want the registered name", got)
	}
	if got := l.Tests(1); len(got) != 0 {
		t.Errorf("Tests(1) = %+v, want none", got)
	}
	// A goroutine whose creator was never observed: the creating
	// function tells.
	l.Observe([]Goroutine{{ID: 50, Parent: 49, CreatedBy: report.Frame{Func: "example.com/p.TestOther.func3"}}})
	if got := l.Tests(50); len(got) != 1 || got[0] != (Test{Name: "TestOther"}) {
		t.Errorf("Tests(50) = %+v, want TestOther by function", got)
	}
	l.Observe([]Goroutine{{ID: 51, Parent: 48, CreatedBy: report.Frame{Func: "example.com/p.helper"}}})
	if got := l.Tests(51); len(got) != 0 {
		t.Errorf("Tests(51) = %+v, want none", got)
	}
}
