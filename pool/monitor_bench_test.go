//go:build !condiagoff

package pool_test

import (
	"sync"
	"testing"

	"github.com/condiag/condiag/internal/monitor"
)

// BenchmarkMonitorCalls is the instrumentation of one task of
// BenchmarkSubmitWait, alone on one goroutine: the monitor calls that
// Submit, the worker and a Wait that blocks make, each under the pool's
// guard, without the pool. It is the part of the pool's cost that the
// condiagoff tag removes.
func BenchmarkMonitorCalls(b *testing.B) {
	var mu sync.Mutex
	o := monitor.NewResource(monitor.KindPool, 2, &mu)
	b.ReportAllocs()
	for id := int64(1); b.Loop(); id++ {
		mu.Lock()
		monitor.ObjectOp(o, monitor.OpTaskSubmit, id)
		mu.Unlock()
		mu.Lock()
		monitor.ObjectOp(o, monitor.OpTaskObserved, id)
		g := monitor.Current()
		g.BlockOn(o, monitor.OpTaskDone, id)
		mu.Unlock()
		mu.Lock()
		monitor.ObjectOp(o, monitor.OpTaskStart, id)
		mu.Unlock()
		mu.Lock()
		monitor.ObjectOp(o, monitor.OpTaskDone, id)
		mu.Unlock()
		g.Unblocked()
	}
}
