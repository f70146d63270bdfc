//go:build amd64 || arm64

package goid

// getg returns the address of the current goroutine's runtime g
// structure.
func getg() uintptr

// load reads the word at addr. It is written in assembly so that the
// checkptr instrumentation of -race builds does not reject reading inside
// the runtime's g.
func load(addr uintptr) uint64

// getgWord returns getg() and the word at getg()+off, in one call.
func getgWord(off uintptr) (gp uintptr, word uint64)

const hasGetg = true
