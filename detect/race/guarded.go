package race

import (
	"fmt"
	"runtime"

	"github.com/condiag/condiag/internal/goid"
	"github.com/condiag/condiag/internal/monitor"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
)

// Guarded is a value bound to the lock that protects it, a condiag
// [sync.Mutex] or [sync.RWMutex]: reading it needs the lock held by the
// calling goroutine in either mode, writing it needs the lock held for
// writing. An access without is RC2003, reported once for each place in
// the code, with the accessing stack and the goroutine holding the lock
// then, if any; the access is still done (the finding goes to the
// handler, which may panic). With the build tag condiagoff nothing is
// checked.
//
// The zero value has no lock: bind one with [Guarded.Guard] before use
// (an access to an unbound Guarded panics), or make one with [Guard].
//
// Cost (docs/bench/race.txt, go test -run=NONE -bench=Guarded -benchmem
// -count=10 ./detect/race): a checked access compares the lock's owner
// with the calling goroutine's id, about 4 ns (a read hold of an
// RWMutex looks in the goroutine's chain of held locks); an increment
// under the lock, Lock, Get, Set, Unlock, takes 28.9 ns against 15.4 ns
// for a plain field under a plain sync.Mutex (1.87x, most of it the
// condiag Mutex's own). No access allocates.
type Guarded[T any] struct {
	l  sync.Locker
	st *monitor.Lock // l's state, nil if l is not a condiag lock
	v  T
}

// Guard returns a value guarded by l, with initial value v.
func Guard[T any](l sync.Locker, v T) *Guarded[T] {
	g := &Guarded[T]{v: v}
	g.Guard(l)
	return g
}

// Guard binds g to l. It is for a Guarded that is a field of the struct
// holding its lock; call it before g is shared.
func (g *Guarded[T]) Guard(l sync.Locker) {
	g.l = l
	if Instrumented {
		g.st = monitor.LockOf(l)
	}
}

// Get returns the value. The caller holds the lock.
func (g *Guarded[T]) Get() T {
	if Instrumented {
		g.check(false)
	}
	return g.v
}

// Set sets the value. The caller holds the lock for writing.
func (g *Guarded[T]) Set(v T) {
	if Instrumented {
		g.check(true)
	}
	g.v = v
}

// check reports an access without the lock held (for writing if
// write). A Locker that is not condiag's cannot be checked.
func (g *Guarded[T]) check(write bool) {
	if st := g.st; st != nil {
		if !monitor.HeldByCaller(st, write) {
			g.unguarded(write)
		}
		return
	}
	g.lock()
}

// Ptr returns a pointer to the value, for updates in place. The caller
// holds the lock for writing for as long as it uses the pointer; only
// the call is checked.
func (g *Guarded[T]) Ptr() *T {
	if Instrumented {
		g.check(true)
	}
	return &g.v
}

// Do locks the lock, calls f with a pointer to the value and unlocks it:
// the access that cannot forget the lock.
func (g *Guarded[T]) Do(f func(v *T)) {
	l := g.lock()
	l.Lock()
	defer l.Unlock()
	f(&g.v)
}

func (g *Guarded[T]) lock() sync.Locker {
	if g.l == nil {
		panic("race: Guarded used before Guard bound it to a lock")
	}
	return g.l
}

// unguarded reports an access without the lock.
//
//go:noinline
func (g *Guarded[T]) unguarded(write bool) {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(4, pcs) // unguarded, check, the method
	var stack []report.Frame
	frames := runtime.CallersFrames(pcs[:n])
	for {
		fr, more := frames.Next()
		if fr.Function != "" && fr.Function != "runtime.goexit" {
			stack = append(stack, report.Frame{Func: fr.Function, File: fr.File, Line: fr.Line})
		}
		if !more {
			break
		}
	}
	var v T
	typ := fmt.Sprintf("%T", v)
	holder := sync.Holder(g.l)
	monitor.TraceUnguarded(g.st, write, typ, uint64(holder))
	sink.Report(UnguardedFinding(typ, write, holder, int64(goid.ID()), stack))
}

// UnguardedFinding is the RC2003 of an access by goroutine goid to a
// Guarded value of type typ without its lock (for writing, if write), at
// stack, while goroutine holder held the lock (0 if none). The replay of a
// trace reports it from the trace's Unguarded event.
func UnguardedFinding(typ string, write bool, holder, goid int64, stack []report.Frame) report.Finding {
	f := report.New("RC2003")
	f.Confidence = report.Observed
	if len(stack) > 0 {
		f.Location = stack[0]
	}
	who := "nobody holds it"
	if holder != 0 {
		who = fmt.Sprintf("goroutine %d holds it", holder)
	}
	op := "read"
	if write {
		op = "write"
		f.Message = fmt.Sprintf("guarded value (%s) written without its lock held for writing; %s", typ, who)
	} else {
		f.Message = fmt.Sprintf("guarded value (%s) read without its lock held; %s", typ, who)
	}
	f.Goroutines = []report.Goroutine{{ID: goid, State: op, Stack: stack}}
	return f
}
