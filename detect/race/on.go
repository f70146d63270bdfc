//go:build !condiagoff

package race

// Instrumented says whether accesses are checked (not with the build tag
// condiagoff).
const Instrumented = true
