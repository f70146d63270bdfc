package profile

import (
	"bytes"
	"fmt"
)

// statusFields holds the fields of /proc/PID/status that are not in stat.
type statusFields struct {
	voluntary   uint64 // voluntary_ctxt_switches
	involuntary uint64 // nonvoluntary_ctxt_switches
}

// parseStatus parses the context switch counters of a status file. For
// /proc/PID/status they are summed over all threads, live and exited. A
// file without them (kernels before 2.6.23) yields zeros.
func parseStatus(b []byte) (statusFields, error) {
	var st statusFields
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		key, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		var dst *uint64
		switch string(key) {
		case "voluntary_ctxt_switches":
			dst = &st.voluntary
		case "nonvoluntary_ctxt_switches":
			dst = &st.involuntary
		default:
			continue
		}
		v, err := parseUint(bytes.TrimSpace(val))
		if err != nil {
			return st, fmt.Errorf("%w: status %s: %v", ErrFileParse, key, err)
		}
		*dst = v
	}
	return st, nil
}
