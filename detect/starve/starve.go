// Package starve finds starvation: a lock waiter overtaken again and
// again (ST4001), a writer kept out of an RWMutex by its readers
// (ST4002), work that waits too long for the capacity of a queue, pool or
// semaphore (ST4003); and it builds the contention report of `condiag
// analyze` (CT5001, see [Contention]).
//
// A [Detector] is fed with waits that ended. internal/monitor feeds one
// while the program runs, and `condiag analyze` feeds another from the
// trace's events (Block and Unblock, OpBlock and OpUnblock, TaskSubmit
// and TaskStart), with the same numbers: the overtaking count is measured
// online and written into the trace. The thresholds are [Options], with
// documented defaults; the CONDIAG_STARVE environment variable sets them
// for the online detector.
package starve

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
)

// Options are the thresholds of the starvation checks. A zero field
// takes its default; a negative one turns its check off.
type Options struct {
	// Overtaken and LockWait: ST4001 reports a Lock (or the write Lock
	// of an RWMutex) that waited at least LockWait while at least
	// Overtaken acquisitions by goroutines that asked later went first.
	// Defaults 10 and 100ms.
	Overtaken int
	LockWait  time.Duration
	// WriterWait: ST4002 reports a write Lock of an RWMutex that found
	// it read-held and waited at least WriterWait. Default 100ms.
	WriterWait time.Duration
	// WorkWait: ST4003 reports a Put into a full queue, an Acquire of a
	// semaphore and a pool task that waited at least WorkWait for
	// capacity. Default 1s.
	WorkWait time.Duration
}

// Defaults.
const (
	DefaultOvertaken  = 10
	DefaultLockWait   = 100 * time.Millisecond
	DefaultWriterWait = 100 * time.Millisecond
	DefaultWorkWait   = time.Second
)

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.Overtaken == 0 {
		o.Overtaken = DefaultOvertaken
	}
	def(&o.LockWait, DefaultLockWait)
	def(&o.WriterWait, DefaultWriterWait)
	def(&o.WorkWait, DefaultWorkWait)
	return o
}

// ParseOptions parses the CONDIAG_STARVE form of options: comma-separated
// key=value pairs, keys overtaken, lock, writer and work, durations in
// time.ParseDuration's form, "off" for a negative value. Example:
// "writer=50ms,work=off".
func ParseOptions(s string) (Options, error) {
	var o Options
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return o, fmt.Errorf("%q: want key=value", kv)
		}
		if k == "overtaken" {
			n, err := strconv.Atoi(v)
			if v == "off" {
				n, err = -1, nil
			}
			if err != nil {
				return o, fmt.Errorf("overtaken=%s: want a count", v)
			}
			o.Overtaken = n
			continue
		}
		d, err := time.ParseDuration(v)
		if v == "off" {
			d, err = -1, nil
		}
		if err != nil {
			return o, fmt.Errorf("%s=%s: want a duration such as 100ms, or off", k, v)
		}
		switch k {
		case "lock":
			o.LockWait = d
		case "writer":
			o.WriterWait = d
		case "work":
			o.WorkWait = d
		default:
			return o, fmt.Errorf("unknown key %q (want overtaken, lock, writer or work)", k)
		}
	}
	return o, nil
}

// Detector checks waits against its options. It is safe for concurrent
// use.
type Detector struct {
	opts Options
}

// New returns a detector with the given options.
func New(o Options) *Detector { return &Detector{opts: o.withDefaults()} }

// Options returns d's options, defaults filled in.
func (d *Detector) Options() Options { return d.opts }

// LockFloor returns the shortest lock wait d could report: shorter ones
// need not be passed to [Detector.LockWaited].
func (d *Detector) LockFloor() time.Duration { return floorOf(d.opts) }

func floorOf(o Options) time.Duration {
	f := time.Duration(1<<63 - 1)
	for _, w := range []time.Duration{o.LockWait, o.WriterWait} {
		if w > 0 {
			f = min(f, w)
		}
	}
	return f
}

// LockWait is a wait for a lock that ended with its acquisition.
type LockWait struct {
	Goroutine int64
	Lock      deadlock.LockInfo
	Mode      deadlock.Mode
	Waited    time.Duration
	Overtaken int  // acquisitions by goroutines that asked after it
	ReadHeld  bool // the lock was read-held when the wait began
	Stack     []report.Frame
}

