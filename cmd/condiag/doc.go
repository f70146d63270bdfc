// Command condiag explains, and will analyse, what the condiag toolkit
// finds in concurrent Go programs.
//
// Usage:
//
//	condiag <command> [arguments]
//
// The commands are:
//
//	explain   describe finding IDs: condiag explain DL1001, condiag explain -list
//	version   print condiag's version and the Go version it was built with
//	help      print usage, or the usage of one command
//
// Exit codes: 0 clean, 1 findings, 2 usage or input error.
package main
