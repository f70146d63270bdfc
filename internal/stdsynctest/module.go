package stdsynctest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	// ModulePath is the path of the generated module.
	ModulePath = "stdsynctest"
	// condiagPath is the module the generated one tests.
	condiagPath = "github.com/condiag/condiag"
	// syncPath replaces "sync" in the standard library's tests.
	syncPath = condiagPath + "/sync"
	// TestDir is the directory of the rewritten tests in the generated
	// module. Being "sync", it makes the test package's symbols start
	// with "stdsynctest/sync_test.", so that TestOnceFuncPanicTraceback,
	// which looks for "sync_test.onceFuncPanic" in a stack, can pass.
	TestDir = "sync"
)

// ErrNoSources reports that the standard library's sync sources are
// missing, as in a GOROOT stripped of its sources.
var ErrNoSources = errors.New("standard library sync sources not found")

// Input is what [Generate] builds a module from.
type Input struct {
	// Sync holds the *_test.go files of the standard library's sync
	// directory, by base name: the package sync_test files are rewritten,
	// the package sync ones (export_test.go) tell what is internal.
	Sync map[string][]byte
	// GoMod is condiag's go.mod, for its go version.
	GoMod []byte
	// GoSum is condiag's go.sum; it may be nil.
	GoSum []byte
	// Root is condiag's directory, the target of the replace directive.
	Root string
}

// Module is a generated module.
type Module struct {
	// Files holds the contents of the module's files by slash-separated
	// path.
	Files map[string][]byte
	// Dropped lists the declarations left out of the tests.
	Dropped []Drop
}

// Generate builds the module that runs the standard library's sync tests
// against condiag's sync.
func Generate(in Input) (*Module, error) {
	tests, internal, err := splitPackages(in.Sync)
	if err != nil {
		return nil, err
	}
	if len(tests) == 0 {
		return nil, fmt.Errorf("%w: no package sync_test file", ErrNoSources)
	}
	goVersion, err := goDirective(in.GoMod)
	if err != nil {
		return nil, err
	}
	files, drops, err := Rewrite(tests, Config{
		SyncPath:    syncPath,
		TestenvPath: ModulePath + "/" + shimDir,
		Testenv:     shimNames(),
		Internal:    internal,
	})
	if err != nil {
		return nil, err
	}
	m := &Module{Files: make(map[string][]byte), Dropped: drops}
	for name, b := range files {
		m.Files[TestDir+"/"+name] = b
	}
	m.Files["go.mod"] = goMod(goVersion, in.Root)
	if in.GoSum != nil {
		m.Files["go.sum"] = in.GoSum
	}
	m.Files[shimDir+"/testenv.go"] = []byte(shimSource)
	// The tests must leave no finding either: no leaked goroutine, no
	// lock held, no report of the online detectors but the two that
	// Go's tests cause on purpose.
	m.Files[TestDir+"/condiag_main_test.go"] = []byte(verifySource)
	return m, nil
}

// splitPackages returns the package sync_test files of src, and the
// exported names that the package sync files declare.
func splitPackages(src map[string][]byte) (tests map[string][]byte, internal map[string]bool, err error) {
	tests = make(map[string][]byte)
	internal = make(map[string]bool)
	fset := token.NewFileSet()
	for name, b := range src {
		f, err := parser.ParseFile(fset, name, b, parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: parsing %s: %v", ErrSource, name, err)
		}
		switch f.Name.Name {
		case "sync_test":
			tests[name] = b
		case "sync":
			for _, n := range exportedNames(f) {
				internal[n] = true
			}
		}
	}
	return tests, internal, nil
}

// exportedNames returns the exported package-level names f declares.
func exportedNames(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.IsExported() {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				for _, n := range specNames(s) {
					if token.IsExported(n) {
						names = append(names, n)
					}
				}
			}
		}
	}
	return names
}

// goDirective returns the version of the go directive in a go.mod file.
func goDirective(gomod []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "go" {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("%w: reading go.mod: no go directive", ErrSource)
}

// goMod returns the generated module's go.mod.
func goMod(goVersion, root string) []byte {
	target := root
	if strings.ContainsAny(root, " \t\"'`\\") {
		target = strconv.Quote(root)
	}
	return fmt.Appendf(nil, "module %s\n\ngo %s\n\nrequire %s v0.0.0\n\nreplace %s => %s\n",
		ModulePath, goVersion, condiagPath, condiagPath, target)
}

// Load reads the standard library's sync tests from goroot and condiag's
// go.mod and go.sum from root, an absolute path, and generates the module.
func Load(goroot, root string) (*Module, error) {
	dir := filepath.Join(goroot, "src", "sync")
	paths, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("%w: no *_test.go in %s", ErrNoSources, dir)
	}
	in := Input{Sync: make(map[string][]byte), Root: root}
	for _, p := range paths {
		if in.Sync[filepath.Base(p)], err = os.ReadFile(p); err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	if in.GoMod, err = os.ReadFile(filepath.Join(root, "go.mod")); err != nil {
		return nil, fmt.Errorf("reading condiag's go.mod: %w", err)
	}
	in.GoSum, err = os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading condiag's go.sum: %w", err)
	}
	return Generate(in)
}

// Write writes the module's files under dir.
func (m *Module) Write(dir string) error {
	var names []string
	for n := range m.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing module: %w", err)
		}
		if err := os.WriteFile(p, m.Files[n], 0o644); err != nil {
			return fmt.Errorf("writing module: %w", err)
		}
	}
	return nil
}

// FindRoot returns the directory of condiag's go.mod, dir or one of its
// parents.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("finding condiag's root: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && modulePath(b) == condiagPath {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("finding condiag's root: no go.mod of %s in %s or its parents", condiagPath, dir)
		}
	}
}

// modulePath returns the path of the module directive of a go.mod file.
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			p, err := strconv.Unquote(f[1])
			if err != nil {
				p = f[1]
			}
			return path.Clean(p)
		}
	}
	return ""
}

// GoEnv returns the value of `go env name`.
func GoEnv(name string) (string, error) {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("running go env %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// verifySource is the TestMain of the generated module.
const verifySource = `package sync_test

import (
	"testing"

	"github.com/condiag/condiag"
)

func TestMain(m *testing.M) {
	condiag.VerifyTestMain(m,
		condiag.IgnoreFunction("stdsynctest/sync_test.TestRLocker.func1", "Go's test read-locks recursively on purpose (DL1004)"),
		condiag.IgnoreFunction("stdsynctest/sync_test.TestWaitGroupMisuse", "Go's test drives the counter negative on purpose (DL1006)"),
	)
}
`
