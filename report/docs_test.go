package report_test

import (
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/report/internal/docgen"
)

// docsDir holds the generated pages, relative to this package.
const docsDir = "../docs/findings"

var idPattern = regexp.MustCompile(`^[A-Z]{2}[0-9]{4}$`)

func TestDocsIDs(t *testing.T) {
	want := []string{
		"CT5001",
		"DL1001", "DL1002", "DL1003", "DL1004", "DL1005", "DL1006",
		"LK3001", "LK3002", "LK3003",
		"RC2001", "RC2002", "RC2003",
		"ST4001", "ST4002", "ST4003",
	}
	var got []string
	for _, d := range report.All() {
		got = append(got, d.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("All() IDs mismatch (-want +got):\n%s", diff)
	}
}

func TestDocs(t *testing.T) {
	for _, d := range report.All() {
		t.Run(d.ID, func(t *testing.T) {
			if !idPattern.MatchString(d.ID) {
				t.Errorf("ID %q does not match %v", d.ID, idPattern)
			}
			if d.Title == "" || d.Text == "" || d.Since == "" {
				t.Errorf("Title, Text and Since must be set: %+v", d)
			}
			if d.Title != strings.ToLower(d.Title[:1])+d.Title[1:] {
				t.Errorf("Title %q should start in lower case", d.Title)
			}
			if d.Severity < report.SeverityInfo || d.Severity > report.SeverityError {
				t.Errorf("Severity = %v, want info, warning or error", d.Severity)
			}
			if strings.Contains(d.Text, "\n\n") {
				t.Errorf("Text is more than one paragraph")
			}
			for _, line := range strings.Split(d.Text, "\n") {
				if len(line) > 76 {
					t.Errorf("Text line longer than 76 characters: %q", line)
				}
			}
			if d.Bad == d.Fixed {
				t.Errorf("Bad and Fixed are the same")
			}
			checkExample(t, "Bad", d.Bad, d.ID)
			checkExample(t, "Fixed", d.Fixed, "")
		})
	}
}

// checkExample checks that src is a gofmt-formatted Go file importing
// condiag, and that it marks the finding id, if id is not empty.
func checkExample(t *testing.T, name, src, id string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name+".go", src, parser.ImportsOnly)
	if err != nil {
		t.Errorf("%s does not parse: %v", name, err)
		return
	}
	imported := false
	for _, imp := range f.Imports {
		imported = imported || strings.HasPrefix(imp.Path.Value, `"github.com/condiag/condiag/`)
	}
	if !imported {
		t.Errorf("%s does not import a github.com/condiag/condiag package", name)
	}
	formatted, err := format.Source([]byte(src))
	if err != nil {
		t.Errorf("%s does not parse: %v", name, err)
	} else if diff := cmp.Diff(string(formatted), src); diff != "" {
		t.Errorf("%s is not gofmt-formatted (-gofmt +got):\n%s", name, diff)
	}
	if id != "" && !strings.Contains(src, ": "+id+"\n") {
		t.Errorf("%s has no comment ending in %q at the line that triggers it", name, ": "+id)
	}
}

func TestGeneratedDocs(t *testing.T) {
	want := map[string]bool{}
	for _, f := range docgen.Files(report.All()) {
		want[f.Name] = true
		got, err := os.ReadFile(filepath.Join(docsDir, f.Name))
		if err != nil {
			t.Errorf("%v; run go generate ./report", err)
			continue
		}
		if diff := cmp.Diff(string(f.Data), string(got)); diff != "" {
			t.Errorf("docs/findings/%s is out of date; run go generate ./report (-want +got):\n%s", f.Name, diff)
		}
	}
	entries, err := os.ReadDir(docsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".md") && !want[e.Name()] {
			t.Errorf("docs/findings/%s documents no registered ID; run go generate ./report", e.Name())
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		give   string
		want   string
		wantOK bool
	}{
		{give: "DL1001", want: "potential deadlock: lock-order cycle", wantOK: true},
		{give: "CT5001", want: "hot lock", wantOK: true},
		{give: "dl1001", wantOK: false},
		{give: "DL9999", wantOK: false},
		{give: "", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			d, ok := report.Lookup(tt.give)
			if ok != tt.wantOK || d.Title != tt.want {
				t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.give, d.Title, ok, tt.want, tt.wantOK)
			}
		})
	}
}
