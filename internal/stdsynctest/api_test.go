package stdsynctest

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAPI checks that every exported name of the standard library's sync
// exists in condiag's, with an identical signature when both packages
// print as "sync", with and without the condiagoff build tag.
func TestAPI(t *testing.T) {
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil)
	std, err := imp.Import("sync")
	if err != nil {
		t.Skipf("skipping: type-checking the standard library's sync from source: %v", err)
	}
	for _, tags := range [][]string{nil, {"condiagoff"}} {
		t.Run("tags="+strings.Join(tags, ","), func(t *testing.T) {
			ours, err := checkDir(fset, imp, filepath.Join(root, "sync"), syncPath, tags)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range compareAPI(std, ours) {
				t.Error(d)
			}
		})
	}
}

// checkDir type-checks the package in dir, as built with tags.
func checkDir(fset *token.FileSet, imp types.Importer, dir, path string, tags []string) (*types.Package, error) {
	ctxt := build.Default
	ctxt.BuildTags = append(slices.Clone(ctxt.BuildTags), tags...)
	bp, err := ctxt.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: imp}
	pkg, err := conf.Check(path, fset, files, nil)
	if err != nil {
		return nil, fmt.Errorf("type-checking %s: %w", path, err)
	}
	return pkg, nil
}

// compareAPI returns a line for each exported name of want that got lacks
// or declares differently: its kind, signature, the exported methods of
// T and *T and the exported fields of a struct type.
func compareAPI(want, got *types.Package) []string {
	q := func(p *types.Package) string {
		if p.Path() == want.Path() || p.Path() == got.Path() {
			return "sync"
		}
		return p.Path()
	}
	var diffs []string
	for _, name := range want.Scope().Names() {
		w := want.Scope().Lookup(name)
		if !w.Exported() {
			continue
		}
		g := got.Scope().Lookup(name)
		switch {
		case g == nil:
			diffs = append(diffs, fmt.Sprintf("%s %s: missing", kind(w), name))
		case kind(w) != kind(g):
			diffs = append(diffs, fmt.Sprintf("%s %s: condiag's is a %s", kind(w), name, kind(g)))
		case kind(w) == "type":
			diffs = append(diffs, compareType(name, w.Type(), g.Type(), q)...)
		default:
			diffs = append(diffs, compareSig(kind(w)+" "+name, w.Type(), g.Type(), q)...)
		}
	}
	return diffs
}

// kind names the kind of a package-level object.
func kind(o types.Object) string {
	switch o.(type) {
	case *types.TypeName:
		return "type"
	case *types.Func:
		return "func"
	case *types.Var:
		return "var"
	case *types.Const:
		return "const"
	}
	return fmt.Sprintf("%T", o)
}

// compareSig compares the printed types of what.
func compareSig(what string, want, got types.Type, q types.Qualifier) []string {
	w, g := types.TypeString(want, q), types.TypeString(got, q)
	if w == g {
		return nil
	}
	return []string{fmt.Sprintf("%s: standard %s, condiag %s", what, w, g)}
}

// compareType compares the underlying kind, the exported methods of T and
// *T and the exported struct fields of type name.
func compareType(name string, want, got types.Type, q types.Qualifier) []string {
	var diffs []string
	wu, gu := types.Unalias(want).Underlying(), types.Unalias(got).Underlying()
	if typeKind(wu) != typeKind(gu) {
		diffs = append(diffs, fmt.Sprintf("type %s: standard %s, condiag %s", name, typeKind(wu), typeKind(gu)))
	}
	for _, ptr := range []bool{false, true} {
		wt, gt, recv := want, got, name
		if ptr {
			wt, gt, recv = types.NewPointer(want), types.NewPointer(got), "*"+name
		}
		wms, gms := types.NewMethodSet(wt), types.NewMethodSet(gt)
		for sel := range wms.Methods() {
			m := sel.Obj()
			if !m.Exported() {
				continue
			}
			what := fmt.Sprintf("method (%s).%s", recv, m.Name())
			if gs := gms.Lookup(m.Pkg(), m.Name()); gs == nil {
				diffs = append(diffs, what+": missing")
			} else {
				diffs = append(diffs, compareSig(what, m.Type(), gs.Obj().Type(), q)...)
			}
		}
	}
	if st, ok := wu.(*types.Struct); ok {
		diffs = append(diffs, compareFields(name, st, got, q)...)
	}
	return diffs
}

// compareFields compares the exported fields of the struct want with the
// fields of got, promoted ones included.
func compareFields(name string, want *types.Struct, got types.Type, q types.Qualifier) []string {
	var diffs []string
	for f := range want.Fields() {
		if !f.Exported() {
			continue
		}
		what := fmt.Sprintf("field %s.%s", name, f.Name())
		obj, _, _ := types.LookupFieldOrMethod(got, true, nil, f.Name())
		if v, ok := obj.(*types.Var); !ok || !v.IsField() {
			diffs = append(diffs, what+": missing")
			continue
		}
		diffs = append(diffs, compareSig(what, f.Type(), obj.Type(), q)...)
	}
	return diffs
}

// typeKind names the kind of an underlying type.
func typeKind(t types.Type) string {
	switch t.(type) {
	case *types.Struct:
		return "struct"
	case *types.Interface:
		return "interface"
	case *types.Signature:
		return "func"
	}
	return t.String()
}

func TestCompareAPI(t *testing.T) {
	const std = `package sync
type Locker interface{ Lock(); Unlock() }
type Mutex struct{ state int }
func (m *Mutex) Lock()
func (m *Mutex) Unlock()
func (m *Mutex) TryLock() bool
type Cond struct{ L Locker }
func (c *Cond) Wait()
func NewCond(l Locker) *Cond
func OnceValue[T any](f func() T) func() T { return f }
type Token int
func (Token) String() string
func helper()
`
	tests := []struct {
		name string
		give string // condiag's version of std
		want []string
	}{
		{
			name: "identical",
			give: std,
		},
		{
			name: "aliases and extra names",
			give: `package sync
import std "sync"
type Locker = std.Locker
type Mutex struct{ mu std.Mutex }
func (m *Mutex) Lock()
func (m *Mutex) Unlock()
func (m *Mutex) TryLock() bool
type Cond struct{ L Locker; n int }
func (c *Cond) Wait()
func NewCond(l Locker) *Cond
func OnceValue[T any](f func() T) func() T { return f }
type Token int
func (Token) String() string
func SetName(l Locker, name string)
`,
		},
		{
			name: "missing and different",
			give: `package sync
type Locker interface{ Lock(); Unlock() }
type Mutex struct{ state int }
func (m *Mutex) Lock()
func (m *Mutex) Unlock(n int)
type Cond struct{ l Locker }
func (c *Cond) Wait()
func NewCond(l Locker) Cond
type OnceValue int
type Token int
func (*Token) String() string
`,
			want: []string{
				"field Cond.L: missing",
				"method (*Mutex).TryLock: missing",
				"method (*Mutex).Unlock: standard func(), condiag func(n int)",
				"func NewCond: standard func(l sync.Locker) *sync.Cond, condiag func(l sync.Locker) sync.Cond",
				"func OnceValue: condiag's is a type",
				"method (Token).String: missing",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := checkSource(t, "sync", std)
			got := checkSource(t, syncPath, tt.give)
			diffs := compareAPI(want, got)
			if !slices.Equal(diffs, tt.want) {
				t.Errorf("compareAPI() =\n%s\nwant\n%s", strings.Join(diffs, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// checkSource type-checks a one-file package; it may import "sync".
func checkSource(t *testing.T, path, src string) *types.Package {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	pkg, err := conf.Check(path, fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}
