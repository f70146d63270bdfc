package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/condiag/condiag/internal/stdsynctest"
)

func TestRun(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantStdout string
		wantStderr string
		needGoroot bool // needs the standard library's sync sources
	}{
		{name: "no -o", give: nil, wantCode: 2, wantStderr: "usage: stdsync -o dir"},
		{name: "bad flag", give: []string{"-x"}, wantCode: 2, wantStderr: "flag provided but not defined"},
		{name: "missing sources", give: []string{"-o", out, "-goroot", t.TempDir()}, wantCode: 1, wantStderr: "sync sources not found"},
		{name: "write", give: []string{"-o", out}, wantCode: 0, wantStdout: "wrote " + out, needGoroot: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needGoroot && !haveSources() {
				t.Skip("skipping: the standard library's sync sources are missing")
			}
			var stdout, stderr bytes.Buffer
			code := run(tt.give, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("run(%q) = %d\nstdout: %s\nstderr: %s\nwant %d, stdout containing %q, stderr containing %q",
					tt.give, code, &stdout, &stderr, tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(out, "sync", "once_test.go")); haveSources() && err != nil {
		t.Errorf("generated module lacks sync/once_test.go: %v", err)
	}
}

// haveSources reports whether GOROOT holds the sync tests.
func haveSources() bool {
	goroot, err := stdsynctest.GoEnv("GOROOT")
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(goroot, "src", "sync", "once_test.go"))
	return err == nil
}
