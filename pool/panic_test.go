package pool_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/condiag/condiag/pool"
)

//go:noinline
func explode(v any) (int, error) { panic(v) }

func TestPanic(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tests := []struct {
		name      string
		give      any
		wantValue string
		wantIs    error // what errors.Is sees through Unwrap; nil if nothing
	}{
		{"string", "kaboom", "kaboom", nil},
		{"error", io.ErrUnexpectedEOF, "unexpected EOF", io.ErrUnexpectedEOF},
		{"runtime error", nil, "runtime error: index out of range [3] with length 0", nil},
	}
	p := pool.New(context.Background(), 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fu := pool.Submit(p, func(context.Context) (int, error) {
				if tt.give == nil {
					var s []int
					i := 3
					return s[i], nil
				}
				return explode(tt.give)
			})
			v, err := wait(t, fu)
			pe, ok := errors.AsType[*pool.PanicError](err)
			if !ok {
				t.Fatalf("Wait = %d, %v; want a *PanicError", v, err)
			}
			if v != 0 {
				t.Errorf("value of a panicked task = %d, want 0", v)
			}
			if got, _ := pe.Value.(error); got != nil {
				if got.Error() != tt.wantValue {
					t.Errorf("Value = %v, want %v", got, tt.wantValue)
				}
			} else if pe.Value != tt.wantValue {
				t.Errorf("Value = %v, want %v", pe.Value, tt.wantValue)
			}
			// The stack is the panicking goroutine's, down from the
			// function that panicked.
			fn := "pool_test.explode"
			if tt.give == nil {
				fn = "pool_test.TestPanic.func"
			}
			if !strings.Contains(string(pe.Stack), fn) {
				t.Errorf("stack does not show %s:\n%s", fn, pe.Stack)
			}
			if !strings.Contains(string(pe.Stack), "pool.(*Pool).work") {
				t.Errorf("stack is not the worker's:\n%s", pe.Stack)
			}
			if msg := err.Error(); !strings.Contains(msg, "pool: task panicked: "+tt.wantValue) || !strings.Contains(msg, fn) {
				t.Errorf("Error() shows neither the value nor the stack:\n%s", msg)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			if _, isRuntime := errors.AsType[runtime.Error](err); isRuntime != (tt.give == nil) {
				t.Errorf("errors.As(runtime.Error) = %v", isRuntime)
			}
		})
	}
	// The pool goes on.
	if v, err := wait(t, pool.Submit(p, func(context.Context) (int, error) { return 5, nil })); v != 5 || err != nil {
		t.Errorf("task after the panics: %d, %v", v, err)
	}
	shutdown(t, p)
}

// TestGoexit: a task that calls runtime.Goexit fails, and the tasks
// queued behind it still run.
func TestGoexit(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := pool.New(context.Background(), 1)
	gate := make(chan struct{})
	first := pool.Submit(p, func(context.Context) (int, error) {
		<-gate
		runtime.Goexit()
		return 1, nil
	})
	next := pool.Submit(p, func(context.Context) (int, error) { return 2, nil })
	close(gate)
	if _, err := wait(t, first); err == nil || !strings.Contains(err.Error(), "runtime.Goexit") {
		t.Errorf("task that called Goexit: %v, want an error naming runtime.Goexit", err)
	}
	if v, err := wait(t, next); v != 2 || err != nil {
		t.Errorf("task after Goexit: %d, %v", v, err)
	}
	shutdown(t, p)
}
