package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
)

// rawAsset is an asset decoded and checked on its own, with what is
// needed to point at it for the checks that need the whole repository
// (duplicate ids, driver references).
type rawAsset struct {
	asset *Asset
	loc   locator
}

// newRawAsset finishes an asset decoded from a source: it runs the Go
// checks of #Asset, unless decoding failed (which is its problem), fills
// the defaults, and keeps a locator that holds no syntax tree.
func newRawAsset(a *Asset, loc locator, decodeErr *Problem, rep *report) rawAsset {
	if decodeErr != nil {
		rep.list = append(rep.list, *decodeErr)
	} else {
		checkAsset(a, loc, rep)
	}
	applyDefaults(a)
	if al, ok := loc.(astLocator); ok {
		loc = fixedLocator{at: al.pos(), driver: al.pos("driver")}
	}
	return rawAsset{asset: a, loc: loc}
}

// fixedLocator remembers the positions of an asset that later checks may
// report, so that the syntax tree it came from can be freed.
type fixedLocator struct{ at, driver Position }

func (l fixedLocator) pos(path ...any) Position {
	if len(path) == 1 && path[0] == "driver" {
		return l.driver
	}
	return l.at
}

// decodeJSONAssets reads an inventory file: one JSON object of asset id to
// asset. It decodes as a stream, so the file is scanned once, and keeps the
// offset of each asset for error positions.
func decodeJSONAssets(f *sourceFile) ([]rawAsset, Problems) {
	var rep report
	dec := json.NewDecoder(bytes.NewReader(f.data))
	dec.DisallowUnknownFields()
	syntax := func(err error) {
		off := int(dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = int(se.Offset)
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			msg, off = "unexpected end of JSON input: the file is truncated", len(f.data)
		}
		rep.errorf(f.position(off), "json-syntax", "invalid JSON: %s", msg)
	}
	tok, err := dec.Token()
	if err != nil {
		syntax(err)
		return nil, rep.list
	}
	if tok != json.Delim('{') {
		rep.errorf(f.position(0), "inventory-shape", "expected a JSON object of asset id to asset, found %s", describeToken(tok))
		return nil, rep.list
	}
	var out []rawAsset
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			syntax(err)
			return out, rep.list
		}
		id := keyTok.(string)
		start := int(dec.InputOffset())
		for start < len(f.data) && strings.IndexByte(" \t\r\n:", f.data[start]) >= 0 {
			start++
		}
		a := &Asset{ID: id}
		if start < len(f.data) && f.data[start] != '{' {
			// null would decode to an empty asset: what #Asset rejects.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				syntax(err)
				return out, rep.list
			}
			rep.errorf(f.position(start), "schema", "asset %q: expected an object, found %s", id, jsonTypeName(jsonKind(skip)))
			continue
		}
		err = dec.Decode(a)
		loc := jsonLocator{f: f, start: start}
		if err != nil && !isValueError(err) {
			syntax(err)
			return out, rep.list
		}
		a.Source = f.position(start)
		var p *Problem
		if err != nil {
			prob := decodeProblem(a, err, loc, f.data[start:dec.InputOffset()])
			p = &prob
		}
		out = append(out, newRawAsset(a, loc, p, &rep))
	}
	if _, err := dec.Token(); err != nil {
		syntax(err)
		return out, rep.list
	}
	end := int(dec.InputOffset())
	if _, err := dec.Token(); err != io.EOF {
		for end < len(f.data) && strings.IndexByte(" \t\r\n", f.data[end]) >= 0 {
			end++
		}
		rep.errorf(f.position(end), "json-syntax", "invalid JSON: unexpected data after the inventory object")
	}
	return out, rep.list
}

func describeToken(t json.Token) string {
	switch x := t.(type) {
	case json.Delim:
		if x == '[' {
			return "a list"
		}
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// isValueError tells a problem in one value, after which decoding can go
// on, from a syntax error that ends the file.
func isValueError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te) || strings.HasPrefix(err.Error(), "json: unknown field ")
}

