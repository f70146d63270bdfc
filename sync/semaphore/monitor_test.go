//go:build !condiagoff

package semaphore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
	"github.com/condiag/condiag/sync/semaphore"
)

// TestDeadlockReported: g1 holds every permit and waits for a Mutex that
// g2 holds while g2 waits in Acquire. The watchdog reports the cycle
// (DL1002) through the semaphore; cancelling g2's Acquire then ends it.
func TestDeadlockReported(t *testing.T) {
	found := watch(t)
	sem := semaphore.NewWeighted(2) // the semaphore's site
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	locked, acquired := make(chan bool), make(chan bool)
	g2err := make(chan error, 1)
	done := make(chan bool)
	go func() { // g2
		mu.Lock()
		locked <- true
		<-acquired
		g2err <- sem.Acquire(ctx, 1) // waits for g1's permits
		mu.Unlock()
	}()
	<-locked
	go func() { // g1
		// g1 uses the semaphore like a lock, releasing its own
		// permits: until a holder did so once, it might be holding
		// them for another goroutine to release, and its wait proves
		// no cycle.
		sem.Acquire(context.Background(), 1)
		sem.Release(1)
		if err := sem.Acquire(context.Background(), 2); err != nil {
			t.Error(err)
		}
		acquired <- true
		mu.Lock() // waits for g2
		mu.Unlock()
		sem.Release(2)
		close(done)
	}()

	f, ok := waitFinding(found, "DL1002", "permit", 10*time.Second)
	cancel()
	if err := <-g2err; err != context.Canceled {
		t.Errorf("g2's Acquire = %v, want %v", err, context.Canceled)
	}
	<-done
	if !ok {
		t.Fatal("no DL1002 through the semaphore within 10s")
	}
	t.Logf("%s: %s", f.ID, f.Message)
	if !recorded("DL1002") {
		t.Error("condiag.Findings lists no DL1002 on a Semaphore")
	}
	for _, want := range []string{"acquire 1 permit of", "2 of 2 held"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("DL1002 message %q does not say %q", f.Message, want)
		}
	}
	var site bool
	for _, l := range f.Locks {
		if l.Kind == "Semaphore" && strings.HasSuffix(l.FirstLocked.File, "monitor_test.go") {
			site = true
		}
	}
	if !site {
		t.Errorf("DL1002 locks %+v: no Semaphore sited in monitor_test.go", f.Locks)
	}
}

// TestGrantedPermitsBelongToWaiter: permits that g3's Release grants to
// g2, waiting in Acquire, are recorded as g2's, so that g3's next
// Acquire, which waits for g2 while g2 waits for a Mutex g3 holds, is a
// deadlock through g2 (were they counted as g3's, or as nobody's, g3
// would wait for nobody and no cycle would be found).
func TestGrantedPermitsBelongToWaiter(t *testing.T) {
	found := watch(t)
	sem := semaphore.NewWeighted(1)
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	ready, release, granted := make(chan bool), make(chan bool), make(chan bool)
	g3err := make(chan error, 1)
	done := make(chan bool)
	// g2 first uses the semaphore like a lock, releasing its own permit
	// (see TestDeadlockReported), then waits for g3's.
	warm, start := make(chan bool), make(chan bool)
	go func() { // g2
		sem.Acquire(context.Background(), 1)
		sem.Release(1)
		warm <- true
		<-start
		if err := sem.Acquire(context.Background(), 1); err != nil {
			t.Error(err)
		}
		granted <- true
		mu.Lock() // waits for g3
		mu.Unlock()
		sem.Release(1)
		close(done)
	}()
	<-warm
	go func() { // g3
		sem.Acquire(context.Background(), 1)
		mu.Lock()
		ready <- true
		<-release
		sem.Release(1)               // grants g2's Acquire
		g3err <- sem.Acquire(ctx, 1) // waits for g2's permit
		mu.Unlock()
	}()
	<-ready
	start <- true
	waitBlocked(t, sem, 1)
	release <- true
	<-granted

	f, ok := waitFinding(found, "DL1002", "(1 of 1 held)", 10*time.Second)
	cancel()
	if err := <-g3err; err != context.Canceled {
		t.Errorf("g3's Acquire = %v, want %v", err, context.Canceled)
	}
	<-done
	if !ok {
		t.Fatal("no DL1002 through the granted permit within 10s")
	}
	t.Logf("%s: %s", f.ID, f.Message)
}

