//go:build race

package racecheck

import "testing"

// Another goroutine reads a thread's clocks (to create a goroutine's
// state) while the thread grows them: the race detector reports a torn
// read. It asserts nothing else, so it runs only under -race.
func TestForkWhileGrowing(t *testing.T) {
	w := newWorld(t)
	a := w.d.Lookup(1)
	done := make(chan bool)
	go func() {
		defer close(done)
		for i := range 200 {
			w.d.Thread(uint64(1000+i), 1, 0)
		}
	}()
	s := new(Sync)
	for i := range 200 {
		b := w.d.Lookup(uint64(1000 + i))
		if b != nil {
			w.d.Signal(b, s) // b is not running: this goroutine stands in for it
		}
		w.d.Await(a, s)
	}
	<-done
}
