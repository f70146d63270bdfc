//go:build !condiagoff

package leak_test

const instrumented = true
