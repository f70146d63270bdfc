//go:build !condiagoff

package queue

// instrumented says whether the monitor calls are compiled in; the tag
// condiagoff removes them.
const instrumented = true
