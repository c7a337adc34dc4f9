package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/patchwave/patchwave/schemas"
)

// schemaPrefix names the embedded schema files in positions, so that they
// are never taken for repository files.
const schemaPrefix = "$patchwave/schemas/"

func isSchemaFile(name string) bool { return strings.HasPrefix(name, schemaPrefix) }

// loadConfig evaluates the CUE files with the schema and decodes the
// configuration into l.repo.
func (l *loader) loadConfig() {
	l.known = map[string]map[string]bool{}
	l.locs = map[string]locator{}
	l.partial = map[string]bool{}
	keepLiterals := !l.configRefersToAssets()
	inst := build.NewContext().NewInstance("", nil)
	for _, name := range schemas.Files {
		data, err := schemas.FS.ReadFile(name)
		if err != nil {
			panic(err) // embedded: cannot fail
		}
		f, err := parser.ParseFile(schemaPrefix+name, data)
		if err != nil {
			panic(fmt.Sprintf("embedded schema: %v", err))
		}
		inst.AddSyntax(f)
	}
	for _, cf := range l.cueFiles {
		switch {
		case keepLiterals:
			l.rep.list = append(l.rep.list, cf.probs...)
		case cf.lits:
			// Parse again, with the assets, for the CUE evaluator; the
			// file parsed before, so it parses now.
			cf.ast, _ = parser.ParseFile(cf.src.display, cf.src.data, parser.AllErrors)
			cf.lits, cf.raw = false, nil
		}
		setPackage(cf.ast)
		inst.AddSyntax(cf.ast)
	}
	ctx := cuecontext.New()
	v := ctx.BuildInstance(inst)
	for _, err := range []error{inst.Err, v.Err(), v.Validate(cue.Concrete(true))} {
		if err != nil {
			l.rep.list = append(l.rep.list, cueProblems(err, v)...)
			l.schemaErrors = true
		}
	}
	l.config = v
	l.decodeConfig(v)
}

// setPackage gives a file the schema's package name, so that all files,
// whatever package clause they have or lack, share one scope.
func setPackage(f *ast.File) {
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok {
			p.Name = ast.NewIdent(schemas.Package)
			return
		}
	}
	f.Decls = append([]ast.Decl{&ast.Package{Name: ast.NewIdent(schemas.Package)}}, f.Decls...)
}

// configRefersToAssets reports whether any CUE outside the plain-data
// `assets` declarations uses the identifier assets (a comprehension over
// the inventory, say). Then all assets must go through CUE.
func (l *loader) configRefersToAssets() bool {
	found := false
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Field:
			if x.Value != nil {
				ast.Walk(x.Value, visit, nil)
			}
			return false // the label is a name, not a reference
		case *ast.Ident:
			if x.Name == "assets" {
				found = true
			}
		}
		return !found
	}
	for _, cf := range l.cueFiles {
		ast.Walk(cf.ast, visit, nil)
	}
	return found
}

// cueErrPos picks the position of an error in a repository file: the
// value written there, else the nearest enclosing value that is.
func cueErrPos(e cueerrors.Error, root cue.Value) Position {
	format, _ := e.Msg()
	missing := strings.Contains(format, "field is required")
	if !missing {
		for _, p := range append([]token.Pos{e.Position()}, e.InputPositions()...) {
			if pos := fromToken(p); pos.File != "" && !isSchemaFile(pos.File) {
				return pos
			}
		}
	}
	// The path as CUE prints it: quoted labels, list indexes as numbers.
	sels := cue.ParsePath(strings.Join(e.Path(), ".")).Selectors()
	if missing && len(sels) > 0 {
		sels = sels[:len(sels)-1] // the entry that lacks the field
	}
	if root.Exists() {
		if p := (valueLocator{root}).posOf(sels); p.File != "" && !isSchemaFile(p.File) {
			return p
		}
	}
	return fromToken(e.Position())
}

// decodeSection decodes each entry of a map-valued section (groups,
// waves, policy.windows ...) that CUE found valid, and records every name.
//
// An entry with errors is decoded without its invalid values (complete is
// false), so that the checks of its other values still run: validate
// reports every problem, not only those in valid entries. A repository
// with errors must not be planned; Load's callers check for errors.
func (l *loader) decodeSection(v cue.Value, section string, fn func(name string, data []byte, loc locator, complete bool)) {
	names := map[string]bool{}
	l.known[section] = names
	it, err := v.Fields()
	if err != nil {
		return
	}
	for it.Next() {
		name, ev := it.Selector().Unquoted(), it.Value()
		names[name] = true
		loc := valueLocator{ev}
		l.locs[section+"\x00"+name] = loc
		if data, complete, ok := bestEffort(ev); ok {
			if !complete {
				l.partial[section+"\x00"+name] = true
			}
			fn(name, data, loc, complete)
		}
	}
}

// concrete returns the JSON of a value that CUE found valid and complete;
// the errors of the others are already reported.
func concrete(v cue.Value) ([]byte, bool) {
	if v.Validate(cue.Concrete(true)) != nil {
		return nil, false
	}
	data, err := v.MarshalJSON()
	return data, err == nil
}

// bestEffort returns the JSON of a value, leaving out what is invalid or
// incomplete in it (list elements become null, so that indexes hold).
func bestEffort(v cue.Value) (data []byte, complete, ok bool) {
	if data, ok := concrete(v); ok {
		return data, true, true
	}
	p, ok := partial(v)
	if !ok {
		return nil, false, false
	}
	data, err := json.Marshal(p)
	return data, false, err == nil
}

func partial(v cue.Value) (any, bool) {
	if data, ok := concrete(v); ok {
		return json.RawMessage(data), true
	}
	// An error below a value makes the value itself an error, but its
	// fields and elements can still be reached one by one.
	kind := v.IncompleteKind()
	if kind == cue.StructKind || kind == cue.BottomKind {
		if it, err := v.Fields(); err == nil {
			out := map[string]any{}
			isStruct := true
			for isStruct && it.Next() {
				if isStruct = it.Selector().LabelType() == cue.StringLabel; !isStruct {
					break // a list: its elements come as fields too
				}
				if p, ok := partial(it.Value()); ok {
					out[it.Selector().Unquoted()] = p
				}
			}
			if isStruct && (kind == cue.StructKind || len(out) > 0) {
				return out, true
			}
		}
	}
	if kind == cue.ListKind || kind == cue.BottomKind {
		var out []any
		for i := 0; ; i++ {
			e := v.LookupPath(cue.MakePath(cue.Index(i)))
			if !e.Exists() {
				break
			}
			p, _ := partial(e)
			out = append(out, p)
		}
		return out, out != nil || kind == cue.ListKind
	}
	return nil, false
}

// decodeInto unmarshals JSON from a CUE value that the schema checked;
// failures are a schema bug, and are reported as such.
func (l *loader) decodeInto(data []byte, loc locator, what string, dst any) bool {
	if err := json.Unmarshal(data, dst); err != nil {
		l.rep.errorf(loc.pos(), "internal", "%s: cannot decode %s: %v (a patchwave schema bug: please report it)", what, data, err)
		return false
	}
	return true
}
