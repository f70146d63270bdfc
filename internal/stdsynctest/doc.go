// Package stdsynctest runs the standard library's own sync tests against
// github.com/condiag/condiag/sync, condiag's drop-in replacement.
//
// Go's files are never copied into the repository. At test time
// [Load] reads the package sync_test files from $(go env GOROOT)/src/sync
// and [Generate] builds a throwaway module from them:
//
//	stdsynctest/
//		go.mod                  module stdsynctest, replace condiag => the repository
//		go.sum                  the repository's
//		internal/testenv/       a shim for the standard library's internal/testenv
//		sync/*_test.go          Go's files, rewritten by [Rewrite]
//
// [Rewrite] points the import of "sync" (dot-imports included) at condiag,
// points "internal/testenv" at the shim, and leaves out every top-level
// declaration that needs what only the standard library can reach: the
// names sync exports to its own tests in export_test.go (Runtime_Semacquire,
// NewPoolDequeue, ...), other internal packages (internal/sync), and
// functions the runtime links only into the standard library's sync_test.
// Declarations that use a left-out one are left out in turn, to a fixed
// point, and each is reported as a [Drop] naming the identifier that forced
// it.
//
// TestStdlibSync runs `go test -short` on that module, with and without
// -race; TestAPI checks that every exported name of the standard sync
// exists in condiag's with an identical signature. The command
// internal/stdsynctest/cmd/stdsync writes the module to a directory, to
// inspect it by hand.
package stdsynctest
