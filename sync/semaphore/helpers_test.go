package semaphore_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// start runs Acquire(ctx, n) on s in a new goroutine and returns its
// result.
func start(s weighted, ctx context.Context, n int64) <-chan error {
	c := make(chan error, 1)
	go func() { c <- s.Acquire(ctx, n) }()
	return c
}

// waitBlocked waits until exactly k goroutines are parked in an Acquire
// on s, of either implementation. Parked means queued: both queue the
// waiter before they block on a channel. The goroutines are told by the
// receiver in their stacks.
func waitBlocked(t *testing.T, s weighted, k int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := blocked(s)
		if c == k {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines blocked in Acquire after 10s, want %d", c, k)
		}
		time.Sleep(time.Millisecond)
	}
}

// blocked returns how many goroutines are parked in an Acquire on s.
func blocked(s weighted) int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	return countBlocked(buf[:n], fmt.Sprintf("%p", s))
}

// countBlocked counts the goroutines of a dump blocked on a channel in
// an Acquire on the semaphore at address addr (as %p prints it).
func countBlocked(dump []byte, addr string) int {
	on := [][]byte{
		[]byte(".(*Weighted).Acquire(" + addr), // x/sync's
		[]byte(".(*Weighted).wait(" + addr),    // ours
	}
	c := 0
	for g := range bytes.SplitSeq(dump, []byte("\n\n")) {
		head, _, _ := bytes.Cut(g, []byte("\n"))
		parked := bytes.Contains(head, []byte("[select")) || bytes.Contains(head, []byte("[chan receive"))
		if parked && (bytes.Contains(g, on[0]) || bytes.Contains(g, on[1])) {
			c++
		}
	}
	return c
}

// result returns what Acquire returned on c, failing t after 10s.
func result(t *testing.T, c <-chan error) string {
	t.Helper()
	select {
	case err := <-c:
		return errString(err)
	case <-time.After(10 * time.Second):
		t.Fatal("Acquire still blocked after 10s")
		return ""
	}
}

// queued waits until s has a waiter, which TryAcquire(0) fails for.
func queued(t *testing.T, s weighted) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.TryAcquire(0) {
		if time.Now().After(deadline) {
			t.Fatal("no waiter queued after 10s")
		}
		runtime.Gosched()
	}
}

// testContext returns a context that ends after 10s, so that a waiter
// blocked by a bug fails the test instead of hanging it.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// panicked calls f and returns what it panicked with, or "no panic".
func panicked(f func()) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprint(p)
		}
	}()
	f()
	return "no panic"
}

// TestCountBlocked checks the dump parser on the two shapes of wait.
func TestCountBlocked(t *testing.T) {
	dump := strings.Join([]string{
		"goroutine 1 [running]:\nmain.main()",
		"goroutine 7 [select]:\ngithub.com/condiag/condiag/sync/semaphore.(*Weighted).wait(0xc000012345, {0x7a5f40, 0xc0000a6000}, 0x1)\ngithub.com/condiag/condiag/sync/semaphore.(*Weighted).Acquire(...)",
		"goroutine 8 [chan receive, 2 minutes]:\ngolang.org/x/sync/semaphore.(*Weighted).Acquire(0xc000012345, {0x7a5f40, 0xc0000a6000}, 0x1)",
		"goroutine 9 [sync.Mutex.Lock]:\ngolang.org/x/sync/semaphore.(*Weighted).Acquire(0xc000012345, {0x7a5f40, 0xc0000a6000}, 0x1)",
		"goroutine 10 [select]:\ngolang.org/x/sync/semaphore.(*Weighted).Acquire(0xc000099999, {0x7a5f40, 0xc0000a6000}, 0x1)",
	}, "\n\n")
	if got := countBlocked([]byte(dump), "0xc000012345"); got != 2 {
		t.Errorf("countBlocked = %d, want 2", got)
	}
}
