package stdsynctest

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestStdlibSync runs the standard library's sync tests, taken from
// GOROOT and rewritten, against condiag's sync, with and without -race.
func TestStdlibSync(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in short mode: builds and runs the standard library's sync tests in a child go test")
	}
	goroot, err := GoEnv("GOROOT")
	if err != nil {
		t.Fatal(err)
	}
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(goroot, root)
	if errors.Is(err, ErrNoSources) {
		t.Skipf("skipping: the standard library's sync sources are missing from GOROOT %s: %v", goroot, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Dropped {
		t.Logf("dropped %s", d)
	}
	dir := t.TempDir()
	if err := m.Write(dir); err != nil {
		t.Fatal(err)
	}
	t.Run("plain", func(t *testing.T) {
		goTest(t, dir)
	})
	t.Run("race", func(t *testing.T) {
		if reason := noRace(); reason != "" {
			t.Skip("skipping -race: " + reason)
		}
		goTest(t, dir, "-race")
	})
}

// noRace returns why -race cannot build here, or "".
func noRace() string {
	if cgo, err := GoEnv("CGO_ENABLED"); err != nil || cgo != "1" {
		return "cgo is disabled"
	}
	cc, err := GoEnv("CC")
	if f := strings.Fields(cc); err != nil || len(f) == 0 {
		return "no C compiler configured"
	} else if _, err := exec.LookPath(f[0]); err != nil {
		return "no C compiler: " + err.Error()
	}
	return ""
}

var (
	skipLine    = regexp.MustCompile(`(?m)^\s*--- SKIP: (\S+)`)
	passLine    = regexp.MustCompile(`(?m)^\s*--- PASS: `)
	findingLine = regexp.MustCompile(`(?m)^\S.*\((DL\d{4})\)$`)
)

// goTest runs go test -short with extra flags on the generated module in
// dir, and fails with its whole output if it fails.
func goTest(t *testing.T, dir string, extra ...string) {
	flags, err := GoEnv("GOFLAGS")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"test", "-count=1", "-short", "-v", "-timeout=5m"}, extra...)
	args = append(args, "./"+TestDir)
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(flags+" -mod=mod"), "GOWORK=off")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start).Round(time.Millisecond)
	cmdline := "go " + strings.Join(args, " ")
	if err != nil {
		t.Fatalf("%s in %s failed after %v: %v\n%s", cmdline, dir, took, err, out)
	}
	t.Logf("%s: ok in %v, %d passed", cmdline, took, len(passLine.FindAll(out, -1)))
	for _, m := range skipLine.FindAllSubmatch(out, -1) {
		t.Logf("skipped by the test itself: %s", m[1])
	}
	for _, m := range findingLine.FindAll(out, -1) {
		t.Logf("condiag reported: %s", m)
	}
}
