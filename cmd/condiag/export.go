package main

import (
	"fmt"
	"io"
	"os"

	"github.com/condiag/condiag/analyze"
)

// runExport writes the contention profile of traces in the pprof format.
func runExport(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet(stderr)
	format := fs.String("format", "pprof", "output format; pprof is the only one: a contention profile (contentions and delay by acquisition stack)")
	out := fs.String("o", "", "write to this file instead of standard output")
	if code, stop := parse(fs, args); stop {
		return code
	}
	if *format != "pprof" {
		return c.usageError(stderr, "-format %q: want pprof", *format)
	}
	if fs.NArg() == 0 {
		return c.usageError(stderr, "no trace file given")
	}
	res, err := analyze.Files(fs.Args(), analyze.Options{Waits: true})
	if err != nil {
		fmt.Fprintf(stderr, "condiag export: %v\n", err)
		return exitUsage
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "condiag export: warning: %s\n", w)
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "condiag export: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		w = f
	}
	if err := res.ContentionProfile().Write(w); err != nil {
		fmt.Fprintf(stderr, "condiag export: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "condiag export: %d contended acquisition stacks\n", len(res.Waits))
	return exitClean
}
