package stdsynctest

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// A unit is a top-level declaration that is kept or left out as a whole:
// a function or method, one spec of a type or var declaration, or a whole
// const declaration (dropping one spec of an iota group would renumber the
// others).
//
// Invariants: refs holds only names declared at package level, each at
// most once, in source order; bad is the first reference to something
// unavailable, and drop is set once bad is, or once a reference is to a
// dropped unit.
type unit struct {
	f     *file
	decl  ast.Decl // the enclosing top-level declaration
	spec  ast.Spec // nil when the unit is the whole declaration
	label string   // "func TestPool", "method (*T).M", "var _", "type T"
	names []string // package-level names it declares, but "_" and "init"
	recv  string   // base type name of a method's receiver
	refs  []string
	bad   *ref
	drop  *Drop
}

// A ref is a use of an unavailable identifier.
type ref struct {
	ident string
	why   string
}

// node returns what the unit covers in the syntax tree.
func (u *unit) node() ast.Node {
	if u.spec != nil {
		return u.spec
	}
	return u.decl
}

// collectUnits returns the units of the files, in file and source order.
func collectUnits(files []*file) []*unit {
	var units []*unit
	for _, f := range files {
		for _, d := range f.ast.Decls {
			units = append(units, declUnits(f, d)...)
		}
	}
	return units
}

// declUnits splits one top-level declaration into units.
func declUnits(f *file, d ast.Decl) []*unit {
	switch d := d.(type) {
	case *ast.FuncDecl:
		u := &unit{f: f, decl: d, label: "func " + d.Name.Name}
		if d.Recv != nil && len(d.Recv.List) == 1 {
			star, base := recvName(d.Recv.List[0].Type)
			u.recv = base
			u.label = fmt.Sprintf("method (%s%s).%s", star, base, d.Name.Name)
		} else if d.Name.Name != "init" {
			u.names = []string{d.Name.Name}
		}
		return []*unit{u}
	case *ast.GenDecl:
		if d.Tok == token.IMPORT {
			return nil
		}
		if d.Tok == token.CONST && d.Lparen.IsValid() {
			u := &unit{f: f, decl: d}
			for _, s := range d.Specs {
				u.names = append(u.names, specNames(s)...)
			}
			u.label = "const (" + strings.Join(u.names, ", ") + ")"
			return []*unit{u}
		}
		var us []*unit
		for _, s := range d.Specs {
			names := specNames(s)
			label := d.Tok.String() + " " + strings.Join(names, ", ")
			us = append(us, &unit{f: f, decl: d, spec: s, label: label, names: named(names)})
		}
		return us
	}
	return nil
}

// recvName returns "*" for a pointer receiver and the receiver's base type
// name, without type arguments.
func recvName(e ast.Expr) (star, base string) {
	if s, ok := e.(*ast.StarExpr); ok {
		star, e = "*", s.X
	}
	switch x := e.(type) {
	case *ast.IndexExpr:
		e = x.X
	case *ast.IndexListExpr:
		e = x.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return star, id.Name
	}
	return star, "?"
}

// specNames returns the names a type or value spec declares.
func specNames(s ast.Spec) []string {
	switch s := s.(type) {
	case *ast.TypeSpec:
		return []string{s.Name.Name}
	case *ast.ValueSpec:
		var names []string
		for _, n := range s.Names {
			names = append(names, n.Name)
		}
		return names
	}
	return nil
}

// named returns names without the blank identifier.
func named(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "_" })
}

// scanner finds what each unit uses.
type scanner struct {
	cfg      Config
	pkgNames map[string][]*unit // package-level name -> units declaring it
}

// scan fills u.refs and u.bad.
func (s *scanner) scan(u *unit) {
	if fd, ok := u.decl.(*ast.FuncDecl); ok && fd.Body == nil {
		u.bad = &ref{ident: fd.Name.Name, why: bodyless(fd)}
	}
	ast.Inspect(u.node(), func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && u.f.unresolved[id] {
				if im, ok := u.f.imports[id.Name]; ok {
					s.qualified(u, im, id.Name, n.Sel.Name)
					return false
				}
			}
		case *ast.Ident:
			s.ident(u, n)
		}
		return true
	})
}

