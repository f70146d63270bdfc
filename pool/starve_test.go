//go:build !condiagoff

package pool_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/detect/starve"
	"github.com/condiag/condiag/pool"
)

// TestStarvation: a task that waits to start while every worker is busy
// past the work threshold is ST4003, at the Submit; a task that found a
// worker free is not, whatever it waited.
func TestStarvation(t *testing.T) {
	var fs findings
	old := condiag.SetHandler(fs.handle)
	defer condiag.SetHandler(old)
	defer starve.SetOptions(starve.SetOptions(starve.Options{WorkWait: 100 * time.Millisecond}))
	name := runName("busy pool")
	p := pool.New(context.Background(), 1, pool.WithName(name))
	release := make(chan bool)
	slow := pool.Submit(p, func(context.Context) (int, error) { <-release; return 1, nil })
	queued := pool.Submit(p, func(context.Context) (int, error) { return 2, nil }) // waits for slow
	time.Sleep(300 * time.Millisecond)
	close(release)
	wait(t, slow)
	wait(t, queued)
	shutdown(t, p)
	// Findings reach the handler from a goroutine of their own.
	waitFor(t, "ST4003", func() bool { _, ok := fs.find("ST4003", name); return ok })
	time.Sleep(50 * time.Millisecond) // and no second one
	var got []string
	fs.mu.Lock()
	for _, f := range fs.got {
		if f.ID == "ST4003" && strings.Contains(f.Message, name) {
			got = append(got, f.Message)
			if !strings.HasSuffix(f.Location.File, "starve_test.go") {
				t.Errorf("ST4003 at %v, want the Submit in starve_test.go", f.Location)
			}
		}
	}
	fs.mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], "waited ") || !strings.Contains(got[0], "to start, all 1 workers of "+name+" busy") {
		t.Errorf("ST4003 findings %q, want one for the queued task", got)
	}
}
