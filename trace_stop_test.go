//go:build !condiagoff

package condiag_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/sync"
	"github.com/condiag/condiag/trace"
)

type exitM struct{}

func (exitM) Run() int { return 0 }

// TestVerifyTestMainStopsTrace checks that a trace being recorded is
// complete when VerifyTestMain exits.
func TestVerifyTestMainStopsTrace(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	mu.Lock()
	mu.Unlock()
	restore := condiag.SetExitForTest(func(int) {})
	defer restore()
	condiag.VerifyTestMain(exitM{})
	if trace.IsEnabled() {
		trace.Stop()
		t.Fatal("the trace is still being recorded after VerifyTestMain")
	}
	r, err := trace.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if !r.Ended() || n < 3 {
		t.Errorf("ended %v with %d events: want a complete trace", r.Ended(), n)
	}
}
