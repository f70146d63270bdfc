package deadlock

import (
	"fmt"
	"os"
	"time"
)

// envHang parses CONDIAG_HANG. It returns -1 when the variable is unset
// or invalid (invalid values are reported on standard error once).
func envHang() time.Duration {
	v, ok := os.LookupEnv("CONDIAG_HANG")
	if !ok || v == "" {
		return -1
	}
	if v == "off" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		fmt.Fprintf(os.Stderr, "condiag: ignoring CONDIAG_HANG=%q: want a duration such as 10s, or off\n", v)
		return -1
	}
	return d
}
