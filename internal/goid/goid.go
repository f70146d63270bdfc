// Package goid identifies the current goroutine cheaply and correctly.
//
// The fast method reads the runtime's g pointer (one assembly instruction)
// and the goroutine id stored at an offset inside it. The offset is not
// hard-coded: at start-up it is searched for and then verified against the
// id that runtime.Stack prints in its "goroutine N [" header, on several
// goroutines. If the search or the verification fails (a new Go release
// changed the layout, or the architecture has no assembly here), every call
// falls back to parsing runtime.Stack, which is slow but always right.
// Setting CONDIAG_GOID=slow in the environment forces the fallback.
package goid

import (
	"os"
	"runtime"
	"strconv"
)

// Invariants:
//   - offset is written once, in init, before any other function of this
//     package can run, and only ever read afterwards.
//   - offset == 0 means "no fast method": G and ID use runtime.Stack.
var offset uintptr

// maxOffset bounds the search inside the runtime's g structure, which is
// several hundred bytes long in every Go release so far.
const maxOffset = 320

func init() {
	if os.Getenv("CONDIAG_GOID") == "slow" {
		return // forced fallback, for tests and as a safety valve
	}
	offset = discover()
}

// Fast reports whether the fast method is in use.
func Fast() bool { return offset != 0 }

// G returns an opaque word identifying the current goroutine's runtime
// structure, and the goroutine's id. The word is stable while the goroutine
// lives but is reused by the runtime for later goroutines; the id is never
// reused. Without the fast method the word is 0.
func G() (g uintptr, id uint64) {
	if offset == 0 {
		return 0, slowID()
	}
	return getgWord(offset)
}

// ID returns the current goroutine's id, as runtime.Stack prints it.
func ID() uint64 {
	_, id := G()
	return id
}

// slowID parses the "goroutine N [" header that runtime.Stack writes.
func slowID() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	id, ok := parseHeader(buf[:n])
	if !ok {
		panic("condiag/goid: cannot parse runtime.Stack header " + strconv.Quote(string(buf[:n])))
	}
	return id
}

// parseHeader extracts N from "goroutine N [...".
func parseHeader(b []byte) (uint64, bool) {
	const prefix = "goroutine "
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0, false
	}
	b = b[len(prefix):]
	var id uint64
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		id = id*10 + uint64(b[n]-'0')
		n++
	}
	if n == 0 || n == len(b) || b[n] != ' ' {
		return 0, false
	}
	return id, true
}

// discover finds the offset of the goroutine id inside g and verifies it
// on the current goroutine and on several fresh ones. It returns 0 when
// the fast method cannot be trusted.
func discover() uintptr {
	if !hasGetg {
		return 0
	}
	g := getg()
	want := slowID()
	var candidates []uintptr
	for off := uintptr(8); off < maxOffset; off += 8 {
		if load(g+off) == want {
			candidates = append(candidates, off)
		}
	}
	for _, off := range candidates {
		if verify(off) {
			return off
		}
	}
	return 0
}

// verify checks off on several new goroutines, which have distinct ids.
func verify(off uintptr) bool {
	const probes = 4
	ok := make(chan bool, probes)
	for range probes {
		go func() {
			ok <- load(getg()+off) == slowID()
		}()
	}
	all := true
	for range probes {
		all = <-ok && all
	}
	return all
}
