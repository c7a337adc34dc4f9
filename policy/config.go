package policy

import (
	"encoding/json"
	"fmt"
	"slices"
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
		if keepLiterals && cf.lits != nil {
			decls := cf.ast.Decls[:0:0]
			for i, d := range cf.ast.Decls {
				if !slices.Contains(cf.lits, i) {
					decls = append(decls, d)
				}
			}
			cf.ast.Decls = decls
			l.rep.list = append(l.rep.list, cf.probs...)
		} else {
			cf.lits, cf.raw = nil, nil
		}
		setPackage(cf.ast)
		inst.AddSyntax(cf.ast)
	}
	ctx := cuecontext.New()
	v := ctx.BuildInstance(inst)
	for _, err := range []error{inst.Err, v.Err(), v.Validate(cue.Concrete(true))} {
		if err != nil {
			l.rep.list = append(l.rep.list, cueProblems(err, v)...)
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
		for i, d := range cf.ast.Decls {
			if !slices.Contains(cf.lits, i) {
				ast.Walk(d, visit, nil)
			}
		}
	}
	return found
}

// cueProblems turns CUE errors into problems at the repository value that
// causes them, merging the alternatives of a failed disjunction into one
// message.
func cueProblems(err error, root cue.Value) Problems {
	type entry = cueEntry
	var byPath []string
	groups := map[string][]entry{}
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		if strings.Contains(format, "errors in empty disjunction") {
			continue
		}
		path := strings.Join(e.Path(), ".")
		if _, seen := groups[path]; !seen {
			byPath = append(byPath, path)
		}
		groups[path] = append(groups[path], entry{path: path, pos: cueErrPos(e, root), msg: fmt.Sprintf(format, args...), args: args, fmt: format})
	}
	var out Problems
	for _, path := range byPath {
		es := groups[path]
		if slices.ContainsFunc(es, func(e entry) bool { return !strings.Contains(e.msg, "mismatched types") }) {
			es = slices.DeleteFunc(es, func(e entry) bool { return strings.Contains(e.msg, "mismatched types") })
		}
		prefix := ""
		if path != "" {
			prefix = path + ": "
		}
		// A value that fails every alternative of an enumeration shows up
		// as one conflict per alternative; the common side is the value.
		var conflicts []entry
		for _, e := range es {
			if e.fmt == "conflicting values %s and %s" && len(e.args) == 2 {
				conflicts = append(conflicts, e)
			}
		}
		if len(conflicts) >= 2 {
			if value, alts, ok := commonSide(conflicts); ok {
				out = append(out, Problem{Position: conflicts[0].pos, Level: LevelError, Code: "schema",
					Message: fmt.Sprintf("%sinvalid value %s (want one of %s)", prefix, value, strings.Join(alts, ", "))})
				es = slices.DeleteFunc(es, func(e entry) bool { return e.fmt == "conflicting values %s and %s" })
			}
		}
		for _, e := range es {
			out = append(out, Problem{Position: e.pos, Level: LevelError, Code: "schema", Message: prefix + e.msg})
		}
	}
	return out
}

// cueEntry is one CUE error message on its way to a problem.
type cueEntry struct {
	path string
	pos  Position
	msg  string
	args []any
	fmt  string
}

// commonSide finds the argument shared by all conflicts, the value that
// was written, and lists the other sides, the accepted values.
func commonSide(conflicts []cueEntry) (string, []string, bool) {
	for side := range 2 {
		value := fmt.Sprint(conflicts[0].args[side])
		var alts []string
		for _, c := range conflicts {
			a, b := fmt.Sprint(c.args[0]), fmt.Sprint(c.args[1])
			switch value {
			case a:
				alts = append(alts, b)
			case b:
				alts = append(alts, a)
			}
		}
		if len(alts) == len(conflicts) {
			slices.Sort(alts)
			return value, slices.Compact(alts), true
		}
	}
	return "", nil, false
}

// cueErrPos picks the position of an error in a repository file: the
// value written there, else the nearest enclosing value that is.
func cueErrPos(e cueerrors.Error, root cue.Value) Position {
	for _, p := range append([]token.Pos{e.Position()}, e.InputPositions()...) {
		if pos := fromToken(p); pos.File != "" && !isSchemaFile(pos.File) {
			return pos
		}
	}
	path := make([]any, 0, len(e.Path()))
	for _, s := range e.Path() {
		path = append(path, s)
	}
	if root.Exists() {
		if p := (valueLocator{root}).pos(path...); p.File != "" && !isSchemaFile(p.File) {
			return p
		}
	}
	return fromToken(e.Position())
}

// decodeSection decodes each entry of a map-valued section (groups,
// waves, policy.windows ...) that CUE found valid, and records every name.
func (l *loader) decodeSection(v cue.Value, section string, fn func(name string, data []byte, loc locator)) {
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
		if data, ok := concrete(ev); ok {
			fn(name, data, loc)
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

// decodeInto unmarshals JSON from a valid CUE value; the schema makes
// failures impossible short of a schema bug, which is reported as such.
func (l *loader) decodeInto(data []byte, loc locator, what string, dst any) bool {
	if err := json.Unmarshal(data, dst); err != nil {
		l.rep.errorf(loc.pos(), "internal", "%s: cannot decode %s: %v (a patchwave schema bug: please report it)", what, data, err)
		return false
	}
	return true
}
