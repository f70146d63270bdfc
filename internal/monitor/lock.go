package monitor

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/internal/callers"
	"github.com/condiag/condiag/internal/racecheck"
	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
)

// Mode is the mode a lock is held or requested in.
type Mode = deadlock.Mode

const (
	Write = deadlock.ModeWrite
	Read  = deadlock.ModeRead
)

// Kind is the kind of primitive a Lock belongs to. The zero value is
// invalid.
type Kind uint8

const (
	KindInvalid Kind = iota
	KindMutex
	KindRWMutex
	KindOnce
	KindWaitGroup
	KindCond
	KindSemaphore
	KindBarrier
	KindEvent
	KindQueue
	KindPool
	KindVar
	KindEdge
)

// The kinds are the trace format's object kinds.
var kindNames = tracefmt.ObjKindNames

var _ = [1]struct{}{}[KindEdge+1-tracefmt.NumObjKinds]

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Lock is the monitor's state of one lock instance. An instrumented
// primitive allocates it on first use ([NewLock]) and keeps a pointer to
// it; when the primitive becomes unreachable, so does its Lock, and a
// cleanup removes it from the lock-order graph.
type Lock struct {
	id   uint64
	kind Kind
	// owner is the goroutine id of the write holder, 0 when not
	// write-held. See the package invariants.
	owner uint64
	// rEpoch is bumped when a goroutine releases a read hold that it did
	// not take itself, which invalidates read entries of other goroutines.
	rEpoch atomic.Uint32
	// unsited is set until the first acquisition records its stack in
	// pcs, and pcsReady once it has.
	unsited  atomic.Bool
	pcsReady atomic.Bool
	pcs      [6]uintptr
	npcs     uint8
	// selfReported is set once DL1004 was reported for this instance.
	selfReported atomic.Uint32
	// handedOver is set once a goroutine released a hold it did not
	// take: the lock is used like a semaphore, and a goroutine asking for
	// it while holding it may be waiting for another to release it.
	handedOver atomic.Bool
	// count is a WaitGroup's counter (NewWaitGroup), nil for others.
	count *atomic.Int64
	// tstate is 2*gen+1 once the lock was announced in the trace of
	// generation gen, 2*gen while it is being announced.
	tstate atomic.Uint64
	// For a semaphore, barrier, event, queue or pool (object.go): its
	// wait-for state, guarded by guard, the primitive's own lock; and
	// its size.
	res     *deadlock.Resource
	guard   *sync.Mutex
	size    int64
	creator uint64
	// For ST4001: grants counts write acquisitions (written while
	// write-held, so ordered by the lock itself); nwait the goroutines
	// blocked on the lock.
	grants uint64
	nwait  atomic.Int32
	// hb is the lock's state in the race checks, ho the object's as a
	// hand-off (Signal, Await), made when they first meet it (hb.go).
	// A Once's lock has both: the lock's clocks are ordered by the lock,
	// the hand-off's by its own spin lock.
	hb, ho atomic.Pointer[racecheck.Sync]

	// Guarded by slowMu.
	resolved bool         // site and class were worked out from pcs
	site     report.Frame // where the instance was first acquired
	class    *class       // nil until named or first acquired
	subclass int
	name     string
	inGraph  bool
}

// ID returns the lock's instance id, unique in the process.
func (l *Lock) ID() uint64 { return l.id }

// class is a lock class: a user-given name, or the site where instances
// were first acquired.
type class struct {
	key   string
	site  report.Frame
	named bool // given by SetClass
}

var (
	nextLockID atomic.Uint64

	slowMu  sync.Mutex
	byPC    = map[uintptr]*class{}
	byName  = map[string]*class{}
	unknown = &class{key: "never acquired"}
)

// NewLock returns the state of a new lock instance. Its site (and its
// class, unless named) is found at its first acquisition.
func NewLock(kind Kind) *Lock {
	l := &Lock{id: nextLockID.Add(1), kind: kind}
	l.unsited.Store(true)
	return l
}

// sited makes sure l knows where it was first acquired; the caller is
// acquiring it (or about to wait for it).
func (l *Lock) sited() {
	if l.unsited.Load() {
		l.fillSite()
	}
}

// fillSite records the caller's stack as l's first acquisition. It takes
// no lock: the site and, unless named, the class are worked out from it
// when a report or the graph first needs them ([Lock.resolve]).
//
//go:noinline
func (l *Lock) fillSite() {
	if !l.unsited.CompareAndSwap(true, false) {
		return
	}
	l.npcs = uint8(callers.Get(l.pcs[:]))
	l.pcsReady.Store(true)
}

