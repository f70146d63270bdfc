// Command condiag runs, profiles and analyses Go programs that use the
// condiag toolkit, and explains what it finds.
//
// Usage:
//
//	condiag <command> [arguments]
//
// The commands are:
//
//	run       run a command with tracing on, sample its process tree, then
//	          report the findings of every process and a table of their CPU,
//	          memory and threads: condiag run [-o DIR] -- CMD ARGS...
//	profile   sample a running process tree: condiag profile -p PID -o cpu.pb.gz
//	analyze   find deadlocks, leaks and starvation in recorded traces
//	dump      print every event of a trace
//	export    write the contention profile of traces (pprof)
//	explain   describe finding IDs: condiag explain DL1001, condiag explain -list
//	version   print condiag's version and the Go version it was built with
//	help      print usage, or the usage of one command
//
// Exit codes: 0 clean, 1 findings, 2 usage or input error; condiag run
// exits with 3 when the command failed and nothing was found.
package main
