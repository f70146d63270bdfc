package monitor_test

import (
	"testing"

	"github.com/condiag/condiag"
)

func TestMain(m *testing.M) { condiag.VerifyTestMain(m) }
