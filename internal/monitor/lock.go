package monitor

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/condiag/condiag/detect/deadlock"
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
)

var kindNames = [...]string{"invalid", "Mutex", "RWMutex", "Once", "WaitGroup"}

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
	// handedOver is set once a goroutine released a hold it did not
	// take: the lock is used like a semaphore, and a goroutine asking for
	// it while holding it may be waiting for another to release it.
	handedOver atomic.Bool

	site report.Frame // where the instance was first acquired

	// Guarded by slowMu.
	class    *class
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
	unknown = &class{key: "?"}
)

// NewLock returns the state of a new lock instance whose first
// acquisition is being made by the caller's caller chain. Frames of
// condiag's own packages are skipped to find the user's call site.
func NewLock(kind Kind) *Lock {
	var pcs [16]uintptr
	n := runtime.Callers(2, pcs[:])
	l := &Lock{id: nextLockID.Add(1), kind: kind}
	slowMu.Lock()
	l.class = classAt(pcs[:n])
	l.site = l.class.site
	slowMu.Unlock()
	return l
}

// classAt returns the class of the first user frame in pcs. slowMu is held.
func classAt(pcs []uintptr) *class {
	for _, pc := range pcs {
		if c, ok := byPC[pc]; ok {
			if c != nil {
				return c
			}
			continue // a frame of our own
		}
		f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
		if isOwnFrame(f.Function) {
			byPC[pc] = nil
			continue
		}
		site := report.Frame{Func: f.Function, File: f.File, Line: f.Line}
		key := site.String()
		c := byName[key]
		if c == nil {
			c = &class{key: key, site: site}
			byName[key] = c
		}
		byPC[pc] = c
		return c
	}
	return unknown
}

const modulePath = "github.com/condiag/condiag/"

// isOwnFrame reports whether fn is a function of condiag's primitives or
// internals, which reports leave out of user stacks.
func isOwnFrame(fn string) bool {
	if !strings.HasPrefix(fn, modulePath) {
		return false
	}
	rest := fn[len(modulePath):]
	return strings.HasPrefix(rest, "sync.") || strings.HasPrefix(rest, "sync/") ||
		strings.HasPrefix(rest, "internal/") || strings.HasPrefix(rest, "detect/")
}

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
}

// SetSubclass sets the subclass of l, for nesting locks of one class
// (levels of a hierarchy).
func SetSubclass(l *Lock, n int) {
	slowMu.Lock()
	defer slowMu.Unlock()
	l.subclass = n
}

// SetName gives l an instance name for reports.
func SetName(l *Lock, name string) {
	slowMu.Lock()
	defer slowMu.Unlock()
	l.name = name
}

// info describes l for the detectors. slowMu is held.
func (l *Lock) info() deadlock.LockInfo {
	key := l.class.key
	if l.subclass != 0 {
		key = fmt.Sprintf("%s/%d", key, l.subclass)
	}
	return deadlock.LockInfo{
		ID: l.id, Kind: l.kind.String(), Class: key, Name: l.name,
		FirstLocked: l.site,
		Named:       l.class.named || l.subclass != 0,
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
