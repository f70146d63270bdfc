package analyze_test

import (
	"bytes"
	"testing"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
	"github.com/condiag/condiag/trace"
)

// A trace started while a goroutine holds a lock learns of the hold from
// the goroutine's first event (Held), so the replay's lockset counts it as
// the program's did: no finding either way.
func TestRaceTraceStartedMidRun(t *testing.T) {
	if !race.Instrumented {
		t.Skip("condiagoff")
	}
	var online []report.Finding
	old := condiag.SetHandler(func(f report.Finding) { online = append(online, f) })
	defer condiag.SetHandler(old)
	v := race.NewVar("midrun")
	var rw sync.RWMutex
	rw.RLock() // held before the trace starts
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	read := make(chan bool) // a channel: no hand-off for condiag
	wg.Go(func() {
		rw.RLock()
		v.Read()
		rw.RUnlock()
		read <- true
	})
	<-read
	v.Read() // under the read hold taken before the trace: shared, {rw}
	rw.RUnlock()
	rw.Lock()
	v.Write() // {rw} still
	rw.Unlock()
	wg.Wait()
	if err := trace.Stop(); err != nil {
		t.Fatal(err)
	}
	if len(online) != 0 {
		t.Errorf("online findings: %v", online)
	}
	res, err := analyze.Reader("midrun", &buf, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		t.Errorf("offline: %s: %s", f.ID, f.Message)
	}
}

// A goroutine whose first event of a trace is the unlock of a lock it
// took before the trace started announces that lock once (its Held event
// and its Unlock need the same announcement), and one whose first event
// names another lock does not wait for itself.
func TestHeldAtTraceStart(t *testing.T) {
	var a, b, c, d sync.Mutex
	a.Lock()
	c.Lock()
	b.Lock() // announced below by another goroutine
	b.Unlock()
	held, started, unlocked := make(chan bool), make(chan bool), make(chan bool)
	go func() {
		d.Lock()
		held <- true
		<-started
		d.Unlock() // this goroutine's first event of the trace
		unlocked <- true
	}()
	<-held
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	started <- true
	<-unlocked
	done := make(chan bool)
	go func() {
		b.Lock() // announces b in this trace
		b.Unlock()
		done <- true
	}()
	<-done
	sync.SetName(&b, "b") // the test goroutine's first event: a naming
	a.Unlock()
	c.Unlock()
	if err := trace.Stop(); err != nil {
		t.Fatal(err)
	}
	res, err := analyze.Reader("held", &buf, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		t.Errorf("%s: %s", f.ID, f.Message)
	}
}
