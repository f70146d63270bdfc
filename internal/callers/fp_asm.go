//go:build amd64 || arm64

package callers

// getfp returns the frame pointer of its caller's frame.
func getfp() uintptr

// load reads the word at addr, in assembly so that -race's checkptr does
// not inspect the stack address.
func load(addr uintptr) uintptr

const hasFP = true
