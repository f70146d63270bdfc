package monitor

import (
	"encoding/binary"
	"sync"
	"time"
	"weak"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/detect/starve"
	"github.com/condiag/condiag/internal/callers"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
)

// Op is an operation on a semaphore, barrier, event, queue or pool.
type Op = tracefmt.Op

// The operations, as the trace format numbers them.
const (
	OpSemAcquire   = tracefmt.OpSemAcquire
	OpSemRelease   = tracefmt.OpSemRelease
	OpQueuePut     = tracefmt.OpQueuePut
	OpQueueGet     = tracefmt.OpQueueGet
	OpQueueClose   = tracefmt.OpQueueClose
	OpBarrierWait  = tracefmt.OpBarrierWait
	OpBarrierBreak = tracefmt.OpBarrierBreak
	OpEventSet     = tracefmt.OpEventSet
	OpEventClear   = tracefmt.OpEventClear
	OpTaskSubmit   = tracefmt.OpTaskSubmit
	OpTaskStart    = tracefmt.OpTaskStart
	OpTaskDone     = tracefmt.OpTaskDone
	OpTaskObserved = tracefmt.OpTaskObserved
	OpPoolShutdown = tracefmt.OpPoolShutdown
)

// NewResource returns the state of a new semaphore, barrier, event,
// queue or pool of the given size (permits, capacity, parties, workers;
// 0 if it has none). guard is the primitive's own lock: the primitive
// holds it when it calls [ObjectOp] and [G.BlockOn], and the watchdog
// takes it to read the state. The primitive must never block while
// holding it.
//
// The object's site is its creator's caller, outside condiag.
//
//go:noinline
func NewResource(kind Kind, size int64, guard *sync.Mutex) *Lock {
	l := NewLock(kind)
	l.unsited.Store(false)
	l.npcs = uint8(callers.Get(l.pcs[:]))
	l.pcsReady.Store(true)
	l.res = deadlock.NewResource(size)
	l.guard, l.size = guard, size
	l.creator = Current().goid
	if kind == KindQueue || kind == KindPool {
		register(l)
	}
	return l
}

// ObjectOp records operation op with argument n on o (see the trace
// format's Op numbers for what n is). The caller holds o's guard.
func ObjectOp(o *Lock, op Op, n int64) {
	g := Current()
	switch op {
	case OpTaskSubmit:
		g.submitted(o, n)
	case OpTaskStart:
		var now time.Duration
		if o.res.Timed(n) {
			now = time.Duration(nanotime())
		}
		if waited := o.res.Apply(g.goid, op, n, now); waited >= workFloor() {
			g.startedLate(o, n, waited)
		}
		if r := recording.Load(); r != nil {
			g.top(r, o, op, n, 0)
		}
	default:
		if r := recording.Load(); r != nil {
			g.top(r, o, op, n, 0)
		}
		o.res.Apply(g.goid, op, n, 0)
	}
	if g.gp == 0 {
		g.settle()
	}
}

// submitted records the submission of task n to pool o, with where it
// was submitted.
//
//go:noinline
func (g *G) submitted(o *Lock, n int64) {
	var site deadlock.Site
	site.NPCs = uint8(callers.Get(site.PCs[:]))
	if r := recording.Load(); r != nil {
		var pcs [stackDepth]uintptr
		k := callers.Get(pcs[:])
		g.top(r, o, OpTaskSubmit, n, r.stackID(pcs[:k]))
	}
	var now time.Duration
	if o.res.Busy() {
		now = time.Duration(nanotime()) // it queues: its wait is measured
	}
	o.res.Apply(g.goid, OpTaskSubmit, n, now)
	o.res.SetSite(n, site)
}

// startedLate reports task n of pool o, which waited to start (ST4003).
//
//go:noinline
func (g *G) startedLate(o *Lock, n int64, waited time.Duration) {
	if f, ok := starve.Online().WorkWaited(starve.WorkWait{
		Goroutine: int64(g.goid), Object: o.Info(), Op: OpTaskStart, Size: o.size, Waited: waited,
		Stack: siteFrames(o.res.Site(n)),
	}); ok {
		sink.ReportAsync(f)
	}
}

// workFloor is the shortest wait the online ST4003 check reports.
func workFloor() time.Duration {
	if w := starve.Online().Options().WorkWait; w > 0 {
		return w
	}
	return 1<<63 - 1
}

// BlockOn records that g is about to block in operation op with argument
// n on o, and makes sure the watchdog runs. The caller holds o's guard;
// it releases it and blocks next, then calls [G.Unblocked].
func (g *G) BlockOn(o *Lock, op Op, n int64) {
	g.waitSeq = waitSeqs.Add(1)
	g.waitMode, g.waitOp, g.waitN = Write, op, n
	g.waitLargest = 0
	switch op {
	case OpSemAcquire:
		g.waitLargest = o.res.Largest(g.goid)
		fallthrough
	case OpQueuePut:
		g.waitStart = nanotime() // for ST4003
	}
	if r := recording.Load(); r != nil {
		g.topBlock(r, o, op, n)
	}
	g.waitLock.Store(o)
	wakeWatchdog()
}

