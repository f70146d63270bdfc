//go:build !condiagoff

package sync_test

import (
	"runtime"
	"testing"

	. "github.com/condiag/condiag/sync"
)

// line returns the line of its caller.
func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

// TestFirstLockedSite checks that a lock's site is the user's line of its
// first acquisition, through every entry point, also when condiag's own
// small wrappers (RLocker) are inlined into the caller.
func TestFirstLockedSite(t *testing.T) {
	var (
		mu   Mutex
		rw   RWMutex
		rw2  RWMutex
		try  Mutex
		once Once
		at   = map[string]int{}
	)
	SetName(&mu, "named before use") // not an acquisition
	at["Mutex.Lock"] = line() + 1
	mu.Lock()
	mu.Unlock()
	rl := rw.RLocker()
	at["RLocker.Lock"] = line() + 1
	rl.Lock()
	rl.Unlock()
	at["RWMutex.RLock"] = line() + 1
	rw2.RLock()
	rw2.RUnlock()
	at["Mutex.TryLock"] = line() + 1
	try.TryLock()
	try.Unlock()
	at["Once.Do"] = line() + 1
	once.Do(func() {})

	got := map[string]int{
		"Mutex.Lock":    FirstLocked(&mu).Line,
		"RLocker.Lock":  FirstLocked(&rw).Line,
		"RWMutex.RLock": FirstLocked(&rw2).Line,
		"Mutex.TryLock": FirstLocked(&try).Line,
		"Once.Do":       FirstLocked(OnceLock(&once)).Line,
	}
	for k, want := range at {
		if got[k] != want {
			t.Errorf("%s: first locked at line %d, want %d", k, got[k], want)
		}
	}
}

// With the race checks on, a Once's first Do still names it a Once, at
// the user's line (the checks' Await must not make its state first).
func TestOnceSiteWithRaceChecks(t *testing.T) {
	EnableRaceChecks()
	var once Once
	want := line() + 1
	once.Do(func() {})
	if got := FirstLocked(OnceLock(&once)).Line; got != want {
		t.Errorf("first locked at line %d, want %d", got, want)
	}
	if k := OnceKind(&once); k != "Once" {
		t.Errorf("kind %q, want Once", k)
	}
}
