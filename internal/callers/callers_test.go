package callers

import (
	"runtime"
	"testing"
)

func TestFastOnSupportedArch(t *testing.T) {
	if (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") && !Fast() {
		t.Error("frame-pointer walk rejected at start-up")
	}
}

//go:noinline
func outer(pcs []uintptr) (int, []uintptr) { return inner(pcs) }

//go:noinline
func inner(pcs []uintptr) (int, []uintptr) {
	want := make([]uintptr, len(pcs))
	nw := runtime.Callers(2, want)
	return Get(pcs), want[:nw]
}

func TestGetMatchesRuntimeCallers(t *testing.T) {
	pcs := make([]uintptr, 8)
	n, want := outer(pcs)
	if n < 3 {
		t.Fatalf("Get returned %d frames", n)
	}
	for i := range min(n, len(want)) - 1 { // the outermost frames may differ past goexit
		if pcs[i] != want[i] {
			t.Fatalf("frame %d: Get %#x, runtime.Callers %#x", i, pcs[i], want[i])
		}
	}
	f, _ := runtime.CallersFrames(pcs[:1]).Next()
	if f.Function != "github.com/condiag/condiag/internal/callers.outer" {
		t.Errorf("first frame is %s, want callers.outer", f.Function)
	}
}

func BenchmarkGet(b *testing.B) {
	pcs := make([]uintptr, 6)
	b.Run("framepointers", func(b *testing.B) {
		for b.Loop() {
			Get(pcs)
		}
	})
	b.Run("runtime.Callers", func(b *testing.B) {
		for b.Loop() {
			runtime.Callers(2, pcs)
		}
	})
}

func TestCaller(t *testing.T) {
	if !Fast() {
		t.Skip("no frame-pointer walk here")
	}
	got, want := callerProbe()
	if got != want || got == 0 {
		t.Fatalf("Caller() = %#x, runtime.Callers says %#x", got, want)
	}
	fr, _ := runtime.CallersFrames([]uintptr{got}).Next()
	if fr.Function != "github.com/condiag/condiag/internal/callers.TestCaller" {
		t.Errorf("Caller() is in %s, want TestCaller", fr.Function)
	}
}

//go:noinline
func callerProbe() (uintptr, uintptr) {
	got := Caller()
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:])
	return got, pcs[0]
}

func BenchmarkCaller(b *testing.B) {
	for b.Loop() {
		sinkPC = callerProbeOnly()
	}
}

var sinkPC uintptr

//go:noinline
func callerProbeOnly() uintptr { return Caller() }
