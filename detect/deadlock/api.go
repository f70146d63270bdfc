package deadlock

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/report"
)

// DefaultHangThreshold is how long a goroutine may wait on an
// instrumented lock before DL1005 reports it, unless changed with
// [SetHangThreshold] or the CONDIAG_HANG environment variable (a
// time.ParseDuration string; "0" or "off" disables the check).
const DefaultHangThreshold = 30 * time.Second

var hangThreshold atomic.Int64

func init() {
	hangThreshold.Store(int64(DefaultHangThreshold))
	if v := envHang(); v >= 0 {
		hangThreshold.Store(int64(v))
	}
}

// SetHangThreshold sets the DL1005 threshold and returns the previous one.
// A threshold of 0 or less disables the check.
func SetHangThreshold(d time.Duration) time.Duration {
	old := time.Duration(hangThreshold.Swap(int64(d)))
	sink.HangChanged(d)
	return old
}

// HangThreshold returns the DL1005 threshold; 0 or less means disabled.
func HangThreshold() time.Duration { return time.Duration(hangThreshold.Load()) }

// Findings returns the deadlock findings (IDs DL1xxx) reported in this
// process so far.
func Findings() []report.Finding {
	var out []report.Finding
	for _, f := range sink.Findings() {
		if strings.HasPrefix(f.ID, "DL") {
			out = append(out, f)
		}
	}
	return out
}
