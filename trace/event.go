package trace

import (
	"fmt"
	"strings"
	"time"

	"github.com/condiag/condiag/internal/tracefmt"
)

// Kind is the kind of an event. Numbers are permanent.
type Kind uint8

// The event kinds of format version 1.
const (
	EvGoroutine  = Kind(tracefmt.EvGoroutine)  // first event of a goroutine: Arg is its creator, Stack where it was created, Arg2 the exited goroutine whose runtime structure it reuses (0 if none)
	EvObject     = Kind(tracefmt.EvObject)     // first event about Obj: Arg is its ObjKind, Stack where it was first used
	EvClass      = Kind(tracefmt.EvClass)      // SetClass(Obj, Str)
	EvSubclass   = Kind(tracefmt.EvSubclass)   // SetSubclass(Obj, Arg)
	EvName       = Kind(tracefmt.EvName)       // SetName(Obj, Str)
	EvLock       = Kind(tracefmt.EvLock)       // Lock of Obj called at Stack; granted unless EvBlock follows
	EvRLock      = Kind(tracefmt.EvRLock)      // RLock of Obj called at Stack; granted unless EvBlock follows
	EvTryLock    = Kind(tracefmt.EvTryLock)    // TryLock of Obj succeeded, at Stack
	EvTryRLock   = Kind(tracefmt.EvTryRLock)   // TryRLock of Obj succeeded, at Stack
	EvTryFail    = Kind(tracefmt.EvTryFail)    // TryLock of Obj failed
	EvTryRFail   = Kind(tracefmt.EvTryRFail)   // TryRLock of Obj failed
	EvBlock      = Kind(tracefmt.EvBlock)      // the goroutine's Lock or RLock of Obj blocks
	EvUnblock    = Kind(tracefmt.EvUnblock)    // ... and was granted
	EvUnlock     = Kind(tracefmt.EvUnlock)     // Unlock of Obj
	EvRUnlock    = Kind(tracefmt.EvRUnlock)    // RUnlock of Obj
	EvWGAdd      = Kind(tracefmt.EvWGAdd)      // WaitGroup Obj: Add(Arg); Done is Add(-1)
	EvWGWait     = Kind(tracefmt.EvWGWait)     // WaitGroup Obj: Wait called at Stack
	EvWGWaited   = Kind(tracefmt.EvWGWaited)   // WaitGroup Obj: Wait returned
	EvCondWait   = Kind(tracefmt.EvCondWait)   // Cond Obj: Wait called at Stack; Arg is its locker (0 if not condiag's)
	EvCondWoken  = Kind(tracefmt.EvCondWoken)  // Cond Obj: Wait woke up, before relocking
	EvCondSignal = Kind(tracefmt.EvCondSignal) // Cond Obj: Signal
	EvCondBcast  = Kind(tracefmt.EvCondBcast)  // Cond Obj: Broadcast
	EvMisuse     = Kind(tracefmt.EvMisuse)     // misuse Str of Obj (0 if it has no state) of ObjKind Arg, at Stack
	EvHang       = Kind(tracefmt.EvHang)       // the DL1005 threshold is now Arg ns (0 or less: off)
	EvOp         = Kind(tracefmt.EvOp)         // operation Op(Arg) on the semaphore, barrier, event, queue or pool Obj; Arg2 is its n (see Op); Stack where a task was submitted
	EvOpBlock    = Kind(tracefmt.EvOpBlock)    // the goroutine blocks in operation Op(Arg) on Obj, called at Stack; Arg2 is its n
	EvOpUnblock  = Kind(tracefmt.EvOpUnblock)  // ... and stopped waiting
	EvAccess     = Kind(tracefmt.EvAccess)     // a read (Arg 0) or write (Arg 1) of the declared location Obj, at Stack
	EvSync       = Kind(tracefmt.EvSync)       // a hand-off for the race checks through Obj: Arg is SyncRelease or SyncAcquire
	EvUnguarded  = Kind(tracefmt.EvUnguarded)  // a race.Guarded value of type Str read (Arg 0) or written (Arg 1) at Stack without its lock Obj held; Arg2 is the goroutine holding it, 0 if none
	EvHeld       = Kind(tracefmt.EvHeld)       // after the goroutine's Goroutine event: it holds Obj, for writing if Arg is 1, taken at Stack before its events of the trace began
)

// The operations of an EvSync event, in Arg.
const (
	SyncRelease = tracefmt.SyncRelease // what the goroutine did so far is handed over through Obj
	SyncAcquire = tracefmt.SyncAcquire // the goroutine receives what was handed over through Obj
)

// Op is the operation of an EvOp or EvOpBlock event, in Arg; what the n
// in Arg2 means depends on it. For EvOpBlock it is what the goroutine
// waits to do. Numbers are permanent.
type Op int64

