//go:build condiagoff

package race

// Instrumented says whether condiag's checks are compiled in: accesses
// checked, primitives recorded (not with the build tag condiagoff).
const Instrumented = false
