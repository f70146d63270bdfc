package sink

import (
	"testing"

	"github.com/condiag/condiag/report"
)

func finding(line int) report.Finding {
	f := report.New("DL1004")
	f.Confidence = report.Observed
	f.Location = report.Frame{File: "sink_test.go", Line: line}
	return f
}

func TestReportOnce(t *testing.T) {
	calls := 0
	defer SetHandler(SetHandler(func(report.Finding) { calls++ }))
	mark := Mark()
	if !Report(finding(1)) || Report(finding(1)) {
		t.Fatal("Report did not tell a new finding from a duplicate")
	}
	if calls != 1 || len(Since(mark)) != 1 {
		t.Errorf("handler called %d times, %d recorded; want 1 and 1", calls, len(Since(mark)))
	}
}

func TestReportAllRecordsBeforeHandling(t *testing.T) {
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

func TestCapKeepsDeduplicating(t *testing.T) {
	calls := 0
	defer SetHandler(SetHandler(func(report.Finding) { calls++ }))
	for i := range maxFindings + 5 {
		Report(finding(1000 + i))
	}
	before := calls
	for range 5 {
		Report(finding(1000 + maxFindings + 1))
	}
	if calls != before {
		t.Errorf("a duplicate past the cap reached the handler %d times", calls-before)
	}
	if Dropped() == 0 {
		t.Error("no finding counted as dropped past the cap")
	}
}