// TestWorkerPoolNoFinding: x/sync's worker pool, whose workers release
// the permits the main goroutine acquired, is correct however long the
// tasks take. While the first tasks run, the main goroutine holds every
// permit and waits in Acquire for one more: it must not be reported as
// waiting for itself.
func TestWorkerPoolNoFinding(t *testing.T) {
	found := watch(t)
	sem := semaphore.NewWeighted(2)
	ctx := testContext(t)
	finish := make(chan bool)
	go func() {
		for deadline := time.Now().Add(10 * time.Second); blocked(sem) == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // two watchdog ticks and more
		close(finish)
	}()
	for range 4 {
		if err := sem.Acquire(ctx, 1); err != nil {
			t.Fatal(err)
		}
		go func() {
			defer sem.Release(1)
			<-finish
		}()
	}
	if err := sem.Acquire(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if f, ok := waitFinding(found, "DL1002", "permit", 100*time.Millisecond); ok {
		t.Errorf("correct worker pool reported: %s", f.Message)
	}
}

// watch installs a handler that passes the findings on, until the test
// ends. The handler sees every occurrence of a finding; Findings lists
// each distinct one once (a second run of a test makes a finding that
// is no longer new).
func watch(t *testing.T) <-chan report.Finding {
	c := make(chan report.Finding, 16)
	old := condiag.SetHandler(func(f report.Finding) {
		select {
		case c <- f:
		default:
		}
	})
	t.Cleanup(func() { condiag.SetHandler(old) })
	return c
}

// waitFinding waits up to d for a finding from c with the given ID
// whose message contains sub.
func waitFinding(c <-chan report.Finding, id, sub string, d time.Duration) (report.Finding, bool) {
	timeout := time.After(d)
	for {
		select {
		case f := <-c:
			if f.ID == id && strings.Contains(f.Message, sub) {
				return f, true
			}
		case <-timeout:
			return report.Finding{}, false
		}
	}
}

// recorded reports whether condiag.Findings lists a finding with the
// given ID on a Semaphore.
func recorded(id string) bool {
	for _, f := range condiag.Findings() {
		for _, l := range f.Locks {
			if f.ID == id && l.Kind == "Semaphore" {
				return true
			}
		}
	}
	return false
}

// TestHandOffNoFinding: M acquires the permit for a goroutine it starts,
// which releases it later (the usual pattern); meanwhile Y, holding mu,
// waits for the permit and M waits for mu. The program completes: the
// wait for M's permit must not be taken for a deadlock.
func TestHandOffNoFinding(t *testing.T) {
	found := watch(t)
	sem := semaphore.NewWeighted(1)
	var mu sync.Mutex
	locked, acquired := make(chan bool), make(chan bool)
	done := make(chan bool, 2)
	go func() { // Y
		mu.Lock()
		locked <- true
		<-acquired
		if err := sem.Acquire(context.Background(), 1); err != nil {
			t.Error(err)
		}
		mu.Unlock()
		sem.Release(1)
		done <- true
	}()
	<-locked
	go func() { // M
		sem.Acquire(context.Background(), 1)
		go func() { // C, which releases M's permit
			time.Sleep(600 * time.Millisecond) // more than two watchdog ticks
			sem.Release(1)
		}()
		acquired <- true
		mu.Lock()
		mu.Unlock()
		done <- true
	}()
	<-done
	<-done
	if f, ok := waitFinding(found, "DL1002", "permit", 200*time.Millisecond); ok {
		t.Errorf("false deadlock on a program that completed: %s", f.Message)
	}
}
