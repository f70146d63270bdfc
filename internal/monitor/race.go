//go:build race

package monitor

// raceEnabled is set in -race builds, where a goroutine state is never
// reused in place: the race detector sees no ordering between the exited
// goroutine's writes and those of the goroutine that reuses its g.
const raceEnabled = true
