package semaphore_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	xsemaphore "golang.org/x/sync/semaphore"

	"github.com/condiag/condiag/sync/semaphore"
)

// xsyncAPI is the full method set of x/sync's *Weighted. Ours must have
// it, so that code written for x/sync compiles with the import changed.
type xsyncAPI interface {
	Acquire(ctx context.Context, n int64) error
	Release(n int64)
	TryAcquire(n int64) bool
}

var (
	_ xsyncAPI = (*semaphore.Weighted)(nil)
	_ xsyncAPI = (*xsemaphore.Weighted)(nil)

	// The constructor has x/sync's shape, and so does the zero value.
	_ func(int64) *semaphore.Weighted = semaphore.NewWeighted
	_                                 = semaphore.Weighted{}
)

// TestMethodSet fails when x/sync's Weighted gains a method (or loses
// one) that ours does not have, and when ours exports one more.
func TestMethodSet(t *testing.T) {
	for _, ptr := range []bool{false, true} {
		ours, theirs := reflect.TypeFor[semaphore.Weighted](), reflect.TypeFor[xsemaphore.Weighted]()
		if ptr {
			ours, theirs = reflect.PointerTo(ours), reflect.PointerTo(theirs)
		}
		got, want := methods(ours), methods(theirs)
		if got != want {
			t.Errorf("methods of %v:\n%s\nwant those of %v:\n%s", ours, got, theirs, want)
		}
	}
	if n, m := reflect.TypeFor[xsyncAPI]().NumMethod(), reflect.TypeFor[*xsemaphore.Weighted]().NumMethod(); n != m {
		t.Errorf("xsyncAPI has %d methods, x/sync's *Weighted %d: update it", n, m)
	}
}

// methods lists the methods of t with their signatures, the receiver
// left out.
func methods(t reflect.Type) string {
	var b strings.Builder
	for i := range t.NumMethod() {
		m := t.Method(i)
		var in, out []string
		for j := 1; j < m.Type.NumIn(); j++ {
			in = append(in, m.Type.In(j).String())
		}
		for j := range m.Type.NumOut() {
			out = append(out, m.Type.Out(j).String())
		}
		fmt.Fprintf(&b, "%s(%s) (%s)\n", m.Name, strings.Join(in, ", "), strings.Join(out, ", "))
	}
	return b.String()
}
