// Package leakmsg words the findings of what outlived its work (LK3001
// and LK3002) for both drivers: the leak checks of a live process
// (detect/leak) and the end of a trace (analyze). One wording makes the
// two comparable (the fixtures check that a trace's end tells what the
// live check told): what only a live process knows of a goroutine, what
// it is doing now or that it has exited, goes in a part that a trace
// leaves empty, " [state] at file:line" or ", which has exited" after
// its id.
package leakmsg

import (
	"fmt"
	"strings"

	"github.com/condiag/condiag/report"
)

// Holder is a goroutine holding the lock that a leaked goroutine waits
// for.
type Holder struct {
	ID    int64
	Now   string       // " [state] at file:line", ", which has exited", or "" (unknown)
	Taken report.Frame // where it took the lock, zero if unknown
}

func (h Holder) String() string {
	s := fmt.Sprintf("goroutine %d%s", h.ID, h.Now)
	if !h.Taken.IsZero() {
		s += fmt.Sprintf(" (taken at %s in %s)", h.Taken, h.Taken.Func)
	}
	return s
}

// Exited is [Holder.Now] for a goroutine that has exited.
const Exited = ", which has exited"

// Now is [Holder.Now] for a live goroutine in state, blocked or running
// at where.
func Now(state string, where report.Frame) string {
	s := fmt.Sprintf(" [%s]", state)
	if !where.IsZero() {
		s += " at " + where.String()
	}
	return s
}

// LockWait words a wait to lock (or read-lock, read set) lk.
func LockWait(lk report.Lock, read bool, holders []Holder) string {
	verb := "lock"
	if read {
		verb = "read-lock"
	}
	who := "which nobody holds"
	if len(holders) > 0 {
		hs := make([]string, len(holders))
		for i, h := range holders {
			hs[i] = h.String()
		}
		who = "held by " + strings.Join(hs, " and ")
	}
	return fmt.Sprintf("waiting to %s %s (first locked at %s), %s", verb, lk.Label(), lk.FirstLocked, who)
}

// ResourceWait words a wait to act on a semaphore, barrier, event, queue
// or pool lk: verb is what the goroutine waits to do ("put into"), state
// the object's ("full, 4 of 4", may be empty), relation how the
// goroutines who can end the wait relate to it ("taken from only by").
func ResourceWait(lk report.Lock, verb, state, relation string, who []Holder) string {
	l := lk.Label()
	if state != "" {
		l += " (" + state + ")"
	}
	rel := "no goroutine known to end the wait"
	if len(who) > 0 {
		hs := make([]string, len(who))
		for i, h := range who {
			hs[i] = h.String()
		}
		rel = relation + " " + strings.Join(hs, " and ")
	}
	return fmt.Sprintf("waiting to %s %s (created at %s), %s", verb, l, lk.FirstLocked, rel)
}

// ObjectWait words a Wait on a WaitGroup (with its counter) or a Cond.
func ObjectWait(lk report.Lock, count int64) string {
	if lk.Kind == "WaitGroup" {
		return fmt.Sprintf("in Wait on %s, whose counter is %d (first used at %s)", lk.Label(), count, lk.FirstLocked)
	}
	return fmt.Sprintf("in Wait on %s (first used at %s), not signalled", lk.Label(), lk.FirstLocked)
}

// Leaked words the message of an LK3001 for n goroutines with the stack
// of goroutine id, blocked in fn (the innermost user function, or ""),
// what they wait on and hold in what.
func Leaked(n int, id int64, fn string, what []string) string {
	who := fmt.Sprintf("goroutine %d", id)
	if n > 1 {
		who = fmt.Sprintf("%d goroutines with this stack (goroutine %d and others)", n, id)
	}
	where := ""
	if fn != "" {
		where = " in " + fn
	}
	return fmt.Sprintf("%s leaked%s, %s", who, where, strings.Join(what, ", "))
}

// Holding words one lock a leaked goroutine holds.
func Holding(lk report.Lock, mode string, taken report.Frame) string {
	s := fmt.Sprintf("holding %s (%s)", lk.Label(), mode)
	if !taken.IsZero() {
		s += " taken at " + taken.String()
	}
	return s
}

// Held words the message of an LK3002: lk, held in mode by goroutine id
// (whose [Holder.Now] is now), taken at taken (zero if unknown).
func Held(lk report.Lock, mode string, id int64, now string, taken report.Frame) string {
	at := "taken at " + taken.String()
	if taken.IsZero() {
		at = "first locked at " + lk.FirstLocked.String()
	}
	return fmt.Sprintf("%s (%s) is still held (%s) by goroutine %d%s", lk.Label(), at, mode, id, now)
}

// Untaken words the message of an LK3003 for a queue holding items
// nobody took.
func Untaken(lk report.Lock, items int64, closed bool) string {
	s := fmt.Sprintf("%s (created at %s) holds %d item%s nobody took", lk.Label(), lk.FirstLocked, items, plural(items))
	if closed {
		s += ", after it was closed"
	}
	return s
}

// Unobserved words the message of an LK3003 for a pool whose tasks
// (by id, each submitted at the frame of the same index, zero if
// unknown), and more others not remembered one by one, returned results
// nobody asked for.
func Unobserved(lk report.Lock, tasks []int64, submitted []report.Frame, more int64) string {
	const listed = 5
	var parts []string
	for i, id := range tasks {
		if i == listed {
			break
		}
		p := fmt.Sprintf("task %d", id)
		if i < len(submitted) && !submitted[i].IsZero() {
			p += " submitted at " + submitted[i].String()
		}
		parts = append(parts, p)
	}
	n := int64(len(tasks)) + more
	if rest := n - int64(len(parts)); rest > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", rest))
	}
	return fmt.Sprintf("%s (created at %s): nobody asked for the result%s of %d task%s: %s",
		lk.Label(), lk.FirstLocked, plural(n), n, plural(n), strings.Join(parts, ", "))
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}
