//go:build !condiagoff

package sync

import (
	"github.com/condiag/condiag/internal/monitor"
	"github.com/condiag/condiag/report"
)

// FirstLocked returns where l, a condiag lock, was first acquired.
func FirstLocked(l Locker) report.Frame {
	return l.(instrumented).monitorLock().Info().FirstLocked
}

// OnceLock returns the Locker inside o.
func OnceLock(o *Once) Locker { return &o.m }

// OnceKind returns the kind of the lock a Once holds while f runs.
func OnceKind(o *Once) string { return o.m.state().Info().Kind }

// EnableRaceChecks starts the race checks of detect/race.
func EnableRaceChecks() { monitor.EnableRace() }
