package stdsynctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestVetCopylocks checks that go vet's copylocks check still catches
// copies of condiag's locks, as it does of the standard library's.
func TestVetCopylocks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet on a generated module")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := FindRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module vetcheck\n\ngo 1.26\n\nrequire github.com/condiag/condiag v0.0.0\n\nreplace github.com/condiag/condiag => " + root + "\n",
		"main.go": `package main

import "github.com/condiag/condiag/sync"

type guarded struct {
	mu sync.Mutex
	n  int
}

func main() {
	var mu sync.Mutex
	copied := mu
	var rw sync.RWMutex
	rw2 := rw
	var wg sync.WaitGroup
	wg2 := wg
	var once sync.Once
	once2 := once
	g := guarded{}
	g2 := g
	c := sync.NewCond(&mu)
	c2 := *c
	_, _, _, _, _, _ = &copied, &rw2, &wg2, &once2, &g2, &c2
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
	}
	cmd := exec.Command("go", "vet", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("go vet found nothing in code that copies locks:\n%s", out)
	}
	for _, want := range []string{"copied := mu", "rw2 := rw", "wg2 := wg", "once2 := once", "g2 := g", "c2 := *c"} {
		line := 0
		for i, l := range strings.Split(files["main.go"], "\n") {
			if strings.Contains(l, want) {
				line = i + 1
			}
		}
		if !strings.Contains(string(out), "main.go:"+strconv.Itoa(line)+":") {
			t.Errorf("go vet did not flag %q (main.go:%d):\n%s", want, line, out)
		}
	}
}
