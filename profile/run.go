package profile

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Run samples the tree at once and then every interval, calling fn with each
// snapshot, until ctx is done or the root process has been reaped. It
// returns nil in both cases, and the first other error from
// [Sampler.SampleInto]. Run does not start goroutines; fn runs on the
// caller's goroutine.
//
// The snapshot passed to fn is reused by the next sample: fn must not keep
// it (a [Tree] copies what it needs). Samples that would fall behind are
// dropped, as with [time.Ticker].
func (s *Sampler) Run(ctx context.Context, interval time.Duration, fn func(*Snapshot)) error {
	if interval <= 0 {
		return fmt.Errorf("running sampler: invalid interval %v, must be positive", interval)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var snap Snapshot
	for {
		if err := s.SampleInto(&snap); err != nil {
			if errors.Is(err, ErrNoProcess) {
				return nil
			}
			return err
		}
		fn(&snap)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