// decodeAsset decodes one asset written as JSON (from a CUE or YAML literal).
func decodeAsset(a *Asset, data []byte, loc locator) *Problem {
	if len(data) == 0 || data[0] != '{' {
		return &Problem{Position: loc.pos(), Level: LevelError, Code: "schema",
			Message: fmt.Sprintf("asset %q: expected an object, found %s", a.ID, jsonTypeName(jsonKind(data)))}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(a); err != nil {
		p := decodeProblem(a, err, loc, data)
		return &p
	}
	return nil
}

// decodeProblem turns a decoding error into a problem at the culprit field.
func decodeProblem(a *Asset, err error, loc locator, raw []byte) Problem {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path, field := splitPath(te.Field), ""
		if te.Field != "" {
			field = te.Field + ": "
		}
		return Problem{Position: loc.pos(path...), Level: LevelError, Code: "schema",
			Message: fmt.Sprintf("asset %q: %sexpected %s, found %s", a.ID, field, goTypeName(te.Type), jsonTypeName(te.Value))}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		path := unknownFieldPath(raw, reflect.TypeFor[Asset](), name)
		field := strings.Join(pathStrings(path), ".")
		msg := fmt.Sprintf("asset %q: unknown field %q", a.ID, field)
		if s := suggest(name, fieldNames(reflect.TypeFor[Asset]())); s != "" && len(path) == 1 {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		pos := loc.pos(path...)
		if kl, ok := loc.(interface{ keyPos(...any) Position }); ok {
			pos = kl.keyPos(path...)
		}
		return Problem{Position: pos, Level: LevelError, Code: "unknown-field", Message: msg}
	}
	return Problem{Position: loc.pos(), Level: LevelError, Code: "schema", Message: fmt.Sprintf("asset %q: %v", a.ID, err)}
}

func splitPath(field string) []any {
	var path []any
	if field == "" {
		return nil
	}
	for _, s := range strings.Split(field, ".") {
		path = append(path, s)
	}
	return path
}

func pathStrings(path []any) []string {
	out := make([]string, len(path))
	for i, p := range path {
		out[i] = fmt.Sprint(p)
	}
	return out
}

// unknownFieldPath finds the path to the first field named name in raw that
// the Go type t does not declare. Maps (tags, packages) take any key.
func unknownFieldPath(raw []byte, t reflect.Type, name string) []any {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var walk func(v any, t reflect.Type) []any
	walk = func(v any, t reflect.Type) []any {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		obj, ok := v.(map[string]any)
		if !ok || t.Kind() != reflect.Struct {
			return nil
		}
		known := map[string]reflect.Type{}
		for i := range t.NumField() {
			if n := jsonName(t.Field(i)); n != "" {
				known[n] = t.Field(i).Type
			}
		}
		for _, k := range SortedKeys(obj) {
			ft, ok := known[k]
			if !ok {
				if k == name {
					return []any{k}
				}
				continue
			}
			if sub := walk(obj[k], ft); sub != nil {
				return append([]any{k}, sub...)
			}
		}
		return nil
	}
	return walk(v, t)
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// suggest returns the candidate closest to name when it is close enough
// to be a typo.
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func goTypeName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[StringList]():
		return "a string or a list of strings"
	case reflect.TypeFor[Text]():
		return "a string or a number"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	case reflect.Slice:
		return "a list"
	case reflect.Bool:
		return "true or false"
	}
	return "a number"
}

func jsonTypeName(v string) string {
	switch v {
	case "object":
		return "an object"
	case "array":
		return "a list"
	case "string", "number", "bool", "null":
		return v
	}
	if strings.HasPrefix(v, "number") {
		return "a number"
	}
	return v
}

// literalAssets reads the assets of a CUE or YAML struct literal (id ->
// asset) when every one of them is plain data, without the CUE evaluator.
// It returns ok=false when some asset is computed (references,
// comprehensions, disjunctions...): the caller leaves those to CUE.
func literalAssets(s *ast.StructLit) (out []rawAsset, probs Problems, ok bool) {
	var rep report
	var buf []byte
	out = make([]rawAsset, 0, len(s.Elts))
	for _, d := range s.Elts {
		f, isField := d.(*ast.Field)
		if !isField || f.Constraint != token.ILLEGAL {
			return nil, nil, false
		}
		id, named := labelName(f.Label)
		if !named {
			return nil, nil, false
		}
		if buf, ok = appendLiteral(buf[:0], f.Value); !ok {
			return nil, nil, false
		}
		a := &Asset{ID: id, Source: fromToken(f.Value.Pos())}
		loc := astLocator{expr: f.Value}
		out = append(out, newRawAsset(a, loc, decodeAsset(a, buf, loc), &rep))
	}
	return out, rep.list, true
}

var plainNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// appendLiteral appends the JSON form of a CUE expression that is plain
// data, and reports false for anything else.
func appendLiteral(buf []byte, e ast.Expr) ([]byte, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		switch x.Kind {
		case token.STRING:
			if strings.HasPrefix(x.Value, "'") || strings.HasPrefix(x.Value, "#") {
				return buf, false // bytes and raw strings: leave to CUE
			}
			s, err := literal.Unquote(x.Value)
			if err != nil {
				return buf, false
			}
			return appendJSONString(buf, s), true
		case token.INT, token.FLOAT:
			if !plainNumber.MatchString(x.Value) {
				return buf, false
			}
			return append(buf, x.Value...), true
		case token.TRUE, token.FALSE, token.NULL:
			return append(buf, x.Value...), true
		}
	case *ast.UnaryExpr:
		if lit, ok := x.X.(*ast.BasicLit); ok && x.Op == token.SUB && (lit.Kind == token.INT || lit.Kind == token.FLOAT) {
			return appendLiteral(append(buf, '-'), lit)
		}
	case *ast.ParenExpr:
		return appendLiteral(buf, x.X)
	case *ast.ListLit:
		buf = append(buf, '[')
		for i, el := range x.Elts {
			if i > 0 {
				buf = append(buf, ',')
			}
			var ok bool
			if buf, ok = appendLiteral(buf, el); !ok {
				return buf, false
			}
		}
		return append(buf, ']'), true
	case *ast.StructLit:
		buf = append(buf, '{')
		seen := make([]string, 0, len(x.Elts))
		for i, d := range x.Elts {
			f, ok := d.(*ast.Field)
			if !ok || f.Constraint != token.ILLEGAL {
				return buf, false
			}
			name, ok := labelName(f.Label)
			if !ok || slices.Contains(seen, name) {
				return buf, false // repeated fields unify in CUE: leave to CUE
			}
			seen = append(seen, name)
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(appendJSONString(buf, name), ':')
			if buf, ok = appendLiteral(buf, f.Value); !ok {
				return buf, false
			}
		}
		return append(buf, '}'), true
	}
	return buf, false
}

func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// Defaults and checks of an asset, the Go twin of #Asset in
// schemas/definitions.cue (TestAssetChecksAgreeWithCUE keeps them in step).

var (
	osNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._+-]*$`)
	macPattern    = regexp.MustCompile(`^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$`)
	digestPattern = regexp.MustCompile(`^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`)
)

var (
	criticalities = []string{"low", "medium", "high", "critical"}
	exposures     = []string{"internal", "dmz", "internet"}
	kinds         = []string{"host", "image"}
	osFamilies    = []string{"linux", "windows", "macos"}
)

// checkAsset reports what #Asset would reject in a decoded asset.
func checkAsset(a *Asset, loc locator, rep *report) {
	bad := func(path []any, format string, args ...any) {
		rep.errorf(loc.pos(path...), "schema", "asset %q: %s", a.ID, fmt.Sprintf(format, args...))
	}
	oneOf := func(path []any, v string, allowed []string) {
		if v != "" && !slices.Contains(allowed, v) {
			bad(path, "%s: invalid value %q (want one of %s)", pathString(path), v, quoteList(allowed))
		}
	}
	oneOf([]any{"kind"}, a.Kind, kinds)
	oneOf([]any{"criticality"}, a.Criticality, criticalities)
	oneOf([]any{"exposure"}, a.Exposure, exposures)
	oneOf([]any{"os", "family"}, a.OS.Family, osFamilies)
	if a.OS.Name != "" && !osNamePattern.MatchString(a.OS.Name) {
		bad([]any{"os", "name"}, "os.name: invalid value %q (want the distribution or product in lower case, such as \"debian\" or \"rhel\")", a.OS.Name)
	}
	for i, ip := range a.IP {
		if _, err := netip.ParseAddr(ip); err != nil {
			bad([]any{"ip", i}, "ip: invalid IP address %q", ip)
		}
	}
	for i, mac := range a.MAC {
		if !macPattern.MatchString(mac) {
			bad([]any{"mac", i}, "mac: invalid MAC address %q (want six hex pairs such as \"52:54:00:12:34:56\")", mac)
		}
	}
	for _, name := range SortedKeys(a.Packages) {
		if a.Packages[name] == "" {
			bad([]any{"packages", name}, "packages.%s: empty version", name)
		}
	}
	if a.Image != nil {
		if a.Image.Ref == "" {
			bad([]any{"image"}, "image.ref is required (the deployment reference, such as \"registry.example.com/shop/api:prod\")")
		}
		if a.Image.Digest != "" && !digestPattern.MatchString(a.Image.Digest) {
			bad([]any{"image", "digest"}, "image.digest: invalid digest %q (want \"sha256:\" and 64 hex digits)", a.Image.Digest)
		}
	}
	if a.Kind == "image" && a.Image == nil {
		bad([]any{"kind"}, "kind is \"image\" but image (ref, digest) is missing")
	}
}

// applyDefaults fills what the schema documents as defaults.
func applyDefaults(a *Asset) {
	if a.Kind == "" {
		a.Kind = "host"
		if a.Image != nil {
			a.Kind = "image"
		}
	}
	if a.Criticality == "" {
		a.Criticality = "medium"
	}
	if a.Exposure == "" {
		a.Exposure = "internal"
	}
	if a.OS.Family == "" && a.OS.Name != "" {
		switch {
		case strings.HasPrefix(a.OS.Name, "windows"):
			a.OS.Family = "windows"
		case a.OS.Name == "macos":
			a.OS.Family = "macos"
		default:
			a.OS.Family = "linux"
		}
	}
}

func pathString(path []any) string { return strings.Join(pathStrings(path), ".") }

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
