package leak_test

import (
	"testing"

	"github.com/condiag/condiag/detect/leak"
)

func TestMain(m *testing.M) { leak.VerifyTestMain(m) }
