package stdsynctest

import (
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrSource reports a source file that Rewrite cannot take.
var ErrSource = errors.New("unsupported source")

// Config says what [Rewrite] replaces and what it leaves out.
type Config struct {
	// SyncPath is the import path that replaces "sync".
	SyncPath string
	// TestenvPath is the import path of the shim that replaces
	// "internal/testenv".
	TestenvPath string
	// Testenv holds the names the shim declares; a use of any other
	// testenv name leaves its declaration out.
	Testenv map[string]bool
	// Internal holds the names package sync exports only to its own tests
	// (export_test.go); a use of one leaves its declaration out.
	Internal map[string]bool
}

// Drop is a top-level declaration that [Rewrite] left out, and why.
type Drop struct {
	File  string // file name, as given to Rewrite
	Line  int    // line of the declaration in the original file
	Decl  string // "func TestPool", "method (*T).M", "type T", "var _"
	Ident string // the identifier that forced it out: "Runtime_procPin", "isync.HashTrieMap"
	Why   string // why Ident is unavailable
}

// String formats d as "file:line: decl: ident: why".
func (d Drop) String() string {
	return fmt.Sprintf("%s:%d: %s: %s: %s", d.File, d.Line, d.Decl, d.Ident, d.Why)
}

// Kinds of imports.
const (
	importOther    = iota
	importSync     // "sync", rewritten to Config.SyncPath
	importTestenv  // "internal/testenv", rewritten to Config.TestenvPath
	importInternal // any other internal package of the standard library
)

// imp is one import of a file.
type imp struct {
	spec *ast.ImportSpec
	path string
	kind int
}

// file is one parsed source file.
type file struct {
	name       string
	src        []byte
	ast        *ast.File
	tok        *token.File
	imports    map[string]*imp // by the name the file uses, "." and "_" excluded
	unresolved map[*ast.Ident]bool
	dotSync    bool // sync is dot-imported
}

// Rewrite rewrites the standard library's package sync_test files in src,
// keyed by file name, to test cfg.SyncPath instead of "sync". It returns
// the new files, under the same names, and the declarations it left out.
//
//  1. Parse every file; each top-level declaration (each spec of a type
//     or var declaration) is a unit.
//  2. Find what each unit uses: package-level names of any file, and
//     unavailable names: a name of cfg.Internal, a name of another
//     internal package, a testenv name the shim lacks, or the unit is a
//     function without a body (linked in by the runtime).
//  3. Drop the units that use an unavailable name, then, to a fixed
//     point, those that use a dropped unit.
//  4. Cut the dropped units out of the text, and the imports no longer
//     used; point "sync" and "internal/testenv" at their replacements.
//  5. Format the result.
func Rewrite(src map[string][]byte, cfg Config) (map[string][]byte, []Drop, error) {
	fset := token.NewFileSet()
	files, err := parseFiles(fset, src)
	if err != nil {
		return nil, nil, err
	}
	units := collectUnits(files)
	s := &scanner{cfg: cfg, pkgNames: make(map[string][]*unit)}
	for _, u := range units {
		for _, n := range u.names {
			s.pkgNames[n] = append(s.pkgNames[n], u)
		}
	}
	for _, u := range units {
		s.scan(u)
	}
	dropAll(units, s.pkgNames, fset)

	out := make(map[string][]byte, len(files))
	var drops []Drop
	for _, f := range files {
		var fu []*unit
		for _, u := range units {
			if u.f == f {
				fu = append(fu, u)
				if u.drop != nil {
					drops = append(drops, *u.drop)
				}
			}
		}
		b, err := f.rewrite(fu, s.pkgNames, cfg)
		if err != nil {
			return nil, nil, err
		}
		out[f.name] = b
	}
	return out, drops, nil
}

// parseFiles parses src in name order.
func parseFiles(fset *token.FileSet, src map[string][]byte) ([]*file, error) {
	var names []string
	for n := range src {
		names = append(names, n)
	}
	sort.Strings(names)
	var files []*file
	for _, n := range names {
		af, err := parser.ParseFile(fset, n, src[n], parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("%w: parsing %s: %v", ErrSource, n, err)
		}
		if af.Name.Name != "sync_test" {
			return nil, fmt.Errorf("%w: %s: package %s, want sync_test", ErrSource, n, af.Name.Name)
		}
		files = append(files, newFile(n, src[n], af, fset))
	}
	return files, nil
}

func newFile(name string, src []byte, af *ast.File, fset *token.FileSet) *file {
	f := &file{
		name:       name,
		src:        src,
		ast:        af,
		tok:        fset.File(af.Pos()),
		imports:    make(map[string]*imp),
		unresolved: make(map[*ast.Ident]bool),
	}
	for _, id := range af.Unresolved {
		f.unresolved[id] = true
	}
	for _, spec := range af.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		im := &imp{spec: spec, path: p, kind: importKind(p)}
		name := path.Base(p)
		if spec.Name != nil {
			name = spec.Name.Name
		}
		switch name {
		case ".":
			f.dotSync = f.dotSync || im.kind == importSync
		case "_":
		default:
			f.imports[name] = im
		}
	}
	return f
}

