package deadlock

import (
	"fmt"

	"github.com/condiag/condiag/report"
)

// SelfFinding builds DL1003 (goroutine goid, holding the locks holds,
// requests lock, which it holds in heldMode, in a mode that can never be
// granted) or DL1004 (a second read lock). state says whether the
// goroutine is about to block or blocked; stack is its stack.
func SelfFinding(id string, goid int64, holds []uint64, lock LockInfo, heldMode, mode Mode, state string, stack []report.Frame) report.Finding {
	f := report.New(id)
	f.Confidence = report.Observed
	lk := lock.Report()
	lk.Held = heldMode.String()
	lk.Holder = goid
	f.Locks = []report.Lock{lk}
	if len(stack) > 0 {
		f.Location = stack[0]
	}
	f.Goroutines = []report.Goroutine{{
		ID: goid, State: state,
		Holds: holds, WaitsFor: lock.ID, WaitMode: mode.String(), Stack: stack,
	}}
	switch id {
	case "DL1003":
		f.Message = fmt.Sprintf("self-deadlock: goroutine %d calls %s on %s, which it already holds in %s mode", goid, callName(mode), lk.Label(), heldMode)
		if lock.Kind == "Once" {
			f.Message = fmt.Sprintf("self-deadlock: goroutine %d calls Do on %s from inside its own Do", goid, lk.Label())
		}
	case "DL1004":
		f.Severity = report.SeverityWarning
		f.Message = fmt.Sprintf("recursive read lock: goroutine %d calls RLock on %s, which it already read-holds; it deadlocks if a writer calls Lock in between", goid, lk.Label())
	}
	return f
}

// MisuseFinding builds DL1006: goroutine goid, holding holds, called op
// (such as "Unlock of unlocked Mutex") on lock, which is nil for a
// primitive of the given kind that was never locked.
func MisuseFinding(lock *LockInfo, kind, op string, goid int64, holds []uint64, stack []report.Frame) report.Finding {
	f := report.New("DL1006")
	f.Confidence = report.Observed
	if lock != nil {
		f.Locks = []report.Lock{lock.Report()}
	} else {
		f.Locks = []report.Lock{{Kind: kind, Class: "never locked"}}
	}
	if len(stack) > 0 {
		f.Location = stack[0]
	}
	f.Goroutines = []report.Goroutine{{ID: goid, State: "running", Holds: holds, Stack: stack}}
	f.Message = fmt.Sprintf("misuse: %s by goroutine %d", op, goid)
	return f
}

func callName(m Mode) string {
	if m == ModeRead {
		return "RLock"
	}
	return "Lock"
}
