//go:build !condiagoff

package sync_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
)

// TestBarrierDeadlock: A holds a Mutex and waits at a 2-party barrier
// while B, the other party of the previous generations, waits to lock
// that Mutex before it reaches the barrier. The watchdog reports the
// cycle (DL1002) through the barrier; cancelling A's context ends it.
func TestBarrierDeadlock(t *testing.T) {
	defer condiag.VerifyNone(t, condiag.IgnoreID("DL1002", "the deadlock of TestBarrierDeadlock is on purpose"))
	old := condiag.SetHandler(func(report.Finding) {}) // found below
	defer condiag.SetHandler(old)
	mark := len(deadlock.Findings())
	b := sync.NewBarrier(2)
	b.SetName("rounds")
	var mu sync.Mutex
	sync.SetClass(&mu, runName("TestBarrierDeadlock")) // a new finding in each run of -count
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	const gens = 3
	aWaits, bLocks := make(chan struct{}), make(chan struct{})
	aDone, bDone := make(chan error, 1), make(chan error, 1)
	go func() { // A
		for range gens {
			if _, err := b.Wait(ctx); err != nil {
				aDone <- err
				return
			}
		}
		mu.Lock()
		close(aWaits)
		_, err := b.Wait(ctx)
		mu.Unlock()
		aDone <- err
	}()
	go func() { // B
		for range gens {
			if _, err := b.Wait(context.Background()); err != nil {
				bDone <- err
				return
			}
		}
		<-aWaits
		close(bLocks)
		mu.Lock()
		mu.Unlock()
		_, err := b.Wait(context.Background())
		bDone <- err
	}()
	<-bLocks

	var found *report.Finding
	deadline := time.Now().Add(5 * time.Second)
	for found == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		fs := deadlock.Findings()
		for i := mark; i < len(fs); i++ {
			if fs[i].ID == "DL1002" && strings.Contains(fs[i].Message, "wait at rounds") {
				found = &fs[i]
			}
		}
	}
	cancel()
	if err := recv(t, aDone); err != context.Canceled {
		t.Errorf("A: %v, want context.Canceled", err)
	}
	if err := recv(t, bDone); !errors.Is(err, sync.ErrBrokenBarrier) {
		t.Errorf("B: %v, want ErrBrokenBarrier", err)
	}
	if found == nil {
		t.Fatalf("no DL1002 through the barrier within 5s; findings: %v", deadlock.Findings()[mark:])
	}
	t.Logf("%s", found.Message)
	var text strings.Builder
	report.WriteText(&text, []report.Finding{*found})
	for _, want := range []string{"barrier_detect_test.go", "wait at rounds (", "Mutex"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the report does not say %q:\n%s", want, text.String())
		}
	}
}