func importKind(p string) int {
	switch {
	case p == "sync":
		return importSync
	case p == "internal/testenv":
		return importTestenv
	case strings.HasPrefix(p, "internal/") || strings.Contains(p, "/internal/"):
		return importInternal
	}
	return importOther
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// rewrite returns the file without its dropped units and unused imports,
// with "sync" and "internal/testenv" pointed at their replacements.
func (f *file) rewrite(units []*unit, pkgNames map[string][]*unit, cfg Config) ([]byte, error) {
	edits := f.cutUnits(units)
	used, dotUsed := f.used(units, pkgNames)
	edits = append(edits, f.fixImports(used, dotUsed, cfg)...)
	slices.SortFunc(edits, func(a, b edit) int { return b.start - a.start })
	b := slices.Clone(f.src)
	for _, e := range edits {
		b = slices.Concat(b[:e.start], []byte(e.text), b[e.end:])
	}
	out, err := format.Source(b)
	if err != nil {
		return nil, fmt.Errorf("formatting rewritten %s: %w", f.name, err)
	}
	return out, nil
}

// cutUnits returns the edits that remove the dropped units: a whole
// declaration when all its units are dropped, else each dropped spec.
func (f *file) cutUnits(units []*unit) []edit {
	byDecl := make(map[ast.Decl][]*unit)
	var decls []ast.Decl
	for _, u := range units {
		if byDecl[u.decl] == nil {
			decls = append(decls, u.decl)
		}
		byDecl[u.decl] = append(byDecl[u.decl], u)
	}
	var edits []edit
	for _, d := range decls {
		us := byDecl[d]
		if !slices.ContainsFunc(us, func(u *unit) bool { return u.drop == nil }) {
			edits = append(edits, f.cut(d, declDoc(d)))
			continue
		}
		for _, u := range us {
			if u.drop != nil {
				edits = append(edits, f.cut(u.spec, specDoc(u.spec)))
			}
		}
	}
	return edits
}

// used returns the names of the imports that the kept units use, and
// whether they use a name from a dot-import.
func (f *file) used(units []*unit, pkgNames map[string][]*unit) (map[string]bool, bool) {
	used := make(map[string]bool)
	dotUsed := false
	for _, u := range units {
		if u.drop != nil {
			continue
		}
		ast.Inspect(u.node(), func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok || !f.unresolved[id] {
				return true
			}
			if _, isImport := f.imports[id.Name]; isImport {
				used[id.Name] = true
			} else if pkgNames[id.Name] == nil && !isUniverse(id.Name) {
				dotUsed = true
			}
			return true
		})
	}
	return used, dotUsed
}

// fixImports returns the edits that remove unused imports and point the
// kept "sync" and "internal/testenv" at their replacements.
func (f *file) fixImports(used map[string]bool, dotUsed bool, cfg Config) []edit {
	var edits []edit
	for _, d := range f.ast.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		var cuts []edit
		for _, s := range gd.Specs {
			spec := s.(*ast.ImportSpec)
			p, _ := strconv.Unquote(spec.Path.Value)
			if !isUsed(spec, p, used, dotUsed) {
				cuts = append(cuts, f.cut(spec, spec.Doc))
				continue
			}
			if repl := replacement(p, cfg); repl != "" {
				edits = append(edits, f.replace(spec.Path, strconv.Quote(repl)))
			}
		}
		if len(cuts) == len(gd.Specs) {
			cuts = []edit{f.cut(gd, gd.Doc)}
		}
		edits = append(edits, cuts...)
	}
	return edits
}

// isUsed reports whether the import of p by spec is still needed.
func isUsed(spec *ast.ImportSpec, p string, used map[string]bool, dotUsed bool) bool {
	name := path.Base(p)
	if spec.Name != nil {
		name = spec.Name.Name
	}
	switch name {
	case "_":
		return true
	case ".":
		return dotUsed
	}
	return used[name]
}

// replacement returns the import path that replaces p, or "".
func replacement(p string, cfg Config) string {
	switch importKind(p) {
	case importSync:
		return cfg.SyncPath
	case importTestenv:
		return cfg.TestenvPath
	}
	return ""
}

func declDoc(d ast.Decl) *ast.CommentGroup {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return d.Doc
	case *ast.GenDecl:
		return d.Doc
	}
	return nil
}

func specDoc(s ast.Spec) *ast.CommentGroup {
	switch s := s.(type) {
	case *ast.TypeSpec:
		return s.Doc
	case *ast.ValueSpec:
		return s.Doc
	case *ast.ImportSpec:
		return s.Doc
	}
	return nil
}

// replace returns the edit that replaces n with text.
func (f *file) replace(n ast.Node, text string) edit {
	return edit{start: f.tok.Offset(n.Pos()), end: f.tok.Offset(n.End()), text: text}
}

// cut returns the edit that removes n with its doc comment and, when they
// stand alone on their lines, the lines themselves with a trailing
// comment.
func (f *file) cut(n ast.Node, doc *ast.CommentGroup) edit {
	start, end := f.tok.Offset(n.Pos()), f.tok.Offset(n.End())
	if doc != nil {
		start = f.tok.Offset(doc.Pos())
	}
	src := f.src
	ls := start
	for ls > 0 && (src[ls-1] == ' ' || src[ls-1] == '\t') {
		ls--
	}
	le := end
	for le < len(src) && (src[le] == ' ' || src[le] == '\t') {
		le++
	}
	if strings.HasPrefix(string(src[le:min(le+2, len(src))]), "//") {
		for le < len(src) && src[le] != '\n' {
			le++
		}
	}
	if (ls == 0 || src[ls-1] == '\n') && (le == len(src) || src[le] == '\n') {
		start, end = ls, min(le+1, len(src))
	}
	return edit{start: start, end: end}
}
