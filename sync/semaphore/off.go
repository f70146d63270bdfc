//go:build condiagoff

package semaphore

import "golang.org/x/sync/semaphore"

// With the condiagoff build tag Weighted is x/sync's own type, at exactly
// its cost, and nothing is detected.

// Weighted is [semaphore.Weighted] of golang.org/x/sync.
type Weighted = semaphore.Weighted

// NewWeighted creates a new weighted semaphore with the given maximum
// combined weight for concurrent access. NewWeighted panics if n is
// negative.
func NewWeighted(n int64) *Weighted { return semaphore.NewWeighted(n) }
