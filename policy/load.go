package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/encoding/yaml"
)

// Options control Load.
type Options struct {
	// Now is the time that time-dependent checks use (exceptions that have
	// expired or soon will). Zero means time.Now().
	Now time.Time
	// Prefix is put before file names in positions: the folder as the user
	// named it, so that "file:line:col" opens from where they stand.
	Prefix string
	// Cache, when set, keeps inventory files decoded between loads.
	Cache *Cache
}

// LoadDir loads the repository in a folder; see Load.
func LoadDir(ctx context.Context, dir string, opts Options) (*Repository, Problems, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("loading repository: %w", err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("loading repository: %q is not a folder", dir)
	}
	if opts.Prefix == "" && path.Clean(dir) != "." {
		opts.Prefix = dir
	}
	return Load(ctx, os.DirFS(dir), opts)
}

// Load reads every *.cue file of fsys (except under state/ and audit/,
// which belong to the runner) and every assets/**/*.json and *.yaml file,
// checks them against the schema and the rules beyond it, and returns the
// typed repository with every problem found, in file order.
//
// The small configuration (policy, groups, patches, waves, rollbacks) is
// evaluated by CUE. Assets written as plain data, in JSON, YAML or CUE, are
// decoded and checked in Go, file by file in parallel, and never enter the
// CUE evaluation, which does not scale to fleets; assets that CUE must
// compute (references, comprehensions) are evaluated with the configuration.
//
// The repository is returned whenever reading succeeded, even with problems,
// so that callers can report more; the error is for I/O failures only.
func Load(ctx context.Context, fsys fs.FS, opts Options) (*Repository, Problems, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	files, err := readFiles(ctx, fsys, opts.Prefix, opts.Cache)
	if err != nil {
		return nil, nil, err
	}
	l := &loader{opts: opts, repo: &Repository{}}
	for _, f := range files {
		l.repo.Files = append(l.repo.Files, File{Path: f.rel, SHA256: f.sha256})
	}
	if len(files) == 0 {
		l.rep.errorf(Position{File: cmpOr(opts.Prefix, ".")}, "empty",
			"no patchwave files here: expected *.cue files, or assets/*.json or assets/*.yaml")
		return l.repo, l.rep.list, nil
	}
	l.readSources(files)
	l.loadConfig()
	l.collectAssets()
	l.check()
	l.placeUnplaced(files)
	return l.repo, l.rep.list.sort(), nil
}

// placeUnplaced gives a place in the repository to problems that CUE could
// only place in the embedded schema, or nowhere: configuration that
// reshapes a top-level field (an embedded value, a pattern) can do that.
// They go to the first CUE file, where the configuration starts.
func (l *loader) placeUnplaced(files []*sourceFile) {
	fallback := files[0].position(0)
	for _, f := range files {
		if path.Ext(f.rel) == ".cue" {
			fallback = f.position(0)
			break
		}
	}
	for i, p := range l.rep.list {
		if p.File == "" || isSchemaFile(p.File) {
			where := "the schema"
			if p.File != "" {
				where = p.Position.String()
			}
			l.rep.list[i].Position = fallback
			l.rep.list[i].Message = fmt.Sprintf("%s (reported at %s: check the shape of the top-level fields)", p.Message, where)
		}
	}
}

// loader holds the state of one Load.
type loader struct {
	opts Options
	repo *Repository
	rep  report

	cueFiles []*cueFile
	assets   []rawAsset // in file order
	// known holds every name defined in each section (groups, patches,
	// waves, policy.windows, policy.drivers), valid or not, so that a
	// reference to an entry with errors is not also reported as unknown.
	known map[string]map[string]bool
	// locs keeps where each config entry is written, by section and name.
	locs map[string]locator
	// config is the evaluated CUE configuration.
	config cue.Value
	// unreadable is set when a file could not be read whole (a syntax
	// error): what it defines is missing, so references to it are not
	// reported as unknown. schemaErrors is set when CUE found errors, and
	// partial lists the entries decoded without their invalid values:
	// checks that judge the whole (empty stages, the canary rule,
	// approval) wait until those are fixed.
	unreadable   bool
	schemaErrors bool
	partial      map[string]bool
	// policyLoc and exceptionLocs locate policy values for the checks.
	policyLoc     locator
	exceptionLocs []locator
}

