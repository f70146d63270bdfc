//go:build !condiagoff

package sync_test

import (
	"fmt"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
)

// Two goroutines take two mutexes in opposite orders. They run one after
// the other, so nothing deadlocks, but condiag reports the cycle.
func ExampleMutex() {
	old := condiag.SetHandler(func(f report.Finding) { fmt.Println(f.ID, f.Message) })
	defer condiag.SetHandler(old)

	var a, b sync.Mutex
	sync.SetName(&a, "a")
	sync.SetName(&b, "b")
	done := make(chan bool)
	go func() {
		a.Lock()
		b.Lock()
		b.Unlock()
		a.Unlock()
		done <- true
	}()
	<-done
	go func() {
		b.Lock()
		a.Lock()
		a.Unlock()
		b.Unlock()
		done <- true
	}()
	<-done
	// Output:
	// DL1001 potential deadlock: lock-order cycle A -> B -> A (A = a, B = b)
}

// Naming lock classes lets condiag predict an inversion between two
// different instances of the same roles.
func ExampleSetClass() {
	old := condiag.SetHandler(func(f report.Finding) { fmt.Println(f.ID, f.Confidence, f.Message) })
	defer condiag.SetHandler(old)

	type account struct{ mu, audit sync.Mutex }
	newAccount := func() *account {
		a := new(account)
		sync.SetClass(&a.mu, "account.mu")
		sync.SetClass(&a.audit, "account.audit")
		return a
	}
	x, y := newAccount(), newAccount()
	x.mu.Lock()
	x.audit.Lock()
	x.audit.Unlock()
	x.mu.Unlock()

	y.audit.Lock()
	y.mu.Lock()
	y.mu.Unlock()
	y.audit.Unlock()
	// Output:
	// DL1001 predicted potential deadlock: lock-order cycle over lock classes A -> B -> A (A = Mutex class account.audit, B = Mutex class account.mu)
}
