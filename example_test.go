//go:build !condiagoff

package condiag_test

import (
	"errors"
	"fmt"

	"github.com/condiag/condiag"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/sync"
)

// Check returns every finding of the process so far as an error.
func ExampleCheck() {
	old := condiag.SetHandler(nil) // record only
	defer condiag.SetHandler(old)
	var wg sync.WaitGroup
	func() {
		defer func() { recover() }() // the standard library panics after the report
		wg.Done()
	}()
	var fe *condiag.FindingsError
	if err := condiag.Check(); errors.As(err, &fe) {
		for _, f := range fe.Findings {
			if f.ID == "DL1006" {
				fmt.Println(f.ID, f.Title)
			}
		}
	}
	// Output:
	// DL1006 misuse of a lock or WaitGroup
}

// A handler receives every new finding as it is found.
func ExampleSetHandler() {
	old := condiag.SetHandler(func(f report.Finding) {
		fmt.Printf("%s: %s\n", f.ID, f.Title)
	})
	defer condiag.SetHandler(old)
	var rw sync.RWMutex
	rw.RLock()
	rw.RLock() // a recursive read lock: reported, and it proceeds
	rw.RUnlock()
	rw.RUnlock()
	// Output:
	// DL1004: recursive read lock
}
