//go:build condiagoff

package sync

import "sync"

// barrierMon is empty with the condiagoff build tag: nothing is recorded.
type barrierMon struct{}

func (*barrierMon) init(int, *sync.Mutex) {}
func (*barrierMon) arrive(int64)          {}
func (*barrierMon) block(int64)           {}
func (*barrierMon) unblocked()            {}
func (*barrierMon) passed()               {}
func (*barrierMon) acted()                {}
func (*barrierMon) broke(int64)           {}
func (*barrierMon) setName(string)        {}
