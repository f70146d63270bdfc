package semaphore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	xsemaphore "golang.org/x/sync/semaphore"

	"github.com/condiag/condiag/sync/semaphore"
)

// weighted is the method set of x/sync's *Weighted, which ours and
// x/sync's both satisfy: every behaviour test runs on both.
type weighted interface {
	Acquire(ctx context.Context, n int64) error
	TryAcquire(n int64) bool
	Release(n int64)
}

var (
	_ weighted = (*semaphore.Weighted)(nil)
	_ weighted = (*xsemaphore.Weighted)(nil)
)

// impl makes semaphores of one implementation.
type impl struct {
	name string
	new  func(n int64) weighted
	zero func() weighted // a zero Weighted
}

var impls = []impl{
	{
		name: "condiag",
		new:  func(n int64) weighted { return semaphore.NewWeighted(n) },
		zero: func() weighted { return new(semaphore.Weighted) },
	},
	{
		name: "xsync",
		new:  func(n int64) weighted { return xsemaphore.NewWeighted(n) },
		zero: func() weighted { return new(xsemaphore.Weighted) },
	},
}

// TestSemantics runs each scenario on both implementations and checks
// that both give the results x/sync documents, so that they behave the
// same.
func TestSemantics(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, im impl) []string
		want []string
	}{
		{"TryAcquire", tryAcquire, []string{"true", "true", "false", "false", "true"}},
		{"AcquireZero", acquireZero, []string{
			"full <nil>", "zero <nil>", "try0 true",
			"try0 with waiter false", "zero behind waiter context canceled",
			"waiter <nil>", "try1 true",
		}},
		{"ZeroValue", zeroValue, []string{
			"acquire0 <nil>", "try0 true", "try1 false",
			"acquire1 context canceled", "release1 semaphore: released more than held",
		}},
		{"FIFO", fifo, []string{"1", "2", "3", "4", "5"}},
		{"HeadBlocksSmaller", headBlocksSmaller, []string{
			"try1 with big waiting false", "big <nil>", "try0 with small waiting false",
			"small <nil>", "try10 true",
		}},
		{"CancelAtHead", cancelAtHead, []string{"big context canceled", "behind <nil>", "try1 false", "try10 true"}},
		{"CancelInMiddle", cancelInMiddle, []string{"middle context canceled", "first <nil>", "last <nil>", "try2 true"}},
		{"CancelAtHeadNoRoom", cancelAtHeadNoRoom, []string{"head context canceled", "try0 false", "behind <nil>"}},
		{"ReleaseWakesSeveral", releaseWakesSeveral, []string{"<nil>", "<nil>", "<nil>", "try1 true", "try2 false"}},
		{"LargerThanSize", largerThanSize, []string{
			"try10 true", "acquire3 <nil>", "big context canceled", "try10 true",
		}},
		{"ContextDone", contextDone, []string{
			"canceled context canceled", "canceled0 context canceled",
			"expired context deadline exceeded", "full canceled context canceled", "try10 true",
		}},
		{"OverRelease", overRelease, []string{
			"semaphore: released more than held", "try2 after true",
			"semaphore: released more than held",
		}},
		{"Negative", negative, []string{
			"new semaphore: size < 0", "acquire semaphore: n < 0",
			"try semaphore: n < 0", "release semaphore: n < 0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string][]string{}
			for _, im := range impls {
				t.Run(im.name, func(t *testing.T) {
					defer func() {
						if p := recover(); p != nil {
							t.Errorf("%s panicked: %v", im.name, p)
						}
					}()
					got[im.name] = tt.run(t, im)
					if diff := cmp.Diff(tt.want, got[im.name]); diff != "" {
						t.Errorf("%s (-want +got):\n%s", im.name, diff)
					}
				})
			}
			if diff := cmp.Diff(got["xsync"], got["condiag"]); diff != "" {
				t.Errorf("condiag differs from x/sync (-xsync +condiag):\n%s", diff)
			}
		})
	}
}

func tryAcquire(t *testing.T, im impl) []string {
	s := im.new(2)
	var out []string
	out = append(out, fmt.Sprint(s.TryAcquire(1)), fmt.Sprint(s.TryAcquire(1)), fmt.Sprint(s.TryAcquire(1)))
	s.Release(1)
	out = append(out, fmt.Sprint(s.TryAcquire(2)), fmt.Sprint(s.TryAcquire(1)))
	s.Release(2)
	return out
}

