package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
)

// version is condiag's version, printed by condiag version.
const version = "v0.1.0-dev"

// Exit codes shared by every command; 1 is for findings.
const (
	exitClean = 0 // success, nothing found
	exitUsage = 2 // bad command line or unreadable input
)

// command is one subcommand of condiag.
type command struct {
	name    string
	args    string // synopsis of the arguments, for usage
	summary string // one line, for the list of commands
	// run runs the command with the arguments that follow its name and
	// returns the exit code. It declares its flags on c.flagSet, so that
	// "condiag help NAME" can run it with -h to print its usage.
	run func(c *command, args []string, stdout, stderr io.Writer) int
}

// commands returns the subcommands, in the order usage lists them. New
// commands (run, analyze, dump) are added here.
func commands() []*command {
	return []*command{
		{name: "run", args: "[-o DIR] [-hz N] [-live] -- CMD ARGS...", summary: "run a command with tracing on, sample its process tree, report findings and CPU per process", run: runRun},
		{name: "profile", args: "-p PID [-duration D] [-hz N] [-o FILE]", summary: "sample the CPU, memory and threads of a running process tree", run: runProfile},
		{name: "analyze", args: "[-json] [-fail IDs] [-hang D] [-starve T] [-contention] FILE...", summary: "find deadlocks and leaks in recorded traces", run: runAnalyze},
		{name: "dump", args: "[-json] FILE", summary: "print every event of a trace", run: runDump},
		{name: "export", args: "[-format pprof] [-o FILE] FILE...", summary: "write the contention profile of traces for go tool pprof", run: runExport},
		{name: "explain", args: "[-list] [ID ...]", summary: "describe finding IDs", run: runExplain},
		{name: "version", summary: "print condiag's version and Go's", run: runVersion},
		{name: "help", args: "[command]", summary: "print usage, or the usage of a command", run: runHelp},
	}
}

func lookupCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run runs condiag with args, the command line without the program name,
// and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	}
	c := lookupCommand(name)
	if c == nil {
		fmt.Fprintf(stderr, "condiag: unknown command %q\n", name)
		fmt.Fprintf(stderr, "Run 'condiag help' for usage.\n")
		return exitUsage
	}
	return c.run(c, args[1:], stdout, stderr)
}

// usage writes the list of commands to w.
func usage(w io.Writer) {
	fmt.Fprintf(w, "condiag finds deadlocks, leaks, races and starvation in Go programs.\n\n")
	fmt.Fprintf(w, "Usage:\n\n\tcondiag <command> [arguments]\n\nThe commands are:\n\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'condiag help <command>' for more about a command.\n")
	fmt.Fprintf(w, "Exit codes: 0 clean, 1 findings, 2 usage or input error.\n")
}

// flagSet returns an empty flag set for c that writes errors and usage
// to stderr.
func (c *command) flagSet(stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("condiag "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { c.usage(fs) }
	return fs
}

// parse parses args with fs. It reports whether the command must stop,
// and with which exit code: 0 after -h, 2 after a bad flag. The flag
// package has already printed why.
func parse(fs *flag.FlagSet, args []string) (code int, stop bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitClean, true
		}
		return exitUsage, true
	}
	return exitClean, false
}

// usage writes the usage of c, with the flags of fs, to fs's output.
func (c *command) usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "usage: condiag %s", c.name)
	if c.args != "" {
		fmt.Fprintf(w, " %s", c.args)
	}
	fmt.Fprintf(w, "\n\n%s.\n", capitalize(c.summary))
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\nFlags:\n")
		fs.PrintDefaults()
	}
}

// usageError reports a usage mistake in c and returns exitUsage.
func (c *command) usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "condiag %s: %s\n", c.name, fmt.Sprintf(format, args...))
	fmt.Fprintf(stderr, "Run 'condiag help %s' for usage.\n", c.name)
	return exitUsage
}

func runVersion(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet(stderr)
	if code, stop := parse(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(stderr, "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	fmt.Fprintf(stdout, "condiag %s %s %s/%s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitClean
}

// runHelp prints the usage of condiag, or of the command named in args,
// to stderr.
func runHelp(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet(stderr)
	if code, stop := parse(fs, args); stop {
		return code
	}
	switch fs.NArg() {
	case 0:
		usage(stderr)
		return exitClean
	case 1:
		target := lookupCommand(fs.Arg(0))
		if target == nil {
			fmt.Fprintf(stderr, "condiag help: unknown command %q\n", fs.Arg(0))
			usage(stderr)
			return exitUsage
		}
		return target.run(target, []string{"-h"}, stdout, stderr)
	}
	return c.usageError(stderr, "too many arguments: %s", strings.Join(fs.Args(), " "))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
