package condiag

import (
	"strings"
	"testing"

	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/sync"
)

// The race checks' findings reach VerifyNone and Check like the others.
func TestVerifyNoneReportsRaces(t *testing.T) {
	if !race.Instrumented {
		t.Skip("condiagoff: nothing is checked")
	}
	defer SetHandler(SetHandler(nil))
	VerifyNone(&fakeT{})
	v := race.NewVar("shared")
	var wg sync.WaitGroup
	step := make(chan struct{}) // a channel: no order for condiag
	wg.Go(func() { v.Write(); close(step) })
	wg.Go(func() { <-step; v.Write() })
	wg.Wait()
	if err := Check(); err == nil || !strings.Contains(err.Error(), "RC2001") {
		t.Errorf("Check() = %v, want an RC2001", err)
	}
	ft := &fakeT{}
	VerifyNone(ft)
	if len(ft.errs) != 1 || !strings.Contains(ft.errs[0], `data race on "shared"`) {
		t.Fatalf("VerifyNone errors = %q, want one with the RC2001", ft.errs)
	}
}