// acquireZero: a weight of 0 succeeds on a full semaphore, but queues
// behind a waiter like any other request.
func acquireZero(t *testing.T, im impl) []string {
	s := im.new(1)
	bg := testContext(t)
	var out []string
	out = append(out, "full "+errString(s.Acquire(bg, 1)))
	out = append(out, "zero "+errString(s.Acquire(bg, 0)))
	out = append(out, fmt.Sprint("try0 ", s.TryAcquire(0)))
	waiter := start(s, bg, 1)
	waitBlocked(t, s, 1)
	out = append(out, fmt.Sprint("try0 with waiter ", s.TryAcquire(0)))
	ctx, cancel := context.WithCancel(bg)
	zero := start(s, ctx, 0)
	waitBlocked(t, s, 2)
	cancel()
	out = append(out, "zero behind waiter "+result(t, zero))
	s.Release(1)
	out = append(out, "waiter "+result(t, waiter))
	s.Release(1)
	out = append(out, fmt.Sprint("try1 ", s.TryAcquire(1)))
	s.Release(1)
	return out
}

// zeroValue: a zero Weighted has size 0.
func zeroValue(t *testing.T, im impl) []string {
	s := im.zero()
	var out []string
	out = append(out, "acquire0 "+errString(s.Acquire(context.Background(), 0)))
	out = append(out, fmt.Sprint("try0 ", s.TryAcquire(0)))
	out = append(out, fmt.Sprint("try1 ", s.TryAcquire(1)))
	s.Release(0)
	ctx, cancel := context.WithCancel(testContext(t))
	one := start(s, ctx, 1)
	waitBlocked(t, s, 1)
	cancel()
	out = append(out, "acquire1 "+result(t, one))
	out = append(out, "release1 "+panicked(func() { s.Release(1) }))
	return out
}

// fifo: waiters are served in the order they arrived.
func fifo(t *testing.T, im impl) []string {
	s := im.new(1)
	bg := testContext(t)
	s.Acquire(bg, 1)
	got := make(chan int)
	var wg sync.WaitGroup
	for i := 1; i <= 5; i++ {
		wg.Go(func() {
			if err := s.Acquire(bg, 1); err != nil {
				t.Error(err)
				return
			}
			got <- i
			s.Release(1)
		})
		waitBlocked(t, s, i)
	}
	s.Release(1)
	var out []string
	for range 5 {
		select {
		case i := <-got:
			out = append(out, fmt.Sprint(i))
		case <-time.After(10 * time.Second):
			t.Fatalf("after %v, no waiter acquired in 10s", out)
		}
	}
	wg.Wait()
	return out
}

// headBlocksSmaller: a large request at the head holds back a smaller
// one behind it that would fit.
func headBlocksSmaller(t *testing.T, im impl) []string {
	s := im.new(10)
	bg := testContext(t)
	var out []string
	s.Acquire(bg, 5)
	big := start(s, bg, 10)
	waitBlocked(t, s, 1)
	small := start(s, bg, 1)
	waitBlocked(t, s, 2)
	out = append(out, fmt.Sprint("try1 with big waiting ", s.TryAcquire(1)))
	s.Release(5)
	out = append(out, "big "+result(t, big))
	waitBlocked(t, s, 1)
	out = append(out, fmt.Sprint("try0 with small waiting ", s.TryAcquire(0)))
	s.Release(10)
	out = append(out, "small "+result(t, small))
	s.Release(1)
	out = append(out, fmt.Sprint("try10 ", s.TryAcquire(10)))
	s.Release(10)
	return out
}

// cancelAtHead: when the waiter at the head gives up, those behind it
// that fit proceed.
func cancelAtHead(t *testing.T, im impl) []string {
	s := im.new(10)
	bg := testContext(t)
	var out []string
	s.Acquire(bg, 5)
	ctx, cancel := context.WithCancel(bg)
	big := start(s, ctx, 10)
	waitBlocked(t, s, 1)
	behind := start(s, bg, 5)
	waitBlocked(t, s, 2)
	cancel()
	out = append(out, "big "+result(t, big))
	out = append(out, "behind "+result(t, behind))
	out = append(out, fmt.Sprint("try1 ", s.TryAcquire(1)))
	s.Release(10)
	out = append(out, fmt.Sprint("try10 ", s.TryAcquire(10)))
	s.Release(10)
	return out
}

