// Package trace records and reads condiag traces.
//
// A trace holds every operation of every condiag primitive of one
// process (locks, read locks, try-locks, blocking and unblocking,
// WaitGroup, Cond, Once), the goroutines that performed them with their
// creators, the stacks of lock requests, and the identity of the process.
// `condiag analyze` replays it through the same detectors that run
// online, on another machine or later in CI.
//
// Record a trace by calling [Start] and [Stop], like runtime/trace, or by
// setting CONDIAG_TRACE=path in the environment of any program that uses
// condiag: "%p" in the path stands for the process id, so that every
// process of a tree writes a file of its own. The recorder writes what
// it recorded at least every 100 ms, when a finding is reported, and on
// SIGINT or SIGTERM; a program killed with SIGKILL leaves a trace that is
// readable up to its last write. With CONDIAG_TRACE the goroutines keep
// their buffers in PATH.live, a file mapped into memory, so that what they
// recorded after the last write is there too after an exit without Stop
// or a kill; [OpenFile] reads both. Nothing is dropped: a goroutine whose
// events pile up faster than they are written waits for the write.
//
// # Format
//
// A file starts with the magic "condiag-trace\x00", a format version and
// a header that names the process (pid, parent, command line, start time,
// Go version) and declares every event kind with the types of its
// arguments, so that a reader can skip the kinds it does not know. Then
// come chunks, each framed with its length and a CRC-32C: a chunk defines
// the strings and stacks first used by its events, then holds runs of
// events of one goroutine each. An event is a kind byte, the time since
// the goroutine's previous event and its arguments, all as varints: a
// Lock/Unlock pair takes 7 to 9 bytes, stack included. A reader that
// meets an incomplete chunk at the end of a file (a program killed while
// writing) stops there and says what it skipped; any other damage is a
// *FormatError naming the byte offset.
//
// Cost, on the 2-core machine of docs/performance.md, side by side with
// sync.Mutex in one run: an uncontended Lock/Unlock pair takes 88.5 ns
// with a trace being recorded, against 23 ns without and 12.4 ns for
// sync.Mutex (7.2x; the race detector costs 18x), with no allocation. The
// lock-heavy bank fixture's trace takes 3.7 bytes per event. Reading
// decodes 97 M events/s; `condiag analyze` replays 43 M events/s, against
// 15.5 M events/s for golang.org/x/exp/trace parsing a runtime trace of
// the same workload. Reproduce with:
//
//	go test -run=NONE -bench=Uncontended -benchmem -count=10 ./sync
//	go test -run=NONE -bench='Analyze|Decode|ParseRuntime' -count=10 ./analyze
//
// See docs/tracing.md for how to record and analyse.
package trace

import (
	"io"

	"github.com/condiag/condiag/internal/monitor"
)

// Start starts recording a trace of this process to w. Only one trace
// can be recorded at a time. w receives a write for the header and then
// one for each chunk.
func Start(w io.Writer) error {
	return monitor.StartTrace(w)
}

// Stop stops the recording, writes what is left and returns the first
// error met writing (recording stops at the first one).
func Stop() error { return monitor.StopTrace() }

// IsEnabled reports whether a trace is being recorded.
func IsEnabled() bool { return monitor.Tracing() }