// cueFile is a parsed CUE file, with the plain-data assets found in it.
// Their declarations are taken out of the syntax tree at once, so that a
// big inventory's tree can be freed as soon as its assets are decoded.
type cueFile struct {
	src   *sourceFile
	ast   *ast.File
	lits  bool       // whether `assets` declarations were taken out
	raw   []rawAsset // their assets
	probs Problems   // their problems
}

// readFiles reads the repository's input files, in parallel.
func readFiles(ctx context.Context, fsys fs.FS, prefix string, cache *Cache) ([]*sourceFile, error) {
	var files []*sourceFile
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && (p == "state" || p == "audit" || p == "cue.mod" || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		if isInput(p) {
			f := &sourceFile{rel: p, display: displayName(prefix, p)}
			if cache != nil && isInventory(p) {
				f.blob = knownBlobHash(d)
				if c := cache.get(f.blob); c != nil {
					f.cached, f.sha256 = c, c.sha256 // no need to read it
				}
			}
			files = append(files, f)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing repository files: %w", err)
	}
	errs := make([]error, len(files))
	parallel(len(files), func(i int) {
		f := files[i]
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			return
		}
		if f.cached != nil {
			return
		}
		data, err := fs.ReadFile(fsys, f.rel)
		if err != nil {
			errs[i] = fmt.Errorf("reading %q: %w", f.display, err)
		}
		f.data, f.sha256 = data, sum(data)
		if cache != nil && isInventory(f.rel) {
			if f.blob == "" {
				f.blob = gitBlobHash(data)
			}
			f.cached = cache.get(f.blob)
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// isInput tells which files of the repository patchwave reads.
func isInput(p string) bool {
	switch path.Ext(p) {
	case ".cue":
		return true
	case ".json", ".yaml", ".yml":
		return strings.HasPrefix(p, "assets/")
	}
	return false
}

func displayName(prefix, rel string) string {
	if prefix == "" || prefix == "." {
		return rel
	}
	if strings.HasSuffix(prefix, ":") { // a git revision, "REF:"
		return prefix + rel
	}
	return path.Join(prefix, rel)
}

// readSources parses CUE files and decodes inventory files, in parallel.
func (l *loader) readSources(files []*sourceFile) {
	type result struct {
		cue    *cueFile
		assets []rawAsset
		probs  Problems
	}
	results := make([]result, len(files))
	parallel(len(files), func(i int) {
		f, r := files[i], &results[i]
		switch path.Ext(f.rel) {
		case ".cue":
			cf, err := parseCUE(f)
			if err != nil {
				r.probs = cueProblems(err, cue.Value{})
				for i := range r.probs {
					r.probs[i].Code = "cue-syntax"
				}
			} else {
				r.cue = cf // its assets' problems count once loadConfig keeps them
			}
		case ".json", ".yaml", ".yml":
			if f.cached != nil {
				r.assets = f.cached.assets
				return
			}
			if path.Ext(f.rel) == ".json" {
				r.assets, r.probs = decodeJSONAssets(f)
			} else {
				r.assets, r.probs = decodeYAMLAssets(f)
			}
			if len(r.probs) == 0 {
				l.opts.Cache.put(f.blob, &cachedFile{sha256: f.sha256, assets: r.assets})
			}
		}
	})
	for _, r := range results {
		if r.cue != nil {
			l.cueFiles = append(l.cueFiles, r.cue)
		}
		for _, p := range r.probs {
			if strings.HasSuffix(p.Code, "-syntax") || p.Code == "inventory-shape" {
				l.unreadable = true
			}
		}
		l.assets = append(l.assets, r.assets...)
		l.rep.list = append(l.rep.list, r.probs...)
	}
}

// parseCUE parses a CUE file and finds its `assets` declarations that are
// plain data.
func parseCUE(f *sourceFile) (*cueFile, error) {
	file, err := parser.ParseFile(f.display, f.data, parser.AllErrors)
	if err != nil {
		return nil, err
	}
	cf := &cueFile{src: f, ast: file}
	decls := file.Decls[:0:0]
	for _, d := range file.Decls {
		if s, ok := assetsLiteral(d); ok {
			if raw, probs, ok := literalAssets(s); ok {
				cf.lits = true
				cf.raw = append(cf.raw, raw...)
				cf.probs = append(cf.probs, probs...)
				continue
			}
		}
		decls = append(decls, d)
	}
	file.Decls = decls
	return cf, nil
}

// assetsLiteral returns the struct of an `assets: {...}` declaration.
func assetsLiteral(d ast.Decl) (*ast.StructLit, bool) {
	field, ok := d.(*ast.Field)
	if !ok || field.Constraint != 0 {
		return nil, false
	}
	if name, ok := labelName(field.Label); !ok || name != "assets" {
		return nil, false
	}
	s, ok := field.Value.(*ast.StructLit)
	return s, ok
}

// decodeYAMLAssets reads an inventory file in YAML: a map of asset id to asset.
func decodeYAMLAssets(f *sourceFile) ([]rawAsset, Problems) {
	var rep report
	file, err := yaml.Extract(f.display, f.data)
	if err != nil {
		rep.list = append(rep.list, yamlProblem(f, err))
		return nil, rep.list
	}
	s := &ast.StructLit{}
	for _, d := range file.Decls {
		if _, ok := d.(*ast.Field); !ok {
			rep.errorf(fromToken(d.Pos()).or(f.position(0)), "inventory-shape", "expected a YAML map of asset id to asset")
			return nil, rep.list
		}
		s.Elts = append(s.Elts, d)
	}
	raw, probs, ok := literalAssets(s)
	if !ok {
		rep.errorf(f.position(0), "inventory-shape", "expected a YAML map of asset id to asset, with plain values")
	}
	return raw, append(rep.list, probs...)
}

// or returns p, or alt when p has no file or line.
func (p Position) or(alt Position) Position {
	if p.File == "" || p.Line == 0 {
		return alt
	}
	return p
}

// yamlProblem turns a YAML error ("file:line: message") into a problem.
// The YAML library counts lines from 0 for parser errors that carry a
// context (an unclosed flow collection), from 1 for scanner errors, and
// leaves out line 0; it gives no column.
func yamlProblem(f *sourceFile, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), f.display)
	line := 1
	if n, _ := fmt.Sscanf(msg, ":%d:", &line); n == 1 {
		_, msg, _ = strings.Cut(msg[1:], ":")
	} else {
		msg = strings.TrimPrefix(msg, ":")
	}
	msg = strings.TrimSpace(msg)
	if strings.HasPrefix(msg, "did not find expected") {
		line++
	}
	pos := f.position(0)
	if line <= len(f.lines) {
		start := f.lines[line-1]
		text, _, _ := bytes.Cut(f.data[start:], []byte("\n"))
		col := len(text) - len(bytes.TrimLeft(text, " \t"))
		for open, closing := range map[byte]string{'{': "'}'", '[': "']'"} {
			if i := bytes.LastIndexByte(text, open); i >= 0 && strings.Contains(msg, closing) {
				col = i
			}
		}
		pos = f.position(start + col)
	}
	return Problem{Position: pos, Level: LevelError, Code: "yaml-syntax", Message: "invalid YAML: " + msg}
}

// collectAssets gathers the assets of all sources (each already checked on
// its own), and reports duplicate ids and unknown drivers.
func (l *loader) collectAssets() {
	all := l.assets
	for _, cf := range l.cueFiles {
		all = append(all, cf.raw...)
	}
	all = append(all, l.configAssets()...)
	slices.SortStableFunc(all, func(a, b rawAsset) int {
		return comparePos(a.asset.Source, b.asset.Source)
	})
	l.repo.Assets = make(map[string]*Asset, len(all))
	for _, ra := range all {
		a := ra.asset
		if first, dup := l.repo.Assets[a.ID]; dup {
			l.rep.errorf(a.Source, "duplicate-asset", "asset %q is already defined at %s", a.ID, first.Source)
			continue
		}
		l.repo.Assets[a.ID] = a
	}
	// Check in parallel: the check only reads the asset and the policy.
	reports := make([]report, len(all))
	parallel(len(all), func(i int) {
		ra := all[i]
		if d := ra.asset.Driver; d != "" && !l.known["drivers"][d] {
			reports[i].errorf(ra.loc.pos("driver"), "unknown-driver", "asset %q: driver %q is not defined in policy.drivers%s", ra.asset.ID, d, l.hint("drivers", d))
		}
	})
	for _, r := range reports {
		l.rep.list = append(l.rep.list, r.list...)
	}
	l.assets = nil
}

func comparePos(a, b Position) int {
	if a.File != b.File {
		return strings.Compare(a.File, b.File)
	}
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	return a.Column - b.Column
}

// parallel calls fn(0..n-1) on as many goroutines as there are CPUs.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	wg.Wait()
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