// cancelInMiddle: a waiter that gives up leaves the queue order of the
// others alone.
func cancelInMiddle(t *testing.T, im impl) []string {
	s := im.new(2)
	bg := testContext(t)
	var out []string
	s.Acquire(bg, 2)
	first := start(s, bg, 1)
	waitBlocked(t, s, 1)
	ctx, cancel := context.WithCancel(bg)
	middle := start(s, ctx, 1)
	waitBlocked(t, s, 2)
	last := start(s, bg, 1)
	waitBlocked(t, s, 3)
	cancel()
	out = append(out, "middle "+result(t, middle))
	waitBlocked(t, s, 2)
	s.Release(2)
	out = append(out, "first "+result(t, first), "last "+result(t, last))
	s.Release(2)
	out = append(out, fmt.Sprint("try2 ", s.TryAcquire(2)))
	s.Release(2)
	return out
}

// cancelAtHeadNoRoom: when the head gives up but nothing is free, the
// next waiter becomes the head and still waits.
func cancelAtHeadNoRoom(t *testing.T, im impl) []string {
	s := im.new(2)
	bg := testContext(t)
	var out []string
	s.Acquire(bg, 2)
	ctx, cancel := context.WithCancel(bg)
	head := start(s, ctx, 1)
	waitBlocked(t, s, 1)
	behind := start(s, bg, 1)
	waitBlocked(t, s, 2)
	cancel()
	out = append(out, "head "+result(t, head))
	waitBlocked(t, s, 1)
	out = append(out, fmt.Sprint("try0 ", s.TryAcquire(0)))
	s.Release(1)
	out = append(out, "behind "+result(t, behind))
	s.Release(2)
	return out
}

// releaseWakesSeveral: one Release grants every waiter at the head
// that fits.
func releaseWakesSeveral(t *testing.T, im impl) []string {
	s := im.new(10)
	bg := testContext(t)
	s.Acquire(bg, 10)
	var ws []<-chan error
	for i := range 3 {
		ws = append(ws, start(s, bg, 3))
		waitBlocked(t, s, i+1)
	}
	s.Release(10)
	var out []string
	for _, w := range ws {
		out = append(out, result(t, w))
	}
	out = append(out, fmt.Sprint("try1 ", s.TryAcquire(1)))
	out = append(out, fmt.Sprint("try2 ", s.TryAcquire(2)))
	s.Release(10)
	return out
}

// largerThanSize: a request of more than the size waits for its
// context and holds back nobody.
func largerThanSize(t *testing.T, im impl) []string {
	s := im.new(10)
	bg := testContext(t)
	var out []string
	ctx, cancel := context.WithCancel(bg)
	big := start(s, ctx, 11)
	waitBlocked(t, s, 1)
	out = append(out, fmt.Sprint("try10 ", s.TryAcquire(10)))
	s.Release(10)
	out = append(out, "acquire3 "+errString(s.Acquire(bg, 3)))
	s.Release(3)
	cancel()
	out = append(out, "big "+result(t, big))
	out = append(out, fmt.Sprint("try10 ", s.TryAcquire(10)))
	s.Release(10)
	return out
}

// contextDone: an Acquire whose context is done fails, even if the
// permits are free, and leaves the semaphore unchanged.
func contextDone(t *testing.T, im impl) []string {
	s := im.new(10)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	var out []string
	out = append(out, "canceled "+errString(s.Acquire(canceled, 1)))
	out = append(out, "canceled0 "+errString(s.Acquire(canceled, 0)))
	out = append(out, "expired "+errString(s.Acquire(expired, 10)))
	s.Acquire(testContext(t), 10)
	out = append(out, "full canceled "+errString(s.Acquire(canceled, 1)))
	s.Release(10)
	out = append(out, fmt.Sprint("try10 ", s.TryAcquire(10)))
	s.Release(10)
	return out
}

// overRelease: releasing more than held panics, and leaves the count
// where the Release put it (x/sync does not restore it).
func overRelease(t *testing.T, im impl) []string {
	s := im.new(1)
	out := []string{panicked(func() { s.Release(1) })}
	out = append(out, fmt.Sprint("try2 after ", s.TryAcquire(2))) // 1 of 1 held now
	out = append(out, panicked(func() { s.Release(2) }))
	return out
}

func negative(t *testing.T, im impl) []string {
	s := im.new(1)
	return []string{
		"new " + panicked(func() { im.new(-1) }),
		"acquire " + panicked(func() { s.Acquire(context.Background(), -1) }),
		"try " + panicked(func() { s.TryAcquire(-1) }),
		"release " + panicked(func() { s.Release(-1) }),
	}
}
