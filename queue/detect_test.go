//go:build !condiagoff

package queue_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/detect/leak"
	"github.com/condiag/condiag/queue"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
)

// runs counts the runs of the tests of this file in this process (go
// test -count), to give their objects new names.
var runs int

// TestDeadlockThroughQueue: a producer holds a mutex while it blocks on a
// full queue, and the queue's only consumer waits for that mutex. The
// watchdog reports the cycle (DL1002) through the queue; cancelling the
// producer's Put ends it.
func TestDeadlockThroughQueue(t *testing.T) {
	old := condiag.SetHandler(func(report.Finding) {}) // checked below
	defer condiag.SetHandler(old)

	q := newQueue[int](t, 1)
	runs++
	name := fmt.Sprintf("jobs#run%d", runs) // tells this run's finding from earlier ones
	q.SetName(name)
	var mu sync.Mutex
	sync.SetName(&mu, "state")
	// Findings are told apart by the classes of their locks: a class of
	// its own makes the finding of each run of -count a new one.
	sync.SetClass(&mu, fmt.Sprintf("state#run%d", runs))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	locked := make(chan bool) // closed once the producer holds mu
	consumer := make(chan bool)
	go func() {
		defer close(consumer)
		if _, err := q.Get(context.Background()); err != nil {
			t.Errorf("consumer Get: %v", err)
		}
		<-locked
		mu.Lock() // blocks: the producer holds mu
		mu.Unlock()
	}()
	producer := make(chan error, 1)
	go func() {
		q.Put(context.Background(), 1) // taken by the consumer
		q.Put(context.Background(), 2) // fills the queue
		mu.Lock()
		close(locked)
		producer <- q.Put(ctx, 3) // blocks: the only consumer waits for mu
		mu.Unlock()
	}()

	deadline := time.Now().Add(10 * time.Second)
	var f *report.Finding
	for f == nil && time.Now().Before(deadline) {
		for _, g := range deadlock.Findings() {
			if g.ID == "DL1002" && strings.Contains(g.Message, name+" ") {
				f = &g
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := result(t, producer); err != context.Canceled {
		t.Errorf("producer's Put = %v, want context.Canceled", err)
	}
	result(t, consumer)
	if f == nil {
		t.Fatalf("no DL1002 naming %s within 10 s; findings: %v", name, deadlock.Findings())
	}
	t.Logf("%s", f.Message)
	if len(f.Goroutines) != 2 {
		t.Errorf("DL1002 names %d goroutines, want the producer and the consumer", len(f.Goroutines))
	}
	for _, want := range []string{"waits to lock state", "waits to put into " + name + " (full, 1 of 1)"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("DL1002 does not mention %q: %s", want, f.Message)
		}
	}
}

// TestLeakNamesQueue: a goroutine left blocked in Get is reported as
// leaked (LK3001) with the queue it waits on, and a queue left holding
// items is reported as work nobody took (LK3003).
func TestLeakNamesQueue(t *testing.T) {
	runs++
	name := fmt.Sprintf("orphans#run%d", runs)
	q := newQueue[int](t, 4)
	q.SetName(name)
	done := goGet(q, context.Background())
	waiting(t, q, 0, 1)
	if f, ok := findLeak(t, "LK3001", name); !ok {
		t.Errorf("no LK3001 naming %s", name)
	} else {
		t.Logf("%s", f.Message)
	}
	q.Close()
	if r := result(t, done); r.err != queue.ErrClosed {
		t.Fatalf("Get = %d, %v; want ErrClosed", r.v, r.err)
	}

	q = newQueue[int](t, 4)
	name += "/work"
	q.SetName(name)
	q.Put(context.Background(), 1)
	q.Put(context.Background(), 2)
	if f, ok := findLeak(t, "LK3003", name); !ok {
		t.Errorf("no LK3003 naming %s", name)
	} else if want := "holds 2 items nobody took"; !strings.Contains(f.Message, want) {
		t.Errorf("LK3003 does not say %q: %s", want, f.Message)
	} else {
		t.Logf("%s", f.Message)
	}
}

// findLeak returns the finding with the given id of a leak check that
// mentions name.
func findLeak(t *testing.T, id, name string) (report.Finding, bool) {
	t.Helper()
	for _, f := range leak.Findings(leak.MaxRetryAttempts(3)) {
		if f.ID == id && strings.Contains(f.Message, name) {
			return f, true
		}
	}
	return report.Finding{}, false
}