// SiteFromCallers records the caller's stack as l's first acquisition
// with runtime.Callers, which sees inlined frames, for a caller that may
// be inlined into the user's code. It does nothing if the site is known.
//
//go:noinline
func (l *Lock) SiteFromCallers() {
	if !l.unsited.CompareAndSwap(true, false) {
		return
	}
	l.npcs = uint8(runtime.Callers(2, l.pcs[:]))
	l.pcsReady.Store(true)
}

// resolve turns the recorded stack into a site and a class. slowMu is
// held.
func (l *Lock) resolve() {
	if l.resolved || l.unsited.Load() {
		return
	}
	for !l.pcsReady.Load() {
		runtime.Gosched() // the first acquirer is writing pcs right now
	}
	c := classAt(l.pcs[:l.npcs])
	l.site = c.site
	if l.class == nil {
		l.class = c
	}
	l.resolved = true
}

// classAt returns the class of the first user frame in pcs. slowMu is
// held. A pc may stand for several frames when calls were inlined (one of
// ours into the user's code, say): all of them are looked at.
func classAt(pcs []uintptr) *class {
	for _, pc := range pcs {
		c, ok := byPC[pc]
		if !ok {
			c = userClass(pc)
			byPC[pc] = c
		}
		if c != nil {
			return c
		}
	}
	return unknown
}

// userClass returns the class of the innermost user frame at pc, or nil
// if every frame there is condiag's own. slowMu is held.
func userClass(pc uintptr) *class {
	it := runtime.CallersFrames([]uintptr{pc})
	for {
		f, more := it.Next()
		if f.Function != "" && !isOwnFrame(f.Function) {
			site := report.Frame{Func: f.Function, File: f.File, Line: f.Line}
			key := site.String()
			c := byName[key]
			if c == nil {
				c = &class{key: key, site: site}
				byName[key] = c
			}
			return c
		}
		if !more {
			return nil
		}
	}
}

const modulePath = "github.com/condiag/condiag/"

// isOwnFrame reports whether fn is a function of condiag's primitives or
// internals, which reports leave out of user stacks.
func isOwnFrame(fn string) bool {
	if !strings.HasPrefix(fn, modulePath) {
		return false
	}
	rest := fn[len(modulePath):]
	if strings.Contains(rest, "_test.") {
		return false // condiag's own tests are users
	}
	for _, p := range ownPackages {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	return false
}

// ownPackages are the packages of condiag's primitives and internals,
// below the module path.
var ownPackages = []string{"sync.", "sync/", "internal/", "detect/", "queue.", "pool."}

// SetClass names the class of l. Locks with the same name share a node
// in the class graph.
func SetClass(l *Lock, name string) {
	slowMu.Lock()
	defer slowMu.Unlock()
	c := byName["name:"+name]
	if c == nil {
		c = &class{key: name, named: true}
		byName["name:"+name] = c
	}
	l.class = c
	traceNaming(l, tracefmt.EvClass, name, 0)
}

// SetSubclass sets the subclass of l, for nesting locks of one class
// (levels of a hierarchy).
func SetSubclass(l *Lock, n int) {
	slowMu.Lock()
	defer slowMu.Unlock()
	l.subclass = n
	traceNaming(l, tracefmt.EvSubclass, "", n)
}

// SetName gives l an instance name for reports.
func SetName(l *Lock, name string) {
	slowMu.Lock()
	defer slowMu.Unlock()
	l.name = name
	traceNaming(l, tracefmt.EvName, name, 0)
}

// info describes l for the detectors. slowMu is held.
func (l *Lock) info() deadlock.LockInfo {
	l.resolve()
	c := l.class
	if c == nil {
		c = unknown
	}
	key := c.key
	if l.subclass != 0 {
		key = fmt.Sprintf("%s/%d", key, l.subclass)
	}
	return deadlock.LockInfo{
		ID: l.id, Kind: l.kind.String(), Class: key, Name: l.name,
		FirstLocked: l.site,
		Named:       c.named || l.subclass != 0,
	}
}

// Info describes l for a report.
func (l *Lock) Info() deadlock.LockInfo {
	slowMu.Lock()
	defer slowMu.Unlock()
	return l.info()
}

// loadOwner reads l.owner without synchronization; see the package
// invariants.
//
//go:norace
func loadOwner(l *Lock) uint64 { return l.owner }
