package semaphore_test

import (
	"testing"

	"github.com/condiag/condiag"
)

func TestMain(m *testing.M) {
	condiag.VerifyTestMain(m,
		condiag.IgnoreID("DL1002", "caused on purpose by TestDeadlockReported"),
		condiag.IgnoreID("ST4003", "TestDeadlockReported waits in Acquire until the deadlock is reported"),
	)
}
