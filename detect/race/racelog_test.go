package race

import (
	"os"
	"strings"
	"testing"
)

func TestParseLog(t *testing.T) {
	f, err := os.Open("testdata/race.log") // two runs of a test with two races
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	races, err := ParseLog(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(races) != 2 || races[0].Count != 2 || races[1].Count != 2 {
		t.Fatalf("races = %+v, want 2 distinct, each reported twice", races)
	}
	r := races[0]
	if r.Current.Op != "read" || r.Previous.Op != "write" || r.Current.Goroutine == 0 ||
		site(r.Current.Stack) != "/src/racy/main_test.go:16" || len(r.Current.CreatedAt) == 0 {
		t.Errorf("first race = %+v", r)
	}
	fs := Findings(races)
	if len(fs) != 2 || fs[0].ID != "RC2001" {
		t.Fatalf("findings = %+v", fs)
	}
	// The map race: the runtime's frames are left out of the sites.
	m := fs[1].Message
	if !strings.Contains(m, "write at /src/racy/main_test.go:23 by goroutine") || !strings.Contains(m, "read at /src/racy/main_test.go:24") ||
		!strings.Contains(m, "reported by the Go race detector 2 times") {
		t.Errorf("message %q", m)
	}
	if fs[1].Goroutines[0].CreatedBy.Line != 23 {
		t.Errorf("created by %v, want the go statement at line 23", fs[1].Goroutines[0].CreatedBy)
	}
}

func TestParseLogBad(t *testing.T) {
	for _, give := range []string{
		"",
		"PASS\nok  \tracy\t0.1s\n",
		"WARNING: DATA RACE\nRead at 0x1 by goroutine 3:\n", // cut short: no second access
	} {
		if races, err := ParseLog(strings.NewReader(give)); err == nil {
			t.Errorf("ParseLog(%q) = %v, want an error", give, races)
		}
	}
	// A line longer than a scanner's default buffer is fine.
	long := "WARNING: DATA RACE\n" + strings.Repeat("x", 200000) + "\n"
	if _, err := ParseLog(strings.NewReader(long)); err == nil || strings.Contains(err.Error(), "too long") {
		t.Errorf("long line: %v", err)
	}
}
