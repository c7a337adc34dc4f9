package policy

import (
	"bytes"
	"cuelang.org/go/cue/literal"
	"encoding/json"
	"sort"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// sourceFile is one input file read into memory.
type sourceFile struct {
	rel     string // slash path relative to the repository folder
	display string // name used in positions
	data    []byte
	sha256  string      // hex digest of data
	blob    string      // git blob hash, when a cache is in use
	cached  *cachedFile // what the cache holds for this content, if anything

	linesOnce sync.Once
	lines     []int // offsets at which lines start
}

// position converts a byte offset into a line and column (both from 1,
// columns in bytes, as CUE and go vet count them).
func (f *sourceFile) position(off int) Position {
	f.linesOnce.Do(func() {
		f.lines = make([]int, 1, bytes.Count(f.data, []byte{'\n'})+1)
		for i := 0; ; {
			j := bytes.IndexByte(f.data[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			f.lines = append(f.lines, i)
		}
	})
	off = min(max(off, 0), len(f.data))
	line := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	return Position{File: f.display, Line: line + 1, Column: off - f.lines[line] + 1}
}

// A locator finds where a value below an asset or a config entry is
// written. Path elements are keys (string) or list indexes (int); when the
// path goes further than the source, the deepest value found is used.
type locator interface {
	pos(path ...any) Position
}

// jsonLocator locates values inside one JSON value of a file.
type jsonLocator struct {
	f     *sourceFile
	start int // offset of the value
}

func (l jsonLocator) pos(path ...any) Position {
	_, off := l.find(path)
	return l.f.position(off)
}

// keyPos is where the key of the last path element is written.
func (l jsonLocator) keyPos(path ...any) Position {
	key, _ := l.find(path)
	return l.f.position(key)
}

func (l jsonLocator) find(path []any) (key, value int) {
	key, value = l.start, l.start
	for _, k := range path {
		kOff, vOff, ok := jsonChild(l.f.data, value, k)
		if !ok {
			break
		}
		key, value = kOff, vOff
	}
	return key, value
}

// jsonChild returns the offsets of the key and of the value under key (in
// an object) or index (in an array) of the JSON value that starts at off.
func jsonChild(data []byte, off int, key any) (keyOff, valueOff int, found bool) {
	dec := json.NewDecoder(bytes.NewReader(data[off:]))
	tok, err := dec.Token()
	if err != nil {
		return 0, 0, false
	}
	next := func() int { // the start of the next token
		i := off + int(dec.InputOffset())
		for i < len(data) && bytes.IndexByte([]byte(" \t\r\n:,"), data[i]) >= 0 {
			i++
		}
		return i
	}
	var skip json.RawMessage
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			keyStart := next()
			k, err := dec.Token()
			if err != nil {
				return 0, 0, false
			}
			if k == key {
				return keyStart, next(), true
			}
			if dec.Decode(&skip) != nil {
				return 0, 0, false
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if i == key {
				v := next()
				return v, v, true
			}
			if dec.Decode(&skip) != nil {
				return 0, 0, false
			}
		}
	}
	return 0, 0, false
}

// astLocator locates values inside a CUE (or YAML) syntax tree.
type astLocator struct{ expr ast.Expr }

func (l astLocator) pos(path ...any) Position {
	_, value := l.find(path)
	return fromToken(value.Pos())
}

// keyPos is where the label of the last path element is written.
func (l astLocator) keyPos(path ...any) Position {
	label, _ := l.find(path)
	return fromToken(label.Pos())
}

func (l astLocator) find(path []any) (label, value ast.Node) {
	label, value = l.expr, l.expr
	for _, key := range path {
		lab, next := astChild(value, key)
		if next == nil {
			break
		}
		label, value = lab, next
	}
	return label, value
}

// astChild returns the label and value of a field (key string) or a list
// element (key int) of a struct or list literal.
func astChild(n ast.Node, key any) (label, value ast.Node) {
	switch x := n.(type) {
	case *ast.StructLit:
		name, ok := key.(string)
		if !ok {
			return nil, nil
		}
		for _, d := range x.Elts {
			if f, ok := d.(*ast.Field); ok {
				if l, ok := labelName(f.Label); ok && l == name {
					return f.Label, f.Value
				}
			}
		}
	case *ast.ListLit:
		if i, ok := key.(int); ok && i >= 0 && i < len(x.Elts) {
			return x.Elts[i], x.Elts[i]
		}
	}
	return nil, nil
}

// valueLocator locates values inside an evaluated CUE value.
type valueLocator struct{ v cue.Value }

func (l valueLocator) pos(path ...any) Position {
	sels := make([]cue.Selector, 0, len(path))
	for _, key := range path {
		switch k := key.(type) {
		case string:
			sels = append(sels, cue.Str(k))
		case int:
			sels = append(sels, cue.Index(k))
		}
	}
	return l.posOf(sels)
}

// posOf walks back up from the selected value until a value written in a
// repository file is found: defaults and required fields come from the
// schema.
func (l valueLocator) posOf(sels []cue.Selector) Position {
	for n := len(sels); n >= 0; n-- {
		if v := l.v.LookupPath(cue.MakePath(sels[:n]...)); v.Exists() {
			if p := userPos(v); p.File != "" {
				return p
			}
		}
	}
	return fromToken(l.v.Pos())
}

// userPos is where a value is written in a repository file, if it is.
func userPos(v cue.Value) Position {
	if p := fromToken(v.Pos()); p.File != "" && !isSchemaFile(p.File) {
		return p
	}
	for _, c := range conjuncts(v) {
		if p := fromToken(c.Pos()); p.File != "" && !isSchemaFile(p.File) {
			return p
		}
	}
	return Position{}
}

// conjuncts lists the values a value was unified from.
func conjuncts(v cue.Value) []cue.Value {
	op, args := v.Expr()
	if op != cue.AndOp {
		return nil
	}
	return args
}

func fromToken(p token.Pos) Position {
	tp := p.Position()
	return Position{File: tp.Filename, Line: tp.Line, Column: tp.Column}
}

// labelName returns the name of a regular field label: an identifier that
// is not a definition or hidden, or a quoted string.
func labelName(l ast.Label) (string, bool) {
	switch x := l.(type) {
	case *ast.Ident:
		if x.Name == "" || x.Name[0] == '#' || x.Name[0] == '_' {
			return "", false
		}
		return x.Name, true
	case *ast.BasicLit:
		if x.Kind == token.STRING && len(x.Value) > 0 && x.Value[0] == '"' {
			s, err := literal.Unquote(x.Value)
			if err == nil {
				return s, true
			}
		}
	}
	return "", false
}
