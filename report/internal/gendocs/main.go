// Command gendocs writes the Markdown documentation of every finding ID to
// a directory, docs/findings by default as run by go generate ./report:
// one page per ID and an index, README.md. It removes pages of IDs that
// are no longer registered.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/report/internal/docgen"
)

// pageName matches the file name of an ID's page.
var pageName = regexp.MustCompile(`^[A-Z]{2}[0-9]{4}\.md$`)

func main() {
	dir := flag.String("dir", "../docs/findings", "output `directory`")
	flag.Parse()
	if err := write(*dir); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, f := range docgen.Files(report.All()) {
		want[f.Name] = true
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if pageName.MatchString(e.Name()) && !want[e.Name()] {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
