package race_test

import (
	"strings"
	"testing"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
)

type counter struct {
	mu sync.Mutex
	n  race.Guarded[int]
}

func TestGuarded(t *testing.T) {
	var got []report.Finding
	old := condiag.SetHandler(func(f report.Finding) { got = append(got, f) })
	defer condiag.SetHandler(old)

	c := &counter{}
	c.n.Guard(&c.mu)
	c.mu.Lock()
	c.n.Set(c.n.Get() + 1) // held: fine
	*c.n.Ptr() += 1
	c.mu.Unlock()
	c.n.Do(func(n *int) { *n++ })
	if len(got) != 0 {
		t.Fatalf("accesses under the lock reported: %v", got)
	}

	_ = c.n.Get() // not held: RC2003
	var rw sync.RWMutex
	g := race.Guard(&rw, "config")
	rw.RLock()
	_ = g.Get()    // read under a read lock: fine
	g.Set("other") // a write under a read lock: RC2003
	rw.RUnlock()
	if !race.Instrumented {
		if len(got) != 0 {
			t.Errorf("condiagoff: %v", got)
		}
		return
	}
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2: %v", len(got), got)
	}
	if f := got[0]; f.ID != "RC2003" || !strings.Contains(f.Message, "(int) read without its lock held; nobody holds it") || !strings.HasSuffix(f.Location.File, "guarded_test.go") {
		t.Errorf("unlocked read: %s at %v: %s", f.ID, f.Location, f.Message)
	}
	if f := got[1]; !strings.Contains(f.Message, "(string) written without its lock held for writing") {
		t.Errorf("write under RLock: %s", f.Message)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unbound Guarded did not panic")
		}
	}()
	var unbound race.Guarded[int]
	unbound.Get()
}
