package sink

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/condiag/condiag/report"
)

func init() {
	if h, ok := handlerFromEnv(os.Getenv("CONDIAG_ON_FINDING")); ok {
		handler = h
	}
}

// handlerFromEnv parses CONDIAG_ON_FINDING: "print" (the default),
// "silent", "panic", "exit" or "exit:CODE". An invalid value is reported
// on standard error and ignored.
func handlerFromEnv(v string) (Handler, bool) {
	switch v {
	case "", "print":
		return Print, v != ""
	case "silent":
		return nil, true
	case "panic":
		return func(f report.Finding) { Print(f); panic(&f) }, true
	case "exit":
		return exitWith(1), true
	}
	if code, ok := strings.CutPrefix(v, "exit:"); ok {
		if n, err := strconv.Atoi(code); err == nil && n >= 0 && n < 256 {
			return exitWith(n), true
		}
	}
	fmt.Fprintf(os.Stderr, "condiag: ignoring CONDIAG_ON_FINDING=%q: want print, silent, panic, exit or exit:CODE\n", v)
	return nil, false
}

func exitWith(code int) Handler {
	return func(f report.Finding) {
		Print(f)
		os.Exit(code)
	}
}
