package race

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/condiag/condiag/internal/monitor"
	"github.com/condiag/condiag/internal/racecheck"
)

// A Var declares a shared location: a field, a map, a slice's contents,
// whatever the program says it is. Calling Read before reading it and
// Write before writing it lets condiag check every access against every
// other, from any goroutine:
//
//   - RC2001, a data race: two accesses, at least one a write, that no
//     synchronisation condiag saw orders (happens-before, with vector
//     clocks);
//   - RC2002, inconsistent locking: no condiag lock is held at every
//     access (the lockset), even if this run's timing kept the accesses
//     apart. A location initialised by one goroutine and then handed
//     over (through a go statement, a WaitGroup, a Queue, an Event, an
//     [Edge]...) is not a finding: the lockset starts at the first
//     access by a second goroutine that was not handed the location.
//
// The orders condiag sees are those of its own primitives (package sync's
// locks, WaitGroup, Once, Cond, Barrier, Event; queue; pool; semaphore),
// go statements, and [Edge]: a channel, sync/atomic or the standard
// library's sync are invisible to it, so state handed over through them
// needs an Edge, or is reported. See docs/race.md.
//
// Declaring a Var starts the race checks for the whole program; until
// then no primitive pays for them. A Var must not be copied after first
// use. With the build tag condiagoff, Read and Write do nothing.
//
// Cost (docs/bench/race.txt, go test -run=NONE -bench=Var -count=10
// ./detect/race): an access like one the goroutine made since its last
// release of a lock or other hand-off takes 4.9 ns (Var/op=repeat); one
// after a release, checked in full, 27 ns for a write and 28 ns for a
// read (Var/op=locked and lockedread less Var/op=lockonly); with the
// checks on, a condiag Mutex Lock/Unlock pair takes 34.8 ns instead of
// 22.9 ns. Nothing allocates.
type Var struct {
	_    noCopy
	name string
	st   atomic.Pointer[varState]
}

type varState struct {
	l   *monitor.Lock
	loc racecheck.Loc
}

// NewVar declares a shared location named name (for the reports; "" names
// it by where NewVar was called).
func NewVar(name string) *Var {
	v := &Var{name: name}
	if Instrumented {
		v.init(2)
	}
	return v
}

// Read records that the calling goroutine is about to read the location.
func (v *Var) Read() {
	if Instrumented {
		s := v.st.Load()
		if s == nil {
			s = v.init(2)
		}
		monitor.Access(s.l, &s.loc, false)
	}
}

// Write records that the calling goroutine is about to write the
// location.
func (v *Var) Write() {
	if Instrumented {
		s := v.st.Load()
		if s == nil {
			s = v.init(2)
		}
		monitor.Access(s.l, &s.loc, true)
	}
}

// init makes v's state; skip frames up is the user's call.
//
//go:noinline
func (v *Var) init(skip int) *varState {
	name := v.name
	if name == "" {
		name = "shared location"
		if _, file, line, ok := runtime.Caller(skip); ok {
			name = fmt.Sprintf("shared location declared at %s:%d", file, line)
		}
	}
	s := &varState{l: monitor.NewVar(name)}
	s.loc.Name = name
	if !v.st.CompareAndSwap(nil, s) {
		return v.st.Load()
	}
	return s
}

// An Edge declares a happens-before order condiag cannot see, such as a
// channel's: what a goroutine did before calling Before happens before
// what any goroutine does after a later call of After. Use it where a Var
// is handed over through a channel, sync/atomic or the standard library:
//
//	ready.Before()
//	ch <- job
//	...
//	job := <-ch
//	ready.After()
//
// The zero value is ready; an Edge must not be copied after first use.
// Using one starts the race checks, like declaring a [Var].
type Edge struct {
	_  noCopy
	st atomic.Pointer[monitor.Lock]
}

// noCopy makes go vet's copylocks check report a Var or Edge copied by
// value.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// Before hands over what the calling goroutine did so far.
func (e *Edge) Before() {
	if Instrumented {
		monitor.Signal(e.state())
	}
}

// After receives what was handed over by earlier calls of Before.
func (e *Edge) After() {
	if Instrumented {
		monitor.Await(e.state())
	}
}

func (e *Edge) state() *monitor.Lock {
	if l := e.st.Load(); l != nil {
		return l
	}
	l := monitor.NewEdge()
	if !e.st.CompareAndSwap(nil, l) {
		return e.st.Load()
	}
	return l
}
