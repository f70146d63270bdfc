//go:build condiagoff

package sync

import "sync"

// eventMon is empty with the condiagoff build tag: nothing is recorded.
type eventMon struct{}

func (*eventMon) set(*sync.Mutex)   {}
func (*eventMon) clear(*sync.Mutex) {}
func (*eventMon) block(*sync.Mutex) {}
func (*eventMon) unblocked()        {}
func (*eventMon) await()            {}

func (*eventMon) setName(*sync.Mutex, string) {}
