package profile

import (
	"bytes"
	"fmt"
)

// statFields holds the fields of /proc/PID/stat (or
// /proc/PID/task/TID/stat) that the sampler uses. Field numbers are those
// of proc(5).
type statFields struct {
	comm      []byte // (2) aliases the input
	state     byte   // (3)
	ppid      int    // (4)
	utime     uint64 // (14) clock ticks
	stime     uint64 // (15) clock ticks
	cutime    uint64 // (16) clock ticks of waited-for children
	cstime    uint64 // (17)
	threads   int    // (20)
	starttime uint64 // (22) clock ticks after boot
	rssPages  uint64 // (24)
}

// parseStat parses the contents of a stat file. The command name may
// contain spaces and parentheses, so it runs from the first '(' to the last
// ')'.
func parseStat(b []byte) (statFields, error) {
	var st statFields
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return st, fmt.Errorf("%w: stat has no (comm) field: %q", ErrFileParse, truncate(b))
	}
	st.comm = b[open+1 : closing]
	rest := b[closing+1:]
	// Field 3 (state) is the first field after the command name.
	for field := 3; field <= 24; field++ {
		tok, tail := nextField(rest)
		if tok == nil {
			return st, fmt.Errorf("%w: stat has %d fields, want at least 24: %q", ErrFileParse, field-1, truncate(b))
		}
		rest = tail
		if err := st.set(field, tok); err != nil {
			return st, fmt.Errorf("%w: stat field %d: %v", ErrFileParse, field, err)
		}
	}
	return st, nil
}

func (st *statFields) set(field int, tok []byte) error {
	var err error
	switch field {
	case 3:
		st.state = tok[0]
	case 4:
		var v uint64
		v, err = parseUint(tok)
		st.ppid = int(v)
	case 14:
		st.utime, err = parseUint(tok)
	case 15:
		st.stime, err = parseUint(tok)
	case 16:
		st.cutime, err = parseSigned(tok)
	case 17:
		st.cstime, err = parseSigned(tok)
	case 20:
		var v uint64
		v, err = parseUint(tok)
		st.threads = int(v)
	case 22:
		st.starttime, err = parseUint(tok)
	case 24:
		// rss is signed in the kernel; treat a negative value as zero.
		if tok[0] == '-' {
			return nil
		}
		st.rssPages, err = parseUint(tok)
	}
	return err
}

// nextField returns the next space-separated token of b and the rest, or a
// nil token at the end of b.
func nextField(b []byte) (tok, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\n') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\n' {
		j++
	}
	if i == j {
		return nil, nil
	}
	return b[i:j], b[j:]
}

// parseUint parses a decimal number without allocating.
func parseUint(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("empty number")
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid number %q", b)
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, fmt.Errorf("number %q overflows uint64", b)
		}
		v = v*10 + d
	}
	return v, nil
}

// truncate shortens b for error messages.
func truncate(b []byte) []byte {
	const max = 64
	if len(b) > max {
		return b[:max]
	}
	return b
}

// parseSigned parses a field the kernel prints as signed but that is
// never negative in practice (cutime, cstime); a negative value is 0.
func parseSigned(tok []byte) (uint64, error) {
	if len(tok) > 0 && tok[0] == '-' {
		return 0, nil
	}
	return parseUint(tok)
}
