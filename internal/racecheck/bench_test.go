package racecheck

import (
	"testing"

	"github.com/condiag/condiag/report"
)

// BenchmarkReplay feeds the detector alone the calls of a replay of the
// checked bank workload (four goroutines, 16 locations each under its
// own lock, two at a time): per transfer two acquisitions, a read and a
// write of each location, two releases. An op is one call.
//
//	go test -run=NONE -bench=Replay -benchmem -count=10 ./internal/racecheck
func BenchmarkReplay(b *testing.B) {
	d := New(Env{
		Stack:  func(uint64) []report.Frame { return nil },
		Lock:   func(uint64) report.Lock { return report.Lock{} },
		Report: func(f report.Finding) { b.Fatalf("finding: %s", f.Message) },
	})
	const workers, accounts = 4, 16
	var ts [workers]*Thread
	d.Thread(1, 0, 0)
	for i := range ts {
		ts[i] = d.Thread(uint64(i+2), 1, 0)
	}
	var locks [accounts]Sync
	var locs [accounts]Loc
	held := make([]Held, 0, 2)
	x := uint32(1)
	const calls = 8
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		t := ts[x%workers]
		a, c := int(x>>8)%accounts, int(x>>16)%accounts
		if a == c {
			c = (c + 1) % accounts
		}
		if a > c {
			a, c = c, a
		}
		d.Acquire(t, &locks[a], true)
		d.Acquire(t, &locks[c], true)
		held = append(held[:0], Hold(uint64(a), true), Hold(uint64(c), true))
		for _, i := range [2]int{a, c} {
			d.Access(t, &locs[i], false, 1, held)
			d.Access(t, &locs[i], true, 2, held)
		}
		d.Release(t, &locks[c], true)
		d.Release(t, &locks[a], true)
		n++
	}
	b.ReportMetric(float64(n*calls)/b.Elapsed().Seconds(), "calls/s")
}
