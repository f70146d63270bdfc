//go:build condiagoff

package leak_test

// instrumented says whether condiag's primitives are instrumented: with
// -tags condiagoff they are the standard library's, and the leak checks
// know only what the tracebacks say.
const instrumented = false