// bodyless explains why a function declared without a body is unavailable.
func bodyless(fd *ast.FuncDecl) string {
	if fd.Doc != nil && slices.ContainsFunc(fd.Doc.List, func(c *ast.Comment) bool {
		return strings.HasPrefix(c.Text, "//go:linkname")
	}) {
		return "declared without a body: the runtime links it by //go:linkname into the standard library's sync_test only"
	}
	return "declared without a body"
}

// qualified records the use of pkg.sel, where pkg names the import im.
func (s *scanner) qualified(u *unit, im *imp, pkg, sel string) {
	var why string
	switch {
	case im.kind == importInternal:
		why = fmt.Sprintf("%q is internal to the standard library", im.path)
	case im.kind == importSync && s.cfg.Internal[sel]:
		why = "exported only to sync's own tests, by export_test.go"
	case im.kind == importTestenv && !s.cfg.Testenv[sel]:
		why = "not provided by the internal/testenv shim"
	default:
		return
	}
	u.setBad(ref{ident: pkg + "." + sel, why: why})
}

// ident records the use of a package-level name, or of an unavailable
// name brought in by a dot-import of sync. It relies on the parser's
// resolution (ast.Object, deprecated but still filled in), which is
// exactly what is needed here: within a file it tells locals from
// package-level names, and it leaves unresolved the names declared in
// other files, the predeclared ones and those of dot-imports.
func (s *scanner) ident(u *unit, id *ast.Ident) {
	if id.Name == "_" || slices.Contains(u.names, id.Name) {
		return
	}
	switch {
	case id.Obj != nil:
		if u.f.ast.Scope.Lookup(id.Name) == id.Obj {
			u.addRef(id.Name)
		}
	case !u.f.unresolved[id]:
	case s.pkgNames[id.Name] != nil:
		u.addRef(id.Name)
	case u.f.dotSync && s.cfg.Internal[id.Name]:
		u.setBad(ref{ident: id.Name, why: "exported only to sync's own tests, by export_test.go"})
	}
}

func (u *unit) addRef(name string) {
	if !slices.Contains(u.refs, name) {
		u.refs = append(u.refs, name)
	}
}

func (u *unit) setBad(r ref) {
	if u.bad == nil {
		u.bad = &r
	}
}

// dropAll marks the units that are unavailable, then, until nothing
// changes, those that use a dropped unit, and the receiver types of
// dropped methods (a type missing a method may no longer satisfy an
// interface it is used as).
func dropAll(units []*unit, pkgNames map[string][]*unit, fset *token.FileSet) {
	for _, u := range units {
		if u.bad != nil {
			u.markDropped(fset, *u.bad)
		}
	}
	for changed := true; changed; {
		changed = false
		for _, u := range units {
			if u.drop != nil {
				continue
			}
			if r, ok := droppedRef(u, units, pkgNames); ok {
				u.markDropped(fset, r)
				changed = true
			}
		}
	}
}

// droppedRef returns the first reason u must go because of another
// dropped unit.
func droppedRef(u *unit, units []*unit, pkgNames map[string][]*unit) (ref, bool) {
	for _, name := range u.refs {
		for _, v := range pkgNames[name] {
			if v.drop != nil {
				why := "left out itself"
				if v.drop.Ident != name {
					why += ", for " + v.drop.Ident
				}
				return ref{ident: name, why: why}, true
			}
		}
	}
	for _, v := range units {
		if v.drop != nil && v.recv != "" && slices.Contains(u.names, v.recv) {
			if _, isType := u.spec.(*ast.TypeSpec); isType {
				return ref{ident: v.label, why: "its method was left out, for " + v.drop.Ident}, true
			}
		}
	}
	return ref{}, false
}

func (u *unit) markDropped(fset *token.FileSet, r ref) {
	u.drop = &Drop{
		File:  u.f.name,
		Line:  fset.Position(u.node().Pos()).Line,
		Decl:  u.label,
		Ident: r.ident,
		Why:   r.why,
	}
}

// isUniverse reports whether name is predeclared.
func isUniverse(name string) bool {
	return types.Universe.Lookup(name) != nil
}
