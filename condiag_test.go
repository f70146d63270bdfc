package condiag

import (
	"fmt"
	"strings"
	"testing"

	"github.com/condiag/condiag/detect/leak"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/report"
)

type fakeT struct{ errs []string }

func (t *fakeT) Helper()           {}
func (t *fakeT) Error(args ...any) { t.errs = append(t.errs, strings.TrimSpace(sprint(args...))) }

func sprint(args ...any) string {
	var b strings.Builder
	for _, a := range args {
		if s, ok := a.(string); ok {
			b.WriteString(s)
		} else if e, ok := a.(error); ok {
			b.WriteString(e.Error())
		}
	}
	return b.String()
}

type fakeM struct{ code int }

func (m fakeM) Run() int { return m.code }

// runs makes the findings of each run of a test distinct (go test -count).
var runs = map[string]int{}

// finding reports a fresh finding with a unique location.
func finding(t *testing.T, id string, line int) {
	t.Helper()
	runs[t.Name()]++
	f := report.New(id)
	f.Confidence = report.Observed
	f.Message = "test finding"
	f.Location = report.Frame{File: fmt.Sprintf("%s.go/run%d", t.Name(), runs[t.Name()]), Line: line}
	if !sink.Report(f) {
		t.Fatalf("finding %s at line %d was a duplicate", id, line)
	}
}

func TestVerifyNoneConsumes(t *testing.T) {
	defer SetHandler(SetHandler(nil))
	VerifyNone(&fakeT{}) // consume anything earlier tests left
	finding(t, "DL1003", 1)
	ft := &fakeT{}
	VerifyNone(ft)
	if len(ft.errs) != 1 || !strings.Contains(ft.errs[0], "DL1003") {
		t.Fatalf("VerifyNone errors = %q, want one naming DL1003", ft.errs)
	}
	ft = &fakeT{}
	VerifyNone(ft)
	if len(ft.errs) != 0 {
		t.Errorf("a second VerifyNone reported again: %q", ft.errs)
	}
}

func TestIgnoreID(t *testing.T) {
	defer SetHandler(SetHandler(nil))
	VerifyNone(&fakeT{})
	finding(t, "DL1004", 2)
	tests := []struct {
		name    string
		give    []Option
		wantErr string
	}{
		{name: "counted", wantErr: "DL1004"},
		{name: "ignored", give: []Option{IgnoreID("DL1004", "known")}},
		{name: "no reason", give: []Option{IgnoreID("DL1004", " ")}, wantErr: "without a reason"},
		{name: "unknown ID", give: []Option{IgnoreID("XX9999", "why")}, wantErr: "unknown finding ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.give...)
			if tt.wantErr == "" {
				// Check counts every finding of the process; only DL1004
				// was left unignored by this test if any.
				if err != nil && strings.Contains(err.Error(), "DL1004") {
					t.Errorf("Check = %v, want DL1004 ignored", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Check = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	VerifyNone(&fakeT{})
}

func TestVerifyTestMain(t *testing.T) {
	defer SetHandler(SetHandler(nil))
	var exitCode int
	osExit = func(c int) { exitCode = c }
	defer func() { osExit = nil }()
	VerifyNone(&fakeT{})

	VerifyTestMain(fakeM{code: 0})
	if exitCode != 0 {
		t.Errorf("clean run exited %d, want 0", exitCode)
	}
	VerifyTestMain(fakeM{code: 3})
	if exitCode != 3 {
		t.Errorf("failed run exited %d, want 3", exitCode)
	}
	finding(t, "DL1005", 3)
	VerifyTestMain(fakeM{code: 0})
	if exitCode != 1 {
		t.Errorf("run with a finding exited %d, want 1", exitCode)
	}
	cleaned := -1
	VerifyTestMain(fakeM{code: 0}, IgnoreID("DL1005", "this test reports it"), Cleanup(func(c int) { cleaned = c }))
	if exitCode != 0 || cleaned != 0 {
		t.Errorf("run with an ignored finding exited %d and cleaned up with %d, want 0 and 0", exitCode, cleaned)
	}
	VerifyTestMain(fakeM{code: 4}, LeakOptions(leak.Cleanup(func(c int) { cleaned = c })))
	if cleaned != 4 {
		t.Errorf("a Cleanup passed through LeakOptions got %d, want the exit code 4", cleaned)
	}
	VerifyNone(&fakeT{})
}
