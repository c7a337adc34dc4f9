package policy_test

import (
	"context"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchwave/patchwave/policy"
)

// fuzzNow is the fixed clock of FuzzLoad, so that a crash reproduces.
var fuzzNow = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// minimalPolicy is a small valid repository that fuzzed files are loaded
// next to, so that they meet real groups, patches, waves and drivers.
const minimalPolicy = `package patchwave

policy: {
	authority: {low: ["alice"], medium: ["alice"], high: ["alice"], critical: ["alice"]}
	drivers: sim: {type: "exec", command: ["true"]}
}
assets: "seed-01": {os: name: "debian", packages: openssl: "3.0.0", driver: "sim"}
groups: all: match: {}
patches: p1: {severity: "low", released: "2026-01-01", packages: openssl: "3.0.1"}
waves: w1: {
	patches: ["p1"]
	approved_by: ["alice"]
	stages: [{name: "s1", groups: ["all"], max_parallel: 1}]
}
`

// fuzzRole is one place in a repository where the fuzzed bytes are put.
type fuzzRole struct {
	name string // the fuzzed file's path
	// withPolicy puts minimalPolicy beside it as policy.cue.
	withPolicy bool
}

var fuzzRoles = []fuzzRole{
	{name: "x.cue"},
	{name: "x.cue", withPolicy: true},
	{name: "assets/x.json", withPolicy: true},
	{name: "assets/x.yaml", withPolicy: true},
}

// wholeFileCodes are problems about a file as a whole (an empty folder, an
// inventory that is not a map), which may have no line.
var wholeFileCodes = map[string]bool{"empty": true, "inventory-shape": true}

// FuzzLoad feeds arbitrary bytes to the loader as a CUE file, a JSON
// inventory and a YAML inventory. Whatever the input, Load must not panic
// or fail (the files are in memory, so there is no I/O error to return),
// and every problem must point somewhere a user can open: a repository
// file, and a line in it when it is the fuzzed file.
func FuzzLoad(f *testing.F) {
	root := "../examples/quickstart"
	err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path.Join(root, p))
		f.Add(data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		``,
		`{}`,
		`null`,
		`[]`,
		`"a string"`,
		minimalPolicy,
		`assets: {}`,
		`assets: h1: {ip: "10.0.0.300", os: name: "Debian"}`,
		`assets: h1: {kind: "image"}`,
		`assets: {h1: {os: name: "debian"}, h1: {owner: "x"}}`,
		`assets: [for n in ["a", "b"] {n}]`,
		`groups: g: include: [for id, _ in assets {id}]`,
		`patches: p: {severity: "urgent", released: "yesterday"}`,
		`waves: w: {patches: ["nope"], stages: [{name: "s", groups: ["none"], window: "never", max_parallel: "0%"}]}`,
		`policy: windows: w: {days: ["mon"], start: "25:00", duration: "0s", timezone: "Mars/Olympus"}`,
		`policy: exceptions: [{asset: "seed-01", patch: "p1", reason: "r", expires: "2026-11-27"}]`,
		`policy: canary: "150%"`,
		`rollbacks: r: {wave: "w1", stages: ["s9"], assets: ["nobody"], reason: "why"}`,
		`{"h1": {"ip": ["10.0.0.1", "::1", "bad"], "mac": "zz", "packages": {"a": ""}}}`,
		`{"h1": {"hostname": 7, "tags": {"a": 1}}}`,
		`{"h1": {"hostnme": "x"}, "h2": {"os": {"nam": "debian"}}}`,
		`{"h1": {"image": {"digest": "sha256:xyz"}}}`,
		`{"h1": {"os": {"name": "debian"}}} trailing`,
		`{"h1": {`,
		`{"h1": 1, "h1": 2}`,
		"h1:\n  os:\n    name: debian\n  ip: 10.0.0.1\n",
		"- a\n- b\n",
		"h1: [unclosed\n",
		"h1:\n  kind: image\nh2: &anchor {a: 1}\nh3: *anchor\n",
		"\xff\xfe\x00",
		"patches", // the root takes patches' pattern: errors CUE places in the schema
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		for _, role := range fuzzRoles {
			fsys := fstest.MapFS{role.name: &fstest.MapFile{Data: data}}
			if role.withPolicy {
				fsys["policy.cue"] = &fstest.MapFile{Data: []byte(minimalPolicy)}
			}
			repo, probs, err := policy.Load(context.Background(), fsys, policy.Options{Now: fuzzNow})
			if err != nil {
				t.Fatalf("%s: Load failed on an in-memory repository: %v", role.name, err)
			}
			if repo == nil {
				t.Fatalf("%s: Load returned no repository", role.name)
			}
			for _, p := range probs {
				checkProblem(t, role, fsys, p)
			}
		}
	})
}

// checkProblem asserts that a problem can be acted on: it is in a file of
// the repository, at a line when it is in the fuzzed file, and says what
// is wrong.
func checkProblem(t *testing.T, role fuzzRole, fsys fstest.MapFS, p policy.Problem) {
	t.Helper()
	switch {
	case p.File == "":
		t.Errorf("%s: problem without a file: %+v", role.name, p)
	case p.File != "." && fsys[p.File] == nil:
		t.Errorf("%s: problem in %q, which is not a repository file: %+v", role.name, p.File, p)
	case p.File == role.name && p.Line <= 0 && !wholeFileCodes[p.Code]:
		t.Errorf("%s: problem without a line: %+v", role.name, p)
	}
	if p.Line < 0 || p.Column < 0 {
		t.Errorf("%s: negative position: %+v", role.name, p)
	}
	if p.Level != policy.LevelError && p.Level != policy.LevelWarning {
		t.Errorf("%s: unknown level %q: %+v", role.name, p.Level, p)
	}
	if p.Code == "" || strings.TrimSpace(p.Message) == "" {
		t.Errorf("%s: problem without a code or a message: %+v", role.name, p)
	}
}

// TestMinimalPolicyIsValid keeps FuzzLoad's companion repository valid, so
// that problems it finds come from the fuzzed file.
func TestMinimalPolicyIsValid(t *testing.T) {
	fsys := fstest.MapFS{"policy.cue": &fstest.MapFile{Data: []byte(minimalPolicy)}}
	repo, probs, err := policy.Load(context.Background(), fsys, policy.Options{Now: fuzzNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 0 {
		t.Fatalf("minimal policy has problems:\n%v", probs)
	}
	if len(repo.Assets) != 1 || len(repo.Waves) != 1 {
		t.Fatalf("minimal policy loaded %d assets and %d waves, want 1 and 1", len(repo.Assets), len(repo.Waves))
	}
}
