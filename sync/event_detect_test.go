//go:build !condiagoff

package sync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
)

// TestEventLongWait: the watchdog sees a goroutine blocked in
// Event.Wait. A holds a Mutex and waits for an Event that B sets only
// after it has locked that Mutex: since any goroutine could set the
// Event, the wait proves no cycle (no DL1002), but it is reported as a
// long wait (DL1005) naming the Event.
func TestEventLongWait(t *testing.T) {
	defer condiag.VerifyNone(t, condiag.IgnoreID("DL1005", "the long waits of TestEventLongWait are on purpose"))
	oldHang := deadlock.SetHangThreshold(200 * time.Millisecond)
	defer deadlock.SetHangThreshold(oldHang)

	var e sync.Event
	e.SetName("ready")
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	aWaits := make(chan struct{})
	aDone, bDone := make(chan error, 1), make(chan struct{})
	// The handler sees every report, also those that an earlier run of
	// -count made already, which the process keeps only once.
	long, cycles := make(chan report.Finding, 1), make(chan report.Finding, 1)
	old := condiag.SetHandler(func(f report.Finding) {
		c := long
		switch {
		case f.ID == "DL1002":
			c = cycles
		case f.ID != "DL1005" || !strings.Contains(f.Message, "wait for ready (not set)"):
			return
		}
		select {
		case c <- f:
		default:
		}
	})
	defer condiag.SetHandler(old)

	go func() { // A
		mu.Lock()
		close(aWaits)
		err := e.Wait(ctx)
		mu.Unlock()
		aDone <- err
	}()
	go func() { // B
		<-aWaits
		mu.Lock()
		e.Set()
		mu.Unlock()
		close(bDone)
	}()
	var found report.Finding
	select {
	case found = <-long:
	case <-time.After(5 * time.Second):
	}
	cancel()
	if err := recv(t, aDone); err != context.Canceled {
		t.Errorf("A: %v, want context.Canceled", err)
	}
	recv(t, bDone)
	if !e.IsSet() {
		t.Error("B did not set the event")
	}
	if found.ID == "" {
		t.Fatal("no DL1005 on the Event within 5s")
	}
	t.Log(found.Message)
	if !strings.Contains(found.Message, "(not set)") {
		t.Errorf("DL1005 does not give the Event's state: %s", found.Message)
	}
	select {
	case f := <-cycles:
		t.Errorf("a wait on an Event reported as a cycle: %s", f.Message)
	default:
	}
}
