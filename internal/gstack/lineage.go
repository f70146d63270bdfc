package gstack

import (
	"strings"
	"sync"
)

// Lineage remembers, across dumps, which goroutine created which and
// which goroutines ran tests, so that a goroutine can be traced to the
// test that started it after the goroutines in between have exited.
//
// The runtime names the creator of each goroutine ("created by F in
// goroutine N"), but only while the goroutine lives; Lineage keeps what
// every dump it observed said. Where the chain breaks (a creator that no
// observed dump saw), the creating function still tells: a go statement
// in TestX or one of its closures was run by TestX.
type Lineage struct {
	mu sync.Mutex
	// parent and creator are what the dumps said of each goroutine.
	parent  map[int64]int64
	creator map[int64]string
	// tests maps the goroutines that ran a test to its name: the one
	// registered by a check (t.Name()) or, until then, the function's.
	tests map[int64]string
}

// maxLineage bounds the goroutines a Lineage remembers; past it, it
// forgets all but the tests.
const maxLineage = 1 << 20

// Test is a goroutine that ran a test.
type Test struct {
	Goroutine int64  // 0 when only the function is known
	Name      string // t.Name() when registered, else the test function
}

// Observe records what a dump tells of every goroutine in it.
func (l *Lineage) Observe(gs []Goroutine) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.parent == nil || len(l.parent) > maxLineage {
		l.parent, l.creator = map[int64]int64{}, map[int64]string{}
	}
	if l.tests == nil {
		l.tests = map[int64]string{}
	}
	for i := range gs {
		g := &gs[i]
		l.parent[g.ID] = g.Parent
		l.creator[g.ID] = g.CreatedBy.Func
		if fn := TestFunction(g); fn != "" {
			if _, ok := l.tests[g.ID]; !ok {
				l.tests[g.ID] = TestName(fn)
			}
		}
	}
}

// Register records that goroutine id runs the test called name.
func (l *Lineage) Register(id int64, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tests == nil {
		l.tests = map[int64]string{}
	}
	l.tests[id] = name
}

// Tests returns the tests that goroutine id descends from, the nearest
// first; a test goroutine descends from itself. It is empty when id was
// not started, directly or not, by a test that Lineage knows of.
func (l *Lineage) Tests(id int64) []Test {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Test
	for n := 0; id > 0 && n < 10000; n++ {
		if name, ok := l.tests[id]; ok {
			out = append(out, Test{Goroutine: id, Name: name})
		}
		p, ok := l.parent[id]
		if !ok {
			break
		}
		if _, known := l.parent[p]; !known && p != 0 {
			if _, isTest := l.tests[p]; !isTest {
				// The creator was never observed: its function tells.
				if fn := l.creator[id]; isTestFunc(fn) {
					out = append(out, Test{Name: TestName(fn)})
				}
				break
			}
		}
		id = p
	}
	return out
}

// TestFunction returns the test function g runs (the frame testing.tRunner
// called), or "" if g runs no test.
func TestFunction(g *Goroutine) string {
	for i, f := range g.Frames {
		if f.Func == "testing.tRunner" && i > 0 {
			if fn := g.Frames[i-1].Func; !strings.HasPrefix(fn, "testing.") {
				return fn // not the testing package's own runner
			}
			return ""
		}
	}
	return ""
}

// TestName turns a test function's full name into the test's:
// "example.com/p.TestX.func2" is "TestX".
func TestName(fn string) string {
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		fn = fn[i+1:]
	}
	if i := strings.IndexByte(fn, '.'); i >= 0 {
		fn = fn[i+1:]
	}
	name, _, _ := strings.Cut(fn, ".")
	return name
}

// isTestFunc reports whether fn is a test, benchmark, fuzz or example
// function, or a closure in one.
func isTestFunc(fn string) bool {
	name := TestName(fn)
	for _, p := range [...]string{"Test", "Benchmark", "Fuzz", "Example"} {
		if rest, ok := strings.CutPrefix(name, p); ok && (rest == "" || !isLower(rest[0])) {
			return true
		}
	}
	return false
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// Process is the lineage of this process's goroutines, fed by every check
// that dumps them.
var Process Lineage
