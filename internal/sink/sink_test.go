package sink

import (
	"fmt"
	"strings"
	"testing"

	"github.com/condiag/condiag/report"
)

// run makes the findings of each run of a test distinct (go test -count).
var run = 0

func finding(line int) report.Finding {
	f := report.New("DL1004")
	f.Confidence = report.Observed
	f.Location = report.Frame{File: fmt.Sprintf("sink_test.go/run%d", run), Line: line}
	return f
}

func TestReportOnce(t *testing.T) {
	run++
	calls := 0
	defer SetHandler(SetHandler(func(report.Finding) { calls++ }))
	mark := Mark()
	if !Report(finding(1)) || Report(finding(1)) {
		t.Fatal("Report did not tell a new finding from a duplicate")
	}
	if calls != 2 || len(Since(mark)) != 1 {
		t.Errorf("handler called %d times, %d recorded; want every occurrence (2) and 1", calls, len(Since(mark)))
	}
}

func TestPrintOnce(t *testing.T) {
	run++
	var b strings.Builder
	PrintOnce(&b, finding(5))
	first := b.Len()
	PrintOnce(&b, finding(5))
	if first == 0 || b.Len() != first {
		t.Errorf("printed %d then %d bytes; want the finding once", first, b.Len())
	}
}

func TestReportAllRecordsBeforeHandling(t *testing.T) {
	run++
	defer SetHandler(SetHandler(func(f report.Finding) { panic(f.Location.Line) }))
	mark := Mark()
	func() {
		defer func() { recover() }()
		ReportAll([]report.Finding{finding(10), finding(11), finding(12)})
	}()
	if got := len(Since(mark)); got != 3 {
		t.Errorf("%d findings recorded after the handler panicked on the first; want 3", got)
	}
}

func TestHandlerFromEnv(t *testing.T) {
	tests := []struct {
		give   string
		wantOK bool
		wantH  bool
	}{
		{"", false, true},
		{"print", true, true},
		{"silent", true, false},
		{"panic", true, true},
		{"exit", true, true},
		{"exit:3", true, true},
		{"exit:300", false, false},
		{"loud", false, false},
	}
	for _, tt := range tests {
		h, ok := handlerFromEnv(tt.give)
		if ok != tt.wantOK || (h != nil) != tt.wantH {
			t.Errorf("handlerFromEnv(%q) = handler %v, %v; want handler %v, %v", tt.give, h != nil, ok, tt.wantH, tt.wantOK)
		}
	}
}

// resetForTest forgets every finding, as at start-up.
func resetForTest() {
	mu.Lock()
	defer mu.Unlock()
	findings, seen, dropped = nil, map[string]bool{}, 0
}

func TestCapKeepsDeduplicating(t *testing.T) {
	run++
	defer SetHandler(SetHandler(nil))
	defer resetForTest()
	for i := range maxFindings + 5 {
		Report(finding(1000 + i))
	}
	before := Dropped()
	if before == 0 {
		t.Fatal("no finding counted as dropped past the cap")
	}
	for range 5 {
		if Report(finding(1000 + maxFindings + 1)) {
			t.Fatal("a duplicate past the cap counted as new")
		}
	}
	if Dropped() != before {
		t.Errorf("duplicates past the cap counted as dropped: %d, was %d", Dropped(), before)
	}
}
