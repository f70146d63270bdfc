package queue_test

import (
	"testing"

	"github.com/condiag/condiag"
)

func TestMain(m *testing.M) {
	condiag.VerifyTestMain(m,
		condiag.IgnoreID("DL1002", "the deadlock TestDeadlockThroughQueue makes on purpose"),
		condiag.IgnoreID("ST4003", "the Put TestDeadlockThroughQueue blocks until DL1002 is reported may wait past a second, and TestHangAndStarvation's does on purpose"),
		condiag.IgnoreID("DL1005", "the hang TestHangAndStarvation makes on purpose"),
	)
}
