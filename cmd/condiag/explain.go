package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/condiag/condiag/report"
)

// runExplain prints the documentation of the finding IDs in args, or the
// list of all IDs with -list. IDs are matched without regard to case.
// Nothing is printed to stdout if any ID is unknown.
func runExplain(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet(stderr)
	list := fs.Bool("list", false, "list every finding ID with its title")
	if code, stop := parse(fs, args); stop {
		return code
	}
	ids := fs.Args()
	if *list {
		if len(ids) > 0 {
			return c.usageError(stderr, "-list takes no IDs, got %s", strings.Join(ids, " "))
		}
		for _, d := range report.All() {
			fmt.Fprintf(stdout, "%s  %s\n", d.ID, d.Title)
		}
		return exitClean
	}
	if len(ids) == 0 {
		return c.usageError(stderr, "no finding ID given (try condiag explain -list)")
	}
	docs, unknown := lookupDocs(ids)
	if len(unknown) > 0 {
		for _, id := range unknown {
			fmt.Fprintf(stderr, "condiag explain: unknown finding ID %q\n", id)
		}
		fmt.Fprintf(stderr, "Finding IDs are a prefix (%s) and four digits, such as DL1001; 'condiag explain -list' lists them.\n",
			strings.Join(idPrefixes(), ", "))
		return exitUsage
	}
	for i, d := range docs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		writeDoc(stdout, d)
	}
	return exitClean
}

// lookupDocs returns the documentation of ids, and the ids that are not
// registered.
func lookupDocs(ids []string) (docs []report.Doc, unknown []string) {
	for _, id := range ids {
		d, ok := report.Lookup(strings.ToUpper(id))
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		docs = append(docs, d)
	}
	return docs, unknown
}

// idPrefixes returns the distinct letter prefixes of the registered IDs,
// sorted: "CT", "DL", ...
func idPrefixes() []string {
	var ps []string
	for _, d := range report.All() {
		if p := strings.TrimRight(d.ID, "0123456789"); !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

// writeDoc writes d for reading in a terminal, code indented.
func writeDoc(w io.Writer, d report.Doc) {
	fmt.Fprintf(w, "%s: %s\n", d.ID, d.Title)
	fmt.Fprintf(w, "Severity: %s    Since: %s\n\n", d.Severity, d.Since)
	fmt.Fprintf(w, "%s\n", strings.TrimSpace(d.Text))
	writeExample(w, "Bad", d.Bad)
	writeExample(w, "Fixed", d.Fixed)
}

func writeExample(w io.Writer, heading, code string) {
	if code == "" {
		return
	}
	fmt.Fprintf(w, "\n%s:\n\n", heading)
	for _, line := range strings.Split(strings.TrimRight(code, "\n"), "\n") {
		if line == "" {
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "    %s\n", line)
	}
}
