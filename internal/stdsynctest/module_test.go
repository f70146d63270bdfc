package stdsynctest

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	in := Input{
		Sync: map[string][]byte{
			"export_test.go": []byte("package sync\n\nvar Runtime_procPin = runtime_procPin\n\nfunc helper() {}\n"),
			"pool_test.go": []byte(`package sync_test

import (
	. "sync"
	"testing"
)

func TestPool(t *testing.T) { Runtime_procPin() }

func TestNilPool(t *testing.T) { var p *Pool; _ = p }
`),
		},
		GoMod: []byte("module github.com/condiag/condiag\n\ngo 1.26.8\n\nrequire github.com/google/go-cmp v0.7.0\n"),
		GoSum: []byte("sum\n"),
		Root:  "/src/condiag",
	}
	m, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"go.mod", "go.sum", "internal/testenv/testenv.go", "sync/condiag_main_test.go", "sync/pool_test.go"}
	if got := slices.Sorted(maps.Keys(m.Files)); !slices.Equal(got, wantFiles) {
		t.Errorf("files = %q, want %q", got, wantFiles)
	}
	wantMod := "module stdsynctest\n\ngo 1.26.8\n\nrequire github.com/condiag/condiag v0.0.0\n\nreplace github.com/condiag/condiag => /src/condiag\n"
	if got := string(m.Files["go.mod"]); got != wantMod {
		t.Errorf("go.mod:\n%s\nwant\n%s", got, wantMod)
	}
	if got := string(m.Files["sync/pool_test.go"]); !strings.Contains(got, `. "github.com/condiag/condiag/sync"`) || strings.Contains(got, "TestPool(") {
		t.Errorf("sync/pool_test.go not rewritten:\n%s", got)
	}
	if len(m.Dropped) != 1 || m.Dropped[0].Decl != "func TestPool" || m.Dropped[0].Ident != "Runtime_procPin" {
		t.Errorf("Dropped = %v, want only func TestPool for Runtime_procPin", m.Dropped)
	}
}

func TestGenerateErrors(t *testing.T) {
	test := []byte("package sync_test\n")
	tests := []struct {
		name    string
		give    Input
		wantErr error
		wantMsg string
	}{
		{
			name:    "no tests",
			give:    Input{Sync: map[string][]byte{"export_test.go": []byte("package sync\n")}, GoMod: []byte("go 1.26\n")},
			wantErr: ErrNoSources,
			wantMsg: "no package sync_test file",
		},
		{
			name:    "no go directive",
			give:    Input{Sync: map[string][]byte{"a_test.go": test}, GoMod: []byte("module m\n")},
			wantErr: ErrSource,
			wantMsg: "no go directive",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(tt.give)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Generate() error = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestFindRoot(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "internal", "x")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module github.com/condiag/condiag\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := FindRoot(sub)
	if err != nil || got != root {
		t.Errorf("FindRoot(%s) = %q, %v, want %q", sub, got, err, root)
	}
	other := t.TempDir()
	if _, err := FindRoot(other); err == nil || !strings.Contains(err.Error(), "finding condiag's root") {
		t.Errorf("FindRoot(%s) error = %v, want finding condiag's root", other, err)
	}
}
