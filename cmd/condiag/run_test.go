package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/condiag/condiag/report"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantStdout []string // substrings, in order
		wantStderr []string // substrings, in order
		wantNoOut  bool     // stdout must be empty
	}{
		{
			name:       "no arguments",
			give:       nil,
			wantCode:   2,
			wantStderr: []string{"Usage:", "condiag <command>", "explain", "version", "help"},
			wantNoOut:  true,
		},
		{
			name:       "help",
			give:       []string{"help"},
			wantCode:   0,
			wantStderr: []string{"Usage:", "explain", "describe finding IDs", "Exit codes"},
			wantNoOut:  true,
		},
		{
			name:       "-h",
			give:       []string{"-h"},
			wantCode:   0,
			wantStderr: []string{"Usage:"},
			wantNoOut:  true,
		},
		{
			name:       "help explain",
			give:       []string{"help", "explain"},
			wantCode:   0,
			wantStderr: []string{"usage: condiag explain [-list] [ID ...]", "-list"},
			wantNoOut:  true,
		},
		{
			name:       "help unknown command",
			give:       []string{"help", "frob"},
			wantCode:   2,
			wantStderr: []string{`unknown command "frob"`, "Usage:"},
			wantNoOut:  true,
		},
		{
			name:       "help too many arguments",
			give:       []string{"help", "explain", "version"},
			wantCode:   2,
			wantStderr: []string{"too many arguments"},
			wantNoOut:  true,
		},
		{
			name:       "unknown command",
			give:       []string{"frob", "x"},
			wantCode:   2,
			wantStderr: []string{`condiag: unknown command "frob"`, "condiag help"},
			wantNoOut:  true,
		},
		{
			name:       "version",
			give:       []string{"version"},
			wantCode:   0,
			wantStdout: []string{"condiag v0.1.0-dev " + runtime.Version()},
		},
		{
			name:       "version with arguments",
			give:       []string{"version", "now"},
			wantCode:   2,
			wantStderr: []string{"unexpected arguments: now"},
			wantNoOut:  true,
		},
		{
			name: "explain one ID",
			give: []string{"explain", "DL1001"},
			wantStdout: []string{
				"DL1001: potential deadlock: lock-order cycle",
				"Severity: error", "Since: v0.1.0",
				"lock classes", "sync.SetClass",
				"Bad:", `    import "github.com/condiag/condiag/sync"`, "DL1001",
				"Fixed:", "accounts.Lock()",
			},
		},
		{
			name:       "explain lower case",
			give:       []string{"explain", "dl1004"},
			wantStdout: []string{"DL1004: recursive read lock", "Severity: warning"},
		},
		{
			name:       "explain several IDs",
			give:       []string{"explain", "LK3001", "CT5001"},
			wantStdout: []string{"LK3001: goroutine leak", "CT5001: hot lock", "Severity: info"},
		},
		{
			name:       "explain unknown ID",
			give:       []string{"explain", "DL1001", "XY9999"},
			wantCode:   2,
			wantStderr: []string{`unknown finding ID "XY9999"`, "CT, DL, LK, RC, ST", "explain -list"},
			wantNoOut:  true,
		},
		{
			name:       "explain no ID",
			give:       []string{"explain"},
			wantCode:   2,
			wantStderr: []string{"no finding ID given"},
			wantNoOut:  true,
		},
		{
			name:       "explain -list",
			give:       []string{"explain", "-list"},
			wantStdout: []string{"CT5001  hot lock\n", "DL1001  potential deadlock: lock-order cycle\n", "ST4003  "},
		},
		{
			name:       "explain -list with IDs",
			give:       []string{"explain", "-list", "DL1001"},
			wantCode:   2,
			wantStderr: []string{"-list takes no IDs"},
			wantNoOut:  true,
		},
		{
			name:       "explain bad flag",
			give:       []string{"explain", "-frob"},
			wantCode:   2,
			wantStderr: []string{"flag provided but not defined: -frob", "usage: condiag explain"},
			wantNoOut:  true,
		},
		{
			name:       "explain -h",
			give:       []string{"explain", "-h"},
			wantCode:   0,
			wantStderr: []string{"usage: condiag explain"},
			wantNoOut:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.give, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.give, code, tt.wantCode, &stdout, &stderr)
			}
			checkContains(t, "stdout", stdout.String(), tt.wantStdout)
			checkContains(t, "stderr", stderr.String(), tt.wantStderr)
			if tt.wantNoOut && stdout.Len() > 0 {
				t.Errorf("stdout = %q, want nothing", &stdout)
			}
		})
	}
}

// checkContains checks that got holds each of want, in order.
func checkContains(t *testing.T, name, got string, want []string) {
	t.Helper()
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s does not contain %q after the previous matches; %s:\n%s", name, w, name, got)
			return
		}
		rest = rest[i+len(w):]
	}
}

// TestExplainEveryID checks that every registered ID can be explained.
func TestExplainEveryID(t *testing.T) {
	all := report.All()
	var list bytes.Buffer
	if code := run([]string{"explain", "-list"}, &list, new(bytes.Buffer)); code != 0 {
		t.Fatalf("explain -list exit code %d", code)
	}
	if got := strings.Count(list.String(), "\n"); got != len(all) {
		t.Errorf("explain -list printed %d lines, want %d", got, len(all))
	}
	for _, d := range all {
		t.Run(d.ID, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"explain", d.ID}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit code %d, stderr:\n%s", code, &stderr)
			}
			checkContains(t, "stdout", stdout.String(), []string{d.ID + ": " + d.Title, d.Severity.String(), "Bad:", "Fixed:"})
		})
	}
}
