package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/condiag/condiag/profile"
)

// runProfile samples a running process tree, like condiag run does for
// the command it starts.
func runProfile(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet(stderr)
	pid := fs.Int("p", 0, "the pid of the root of the tree to sample")
	duration := fs.Duration("duration", 10*time.Second, "how long to sample; Ctrl-C stops sooner")
	hz := fs.Float64("hz", 10, "samples per second")
	out := fs.String("o", "", "write the CPU profile of the tree (pprof) to this file")
	if code, stop := parse(fs, args); stop {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return c.usageError(stderr, "unexpected arguments: %q", fs.Args())
	case *pid <= 0:
		return c.usageError(stderr, "-p: want the pid of a running process")
	case *duration <= 0:
		return c.usageError(stderr, "-duration %v: want more than 0", *duration)
	case *hz <= 0 || *hz > 1000:
		return c.usageError(stderr, "-hz %v: want more than 0 and at most 1000", *hz)
	}
	s, err := profile.NewSampler(*pid)
	if err != nil {
		fmt.Fprintf(stderr, "condiag profile: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	start := time.Now()
	tree := &procTable{}
	tree.tree.Window = true // the tree ran before: count the window only
	err = s.Run(ctx, time.Duration(float64(time.Second) / *hz), tree.add)
	if err != nil && !errors.Is(err, profile.ErrNoProcess) {
		fmt.Fprintf(stderr, "condiag profile: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "== condiag profile: process %d and its descendants, %v\n", *pid, time.Since(start).Round(time.Millisecond))
	tree.write(stdout, nil)
	if *out != "" {
		if err := writeProfile(*out, tree.tree.CPUProfile(start, time.Since(start))); err != nil {
			fmt.Fprintf(stderr, "condiag profile: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stdout, "CPU profile in %s (go tool pprof -top %s)\n", *out, *out)
	}
	return exitClean
}