// Operations.
const (
	OpSemAcquire   = Op(tracefmt.OpSemAcquire)   // n permits acquired (blocks: n requested)
	OpSemRelease   = Op(tracefmt.OpSemRelease)   // n permits released
	OpQueuePut     = Op(tracefmt.OpQueuePut)     // an item put, n items now (blocks: full, n its capacity)
	OpQueueGet     = Op(tracefmt.OpQueueGet)     // an item taken, n left (blocks: empty)
	OpQueueClose   = Op(tracefmt.OpQueueClose)   // closed with n items left
	OpBarrierWait  = Op(tracefmt.OpBarrierWait)  // arrived in generation n (blocks: waits for the other parties)
	OpBarrierBreak = Op(tracefmt.OpBarrierBreak) // the barrier broke in generation n
	OpEventSet     = Op(tracefmt.OpEventSet)     // set (blocks: waits for Set)
	OpEventClear   = Op(tracefmt.OpEventClear)   // cleared
	OpTaskSubmit   = Op(tracefmt.OpTaskSubmit)   // task n submitted
	OpTaskStart    = Op(tracefmt.OpTaskStart)    // task n started on this goroutine
	OpTaskDone     = Op(tracefmt.OpTaskDone)     // task n returned (blocks: waits for its result)
	OpTaskObserved = Op(tracefmt.OpTaskObserved) // task n's result was asked for
	OpPoolShutdown = Op(tracefmt.OpPoolShutdown) // the pool shuts down (blocks: waits for its tasks)
	OpSize         = Op(tracefmt.OpSize)         // the object's size is n
)

func (o Op) String() string {
	if o > 0 && int(o) < len(tracefmt.OpNames) {
		return tracefmt.OpNames[o]
	}
	return fmt.Sprintf("Op(%d)", int64(o))
}

// String returns the kind's name, as the trace header gives it.
func (k Kind) String() string {
	if int(k) < len(tracefmt.Specs) && tracefmt.Specs[k].Name != "" {
		return tracefmt.Specs[k].Name
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ObjKind is the kind of an object: the Arg of EvObject and EvMisuse.
type ObjKind int64

// Object kinds.
const (
	ObjMutex     = ObjKind(tracefmt.ObjMutex)
	ObjRWMutex   = ObjKind(tracefmt.ObjRWMutex)
	ObjOnce      = ObjKind(tracefmt.ObjOnce)
	ObjWaitGroup = ObjKind(tracefmt.ObjWaitGroup)
	ObjCond      = ObjKind(tracefmt.ObjCond)
	ObjSemaphore = ObjKind(tracefmt.ObjSemaphore)
	ObjBarrier   = ObjKind(tracefmt.ObjBarrier)
	ObjEvent     = ObjKind(tracefmt.ObjEvent)
	ObjQueue     = ObjKind(tracefmt.ObjQueue)
	ObjPool      = ObjKind(tracefmt.ObjPool)
	ObjVar       = ObjKind(tracefmt.ObjVar)
	ObjEdge      = ObjKind(tracefmt.ObjEdge)
)

func (k ObjKind) String() string {
	if k > 0 && int(k) < len(tracefmt.ObjKindNames) {
		return tracefmt.ObjKindNames[k]
	}
	return fmt.Sprintf("ObjKind(%d)", int64(k))
}

// StackID refers to a stack of the trace; 0 means none.
type StackID uint64

// Event is one event of a trace. Which fields mean something depends on
// the kind (see the kinds' comments); the others are zero. An event of a
// kind this package does not know (written by a newer condiag) still
// has its fields filled from the argument types the file declares.
type Event struct {
	Kind  Kind
	Time  time.Duration // since the trace started
	G     uint64        // goroutine
	Obj   uint64        // object: lock, wait group or cond
	Arg   int64
	Arg2  int64 // a second number, for the kinds that have one
	Str   string
	Stack StackID
}

// String formats e in the text form `condiag dump` prints, without
// resolving its stack.
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%14.6fms G%d %s", float64(e.Time)/1e6, e.G, e.Kind)
	if e.Obj != 0 {
		fmt.Fprintf(&b, " obj=%d", e.Obj)
	}
	switch e.Kind {
	case EvGoroutine:
		fmt.Fprintf(&b, " creator=G%d", e.Arg)
		if e.Arg2 != 0 {
			fmt.Fprintf(&b, " reuses=G%d", e.Arg2)
		}
	case EvAccess, EvUnguarded, EvHeld:
		if e.Arg != 0 {
			b.WriteString(" write")
		} else {
			b.WriteString(" read")
		}
		if e.Kind == EvUnguarded && e.Arg2 != 0 {
			fmt.Fprintf(&b, " holder=G%d", e.Arg2)
		}
	case EvSync:
		switch e.Arg {
		case SyncRelease:
			b.WriteString(" release")
		case SyncAcquire:
			b.WriteString(" acquire")
		default:
			fmt.Fprintf(&b, " op=%d", e.Arg)
		}
	case EvObject, EvMisuse:
		fmt.Fprintf(&b, " kind=%s", ObjKind(e.Arg))
	case EvSubclass:
		fmt.Fprintf(&b, " subclass=%d", e.Arg)
	case EvWGAdd:
		fmt.Fprintf(&b, " delta=%d", e.Arg)
	case EvCondWait:
		fmt.Fprintf(&b, " lock=%d", e.Arg)
	case EvOp, EvOpBlock:
		fmt.Fprintf(&b, " %s n=%d", Op(e.Arg), e.Arg2)
	case EvOpUnblock:
		fmt.Fprintf(&b, " %s", Op(e.Arg))
	case EvUnblock:
		if e.Arg != 0 {
			fmt.Fprintf(&b, " overtaken=%d", e.Arg)
		}
	default:
		if e.Arg != 0 {
			fmt.Fprintf(&b, " arg=%d", e.Arg)
		}
	}
	if e.Str != "" {
		fmt.Fprintf(&b, " %q", e.Str)
	}
	if e.Stack != 0 {
		fmt.Fprintf(&b, " stack=%d", e.Stack)
	}
	return b.String()
}
