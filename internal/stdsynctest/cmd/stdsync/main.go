// Command stdsync writes the module that runs the standard library's sync
// tests against condiag's sync, to inspect or run it by hand:
//
//	go run ./internal/stdsynctest/cmd/stdsync -o /tmp/stdsync
//	cd /tmp/stdsync && GOFLAGS=-mod=mod go test -short ./sync
//
// It prints the declarations it left out, one a line, with the reason.
// TestStdlibSync in internal/stdsynctest does the same and runs the tests.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/condiag/condiag/internal/stdsynctest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run writes the module and returns the exit code: 0 on success, 1 on
// failure, 2 on a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stdsync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the generated module to `dir` (required)")
	goroot := fs.String("goroot", "", "take the sync tests from `dir`/src/sync (default: go env GOROOT)")
	root := fs.String("root", ".", "condiag's repository, `dir` or one of its parents")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: stdsync -o dir [-goroot dir] [-root dir]")
		return 2
	}
	if err := generate(*out, *goroot, *root, stdout); err != nil {
		fmt.Fprintf(stderr, "stdsync: %v\n", err)
		return 1
	}
	return 0
}

// generate writes the module to out and lists what it left out.
func generate(out, goroot, root string, stdout io.Writer) error {
	var err error
	if goroot == "" {
		if goroot, err = stdsynctest.GoEnv("GOROOT"); err != nil {
			return err
		}
	}
	if root, err = stdsynctest.FindRoot(root); err != nil {
		return err
	}
	m, err := stdsynctest.Load(goroot, root)
	if err != nil {
		return err
	}
	if err := m.Write(out); err != nil {
		return err
	}
	for _, d := range m.Dropped {
		fmt.Fprintf(stdout, "dropped %s\n", d)
	}
	fmt.Fprintf(stdout, "wrote %s: run the tests with: cd %s && GOFLAGS=-mod=mod go test -short ./%s\n", out, out, stdsynctest.TestDir)
	return nil
}