// LockWaited returns the finding for w, if its wait was starvation.
func (d *Detector) LockWaited(w LockWait) (report.Finding, bool) {
	o := d.opts
	var f report.Finding
	switch {
	case w.Mode == deadlock.ModeWrite && w.Lock.Kind == "RWMutex" && w.ReadHeld && o.WriterWait > 0 && w.Waited >= o.WriterWait:
		f = report.New("ST4002")
		f.Message = fmt.Sprintf("writer starved by readers: goroutine %d waited %s to lock %s, which readers held",
			w.Goroutine, round(w.Waited), w.Lock.Report().Label())
	case w.Mode == deadlock.ModeWrite && o.Overtaken > 0 && o.LockWait > 0 && w.Overtaken >= o.Overtaken && w.Waited >= o.LockWait:
		f = report.New("ST4001")
		f.Message = fmt.Sprintf("lock starvation: goroutine %d waited %s to lock %s and was overtaken %d times",
			w.Goroutine, round(w.Waited), w.Lock.Report().Label(), w.Overtaken)
	default:
		return f, false
	}
	f.Confidence = report.Observed
	f.Locks = []report.Lock{w.Lock.Report()}
	f.Goroutines = []report.Goroutine{{ID: w.Goroutine, State: "waited", Stack: w.Stack, WaitsFor: w.Lock.ID, WaitMode: w.Mode.String()}}
	if len(w.Stack) > 0 {
		f.Location = w.Stack[0]
	}
	return f, true
}

// WorkWait is a wait for the capacity of a queue, semaphore or pool.
type WorkWait struct {
	Goroutine int64
	Object    deadlock.LockInfo
	Op        deadlock.Op // OpQueuePut, OpSemAcquire or OpTaskStart
	N         int64       // permits asked for, for a semaphore
	Size      int64       // capacity, permits or workers
	// Largest is the most permits another goroutine held when the wait
	// began, for a semaphore (0 if unknown).
	Largest int64
	Waited  time.Duration
	Stack   []report.Frame // where the wait began (the Submit, for a task)
}

// WorkWaited returns the finding for w, if it waited too long.
func (d *Detector) WorkWaited(w WorkWait) (report.Finding, bool) {
	if d.opts.WorkWait <= 0 || w.Waited < d.opts.WorkWait {
		return report.Finding{}, false
	}
	f := report.New("ST4003")
	label := w.Object.Report().Label()
	switch w.Op {
	case tracefmt.OpQueuePut:
		f.Message = fmt.Sprintf("queue starvation: goroutine %d waited %s to put into %s, full at its capacity of %d",
			w.Goroutine, round(w.Waited), label, w.Size)
	case tracefmt.OpSemAcquire:
		f.Message = fmt.Sprintf("semaphore starvation: goroutine %d waited %s to acquire %d of the %d permits of %s",
			w.Goroutine, round(w.Waited), w.N, w.Size, label)
		if w.Largest > 0 && w.N > w.Largest {
			f.Message += fmt.Sprintf(", more than any other holder held (at most %d): a large request waits for many small holds to end", w.Largest)
		}
	case tracefmt.OpTaskStart:
		f.Message = fmt.Sprintf("pool starvation: a task submitted by goroutine %d waited %s to start, all %d workers of %s busy",
			w.Goroutine, round(w.Waited), w.Size, label)
	default:
		return f, false
	}
	f.Confidence = report.Observed
	f.Locks = []report.Lock{w.Object.Report()}
	f.Goroutines = []report.Goroutine{{ID: w.Goroutine, State: "waited", Stack: w.Stack, WaitsFor: w.Object.ID}}
	if len(w.Stack) > 0 {
		f.Location = w.Stack[0]
	}
	return f, true
}

// round rounds a wait for a message.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}

var (
	onlineMu sync.Mutex // serializes setting online
	online   atomic.Pointer[Detector]
	// floor is the shortest lock wait the online checks could report.
	floor atomic.Int64
)

// LockFloor returns the shortest lock wait the online ST4001 and ST4002
// checks could report, for the monitor to skip the check of shorter
// ones without a lock.
func LockFloor() time.Duration {
	if f := floor.Load(); f != 0 {
		return time.Duration(f)
	}
	Online()
	return time.Duration(floor.Load())
}

func setOnline(d *Detector) {
	online.Store(d)
	floor.Store(int64(floorOf(d.opts)))
}

// Online returns the detector the running program's primitives feed.
func Online() *Detector {
	if d := online.Load(); d != nil {
		return d
	}
	onlineMu.Lock()
	defer onlineMu.Unlock()
	if online.Load() == nil {
		var o Options
		if v := os.Getenv("CONDIAG_STARVE"); v != "" {
			var err error
			if o, err = ParseOptions(v); err != nil {
				fmt.Fprintf(os.Stderr, "condiag: CONDIAG_STARVE=%s: %v; using the defaults\n", v, err)
				o = Options{}
			}
		}
		setOnline(New(o))
	}
	return online.Load()
}

// SetOptions sets the thresholds of the online checks and returns the
// previous ones.
func SetOptions(o Options) Options {
	old := Online().Options()
	onlineMu.Lock()
	setOnline(New(o))
	onlineMu.Unlock()
	return old
}

// Findings returns the starvation findings (IDs ST4xxx) reported in this
// process so far.
func Findings() []report.Finding {
	var out []report.Finding
	for _, f := range sink.Findings() {
		if strings.HasPrefix(f.ID, "ST") {
			out = append(out, f)
		}
	}
	return out
}
