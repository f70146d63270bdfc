// Package callers captures the return addresses of the calling goroutine's
// stack, cheaply.
//
// On amd64 and arm64, Go functions keep a frame pointer, and the chain of
// saved frame pointers gives the return addresses without the runtime's
// unwinder (which decodes tables for every frame and costs most of
// runtime.Callers). This is how Go's execution tracer captures stacks.
// The walk is verified at start-up against runtime.Callers; if it
// disagrees, or on other architectures, runtime.Callers is used.
package callers

import "runtime"

// fast is set at init when the frame-pointer walk matches runtime.Callers;
// callerOK when [Caller] does (read by its assembly).
var fast, callerOK bool

func init() {
	fast = hasFP && verify()
	callerOK = fast
	if got, want := probeCaller(); got != want || got == 0 {
		callerOK = false
	}
}

// Fast reports whether the frame-pointer walk is in use.
func Fast() bool { return fast }

// Get fills pcs with the return addresses of the caller's callers, like
// runtime.Callers(2, pcs) called from the function that calls Get: pcs[0]
// is in the function that called Get's caller. It returns how many it
// wrote. The addresses can be symbolized with runtime.CallersFrames.
//
//go:noinline
func Get(pcs []uintptr) int {
	if !fast {
		return runtime.Callers(3, pcs)
	}
	if len(pcs) == 0 {
		return 0
	}
	// getfp gives Get's frame; its saved frame pointer is the caller's.
	return walk(load(getfp()), &pcs[0], len(pcs))
}

// verify compares the walk with runtime.Callers from a known chain.
func verify() bool {
	var got, want [4]uintptr
	ng, nw := probeA(got[:], want[:])
	if ng < 3 || nw < 3 {
		return false
	}
	for i := range 3 {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

//go:noinline
func probeA(got, want []uintptr) (int, int) { return probeB(got, want) }

//go:noinline
func probeB(got, want []uintptr) (int, int) { return probeC(got, want) }

//go:noinline
func probeC(got, want []uintptr) (int, int) {
	nw := runtime.Callers(2, want)
	ng := Get(got)
	return ng, nw
}

// probeCaller returns what Caller and runtime.Callers say of the call of
// probeCaller.
//
//go:noinline
func probeCaller() (got, want uintptr) {
	got = Caller()
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:])
	return got, pcs[0]
}
