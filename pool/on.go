//go:build !condiagoff

package pool

// instrumented says whether the monitor calls are compiled in; the tag
// condiagoff removes them.
const instrumented = true
