// Package report holds condiag's findings: the [Finding] model, the
// permanent finding IDs with their documentation ([Lookup], [All]), and the
// text and JSON renderings.
//
// A finding is data. Printing it, failing a test with it or passing it to a
// callback is the caller's choice; nothing here exits or panics.
package report
