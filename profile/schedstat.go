package profile

import "fmt"

// parseSchedstat parses /proc/PID/task/TID/schedstat, "run_ns wait_ns
// timeslices", and returns the time the thread spent on a CPU in
// nanoseconds and the number of timeslices. Kernels built without
// schedstats report "0 0 0".
func parseSchedstat(b []byte) (runNs, slices uint64, err error) {
	tok, rest := nextField(b)
	if tok == nil {
		return 0, 0, fmt.Errorf("%w: empty schedstat", ErrFileParse)
	}
	if runNs, err = parseUint(tok); err != nil {
		return 0, 0, fmt.Errorf("%w: schedstat run time: %v", ErrFileParse, err)
	}
	_, rest = nextField(rest)
	tok, _ = nextField(rest)
	if tok == nil {
		return 0, 0, fmt.Errorf("%w: schedstat has fewer than 3 fields: %q", ErrFileParse, truncate(b))
	}
	if slices, err = parseUint(tok); err != nil {
		return 0, 0, fmt.Errorf("%w: schedstat timeslices: %v", ErrFileParse, err)
	}
	return runNs, slices, nil
}

// appendPIDs parses a space-separated list of pids, the format of
// /proc/PID/task/TID/children, and appends them to dst.
func appendPIDs(dst []int, b []byte) ([]int, error) {
	for {
		tok, rest := nextField(b)
		if tok == nil {
			return dst, nil
		}
		v, err := parseUint(tok)
		if err != nil || v == 0 || v > 1<<22 {
			return dst, fmt.Errorf("%w: children list has invalid pid %q", ErrFileParse, tok)
		}
		dst = append(dst, int(v))
		b = rest
	}
}
