//go:build amd64 || arm64

package callers

// getfp returns the frame pointer of its caller's frame.
func getfp() uintptr

// load reads the word at addr, in assembly so that -race's checkptr does
// not inspect the stack address.
func load(addr uintptr) uintptr

const hasFP = true

// Caller returns the return address of the function that calls it: a pc
// in that function's caller, at the call. It must be called from a
// function that is not inlined. It returns 0 when the frame layout was
// not verified at start-up. Cost: one call and one load (about 1 ns).
func Caller() uintptr

// walk follows the frame-pointer chain from the frame at fp, storing up
// to n return addresses at pcs, and returns how many it stored.
//
//go:noescape
func walk(fp uintptr, pcs *uintptr, n int) int
