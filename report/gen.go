package report

// The pages in docs/findings are generated from the registered IDs
// (docs_ids.go); TestGeneratedDocs fails when they are out of date.
//go:generate go run ./internal/gendocs -dir ../docs/findings
