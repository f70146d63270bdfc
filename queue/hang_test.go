//go:build !condiagoff

package queue_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/detect/starve"
	"github.com/condiag/condiag/report"
)

// TestHangAndStarvation: a Put blocked on a full queue that nobody takes
// from is reported as a hang (DL1005) once past the threshold, and, when
// its context ends it, as starvation (ST4003) past the work threshold.
func TestHangAndStarvation(t *testing.T) {
	// The handler sees every occurrence, also of a finding that an
	// earlier run of -count made: their keys are the same.
	var mu sync.Mutex
	var seen []report.Finding
	old := condiag.SetHandler(func(f report.Finding) {
		mu.Lock()
		seen = append(seen, f)
		mu.Unlock()
	})
	defer condiag.SetHandler(old)
	defer deadlock.SetHangThreshold(deadlock.SetHangThreshold(300 * time.Millisecond))
	defer starve.SetOptions(starve.SetOptions(starve.Options{WorkWait: 200 * time.Millisecond}))

	q := newQueue[int](t, 1)
	runs++
	name := fmt.Sprintf("hung#run%d", runs)
	q.SetName(name)
	if err := q.Put(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	if err := q.Put(ctx, 2); err != context.DeadlineExceeded {
		t.Fatalf("Put = %v, want context.DeadlineExceeded", err)
	}
	find := func(id string) *report.Finding {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			for _, f := range seen {
				if f.ID == id && strings.Contains(f.Message, "into "+name) {
					mu.Unlock()
					return &f
				}
			}
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	}
	if f := find("DL1005"); f == nil {
		t.Error("no DL1005 for the Put blocked past the hang threshold")
	} else if want := "to put into " + name + " (full, 1 of 1); no goroutine known to end the wait"; !strings.Contains(f.Message, want) {
		t.Errorf("DL1005 message %q, want it to contain %q", f.Message, want)
	}
	if f := find("ST4003"); f == nil {
		t.Error("no ST4003 for the Put that waited past the work threshold")
	} else if !strings.Contains(f.Message, "to put into "+name+", full at its capacity of 1") {
		t.Errorf("ST4003 message %q", f.Message)
	} else if !strings.HasSuffix(f.Location.File, "hang_test.go") {
		t.Errorf("ST4003 at %v, want the Put in hang_test.go", f.Location)
	}
	q.Get(context.Background()) // leave nothing behind for LK3003
}