// Unblocked records that g's wait in [G.BlockOn] ended.
func (g *G) Unblocked() {
	o := g.waitLock.Load()
	if o == nil {
		return
	}
	if r := recording.Load(); r != nil {
		b := g.tbegin(r, tracefmt.EvOpUnblock)
		b = binary.AppendUvarint(b, o.id)
		b = binary.AppendUvarint(b, uint64(g.waitOp))
		g.tend(b)
	}
	g.waitLock.Store(nil)
	op := g.waitOp
	g.waitOp = 0
	if op != OpQueuePut && op != OpSemAcquire {
		return
	}
	if waited := time.Duration(nanotime() - g.waitStart); waited >= workFloor() {
		g.waitedLong(o, op, waited)
	}
}

// waitedLong reports a Put or Acquire that waited for capacity (ST4003).
//
//go:noinline
func (g *G) waitedLong(o *Lock, op Op, waited time.Duration) {
	if f, ok := starve.Online().WorkWaited(starve.WorkWait{
		Goroutine: int64(g.goid), Object: o.Info(), Op: op, N: g.waitN, Size: o.size,
		Largest: g.waitLargest, Waited: waited, Stack: frames(stackPCs(2)),
	}); ok {
		sink.ReportAsync(f)
	}
}

// siteFrames symbolizes where a task was submitted, nil if unknown.
func siteFrames(s deadlock.Site) []report.Frame {
	if s.NPCs == 0 {
		return nil
	}
	return frames(s.PCs[:s.NPCs])
}

// top records an EvOp, with the stack st (0 for none).
func (g *G) top(r *recorder, o *Lock, op Op, n int64, st uint64) {
	if o.tstate.Load() != r.want {
		r.announce(g, o)
	}
	b := g.tbegin(r, tracefmt.EvOp)
	b = binary.AppendUvarint(b, o.id)
	b = binary.AppendUvarint(b, uint64(op))
	b = binary.AppendUvarint(b, tracefmt.Zigzag(n))
	b = binary.AppendUvarint(b, st)
	g.tend(b)
}

// topBlock records an EvOpBlock with the caller's stack.
//
//go:noinline
func (g *G) topBlock(r *recorder, o *Lock, op Op, n int64) {
	if o.tstate.Load() != r.want {
		r.announce(g, o)
	}
	var pcs [stackDepth]uintptr
	k := callers.Get(pcs[:])
	st := r.stackID(pcs[:k])
	b := g.tbegin(r, tracefmt.EvOpBlock)
	b = binary.AppendUvarint(b, o.id)
	b = binary.AppendUvarint(b, uint64(op))
	b = binary.AppendUvarint(b, tracefmt.Zigzag(n))
	b = binary.AppendUvarint(b, st)
	g.tend(b)
}

// Queues and pools are registered for the leak scan, which reports the
// work left in them ([PendingWork]). The registry holds them weakly.
var (
	regMu   sync.Mutex
	reg     []weak.Pointer[Lock]
	regNext = 64 // compact when reg reaches it
)

func register(l *Lock) {
	regMu.Lock()
	defer regMu.Unlock()
	if len(reg) >= regNext {
		kept := reg[:0]
		for _, p := range reg {
			if p.Value() != nil {
				kept = append(kept, p)
			}
		}
		clear(reg[len(kept):])
		reg = kept
		regNext = max(64, 2*len(reg))
	}
	reg = append(reg, weak.Make(l))
}

// Work is the work left in one queue or pool.
type Work struct {
	Object  deadlock.LockInfo
	Creator int64 // the goroutine that created the queue or pool
	deadlock.Pending
	Submitted []report.Frame // where each task of Unobserved was submitted
}

// PendingWork returns the queues holding items and the pools holding
// results nobody asked for.
func PendingWork() []Work {
	regMu.Lock()
	ls := make([]*Lock, 0, len(reg))
	for _, p := range reg {
		if l := p.Value(); l != nil {
			ls = append(ls, l)
		}
	}
	regMu.Unlock()
	var out []Work
	for _, l := range ls {
		l.guard.Lock()
		p := l.res.Pending()
		l.guard.Unlock()
		if p.Items == 0 && len(p.Unobserved) == 0 && p.More == 0 {
			continue
		}
		w := Work{Object: l.Info(), Creator: int64(l.creator), Pending: p}
		for _, site := range p.Sites {
			var at report.Frame
			if fs := siteFrames(site); len(fs) > 0 {
				at = fs[0]
			}
			w.Submitted = append(w.Submitted, at)
		}
		out = append(out, w)
	}
	return out
}
