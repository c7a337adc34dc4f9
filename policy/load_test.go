package policy_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchwave/patchwave/policy"
)

var testNow = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// load loads an in-memory repository.
func load(t *testing.T, files map[string]string) (*policy.Repository, policy.Problems) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content)}
	}
	repo, probs, err := policy.Load(context.Background(), fsys, policy.Options{Now: testNow})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return repo, probs
}

// mustHave asserts that a problem at pos ("file:line:col") contains frag.
func mustHave(t *testing.T, probs policy.Problems, pos, frag string) {
	t.Helper()
	for _, p := range probs {
		if p.Position.String() == pos && strings.Contains(p.Message, frag) {
			return
		}
	}
	t.Errorf("no problem at %s containing %q; got:\n%s", pos, frag, list(probs))
}

func list(probs policy.Problems) string {
	var b strings.Builder
	for _, p := range probs {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

const basePolicy = `
policy: {
	authority: {critical: ["alice"], high: ["alice"], medium: ["alice"], low: ["alice"]}
	sla: high: "14d"
	drivers: sim: {type: "exec", command: ["true"]}
}
groups: all: match: {}
patches: p1: {severity: "high", released: "2026-11-20", packages: openssl: "3.0.17-1~deb12u3"}
waves: w1: {patches: ["p1"], approved_by: ["alice"], stages: [{name: "all", groups: ["all"]}]}
`

func TestLoadQuickstart(t *testing.T) {
	t.Parallel()
	repo, probs, err := policy.LoadDir(context.Background(), "../examples/quickstart", policy.Options{Now: testNow})
	if err != nil || len(probs) != 0 {
		t.Fatalf("LoadDir: %v\n%s", err, list(probs))
	}
	if len(repo.Assets) != 16 {
		t.Errorf("assets = %d, want 16", len(repo.Assets))
	}
	w := repo.Waves["2026-11-security"]
	if w == nil || len(w.Stages) != 3 {
		t.Fatalf("wave 2026-11-security = %+v", w)
	}
	canary := w.Stages[0]
	if canary.Soak != 24*time.Hour || canary.Window != "eu-night" || canary.MaxParallel.Of(10) != 1 || canary.OnFailure != "halt" {
		t.Errorf("canary stage = %+v", canary)
	}
	if got := w.Stages[1].MaxParallel.Of(5); got != 3 { // "50%" of 5, rounded up
		t.Errorf("pilot max_parallel of 5 = %d, want 3", got)
	}
	if got, want := repo.Members("canary"), []string{"app-02", "cache-01", "shop-api-staging"}; !slices.Equal(got, want) {
		t.Errorf("canary members = %v, want %v", got, want)
	}
	if slices.Contains(repo.Members("broad"), "jump-01") {
		t.Errorf("broad includes jump-01 despite exclude")
	}
	win := repo.Policy.Windows["eu-night"]
	if win.Location.String() != "Europe/Berlin" || win.Start != 22*60 || win.Duration != 4*time.Hour {
		t.Errorf("eu-night = %+v", win)
	}
	if repo.Policy.SLA[policy.Critical] != 7*24*time.Hour {
		t.Errorf("sla critical = %v", repo.Policy.SLA[policy.Critical])
	}
	api := repo.Assets["shop-api-prod"]
	if api.Kind != "image" || api.Image.Ref != "registry.example.com/shop/api:prod" || !strings.HasSuffix(api.Source.File, "examples/quickstart/assets/images.json") || api.Source.Line != 2 {
		t.Errorf("shop-api-prod = %+v", api)
	}
	web3 := repo.Assets["web-03"]
	if !slices.Equal(web3.IP, []string{"10.30.1.13", "2001:db8:30::13"}) || web3.OS.Family != "linux" || web3.Packages["openssl"] != "3.0.15-1~deb12u1" {
		t.Errorf("web-03 = %+v", web3)
	}
	if len(repo.Files) != 6 || repo.Files[0].Path != "assets/hosts.cue" || len(repo.Files[0].SHA256) != 64 {
		t.Errorf("files = %+v", repo.Files)
	}
}

func TestLoadInventoryFormatsAgree(t *testing.T) {
	t.Parallel()
	jsonRepo, probs := load(t, map[string]string{"config.cue": basePolicy, "assets/a.json": `{
  "h1": {"hostname": "h1", "ip": ["10.0.0.1"], "os": {"name": "debian", "version": 12}, "driver": "sim",
         "packages": {"openssl": "3.0.15-1~deb12u1"}, "tags": {"ring": "canary"}}
}`})
	if len(probs) != 0 {
		t.Fatalf("json: %s", list(probs))
	}
	yamlRepo, probs := load(t, map[string]string{"config.cue": basePolicy, "assets/a.yaml": `
h1:
  hostname: h1
  ip: [10.0.0.1]
  os: {name: debian, version: 12}
  driver: sim
  packages: {openssl: 3.0.15-1~deb12u1}
  tags: {ring: canary}
`})
	if len(probs) != 0 {
		t.Fatalf("yaml: %s", list(probs))
	}
	cueRepo, probs := load(t, map[string]string{"config.cue": basePolicy, "assets.cue": `
assets: h1: {hostname: "h1", ip: ["10.0.0.1"], os: {name: "debian", version: 12}, driver: "sim",
	packages: openssl: "3.0.15-1~deb12u1", tags: ring: "canary"}
`})
	if len(probs) != 0 {
		t.Fatalf("cue: %s", list(probs))
	}
	// A computed asset goes through the CUE evaluator and must agree too.
	computedRepo, probs := load(t, map[string]string{"config.cue": basePolicy, "assets.cue": `
_debian: {os: {name: "debian", version: 12}, driver: "sim"}
assets: h1: _debian & {hostname: "h1", ip: ["10.0.0.1"], packages: openssl: "3.0.15-1~deb12u1", tags: ring: "canary"}
`})
	if len(probs) != 0 {
		t.Fatalf("computed cue: %s", list(probs))
	}
	want := jsonRepo.Assets["h1"]
	for name, repo := range map[string]*policy.Repository{"yaml": yamlRepo, "cue": cueRepo, "computed": computedRepo} {
		got := repo.Assets["h1"]
		if got == nil {
			t.Fatalf("%s: no asset h1", name)
		}
		if got.OS != want.OS || got.Kind != "host" || got.Criticality != "medium" || got.Exposure != "internal" ||
			!slices.Equal(got.IP, want.IP) || got.Packages["openssl"] != want.Packages["openssl"] || got.Tags["ring"] != "canary" {
			t.Errorf("%s: asset = %+v, want %+v", name, got, want)
		}
	}
	if want.OS.Version != "12" || want.OS.Family != "linux" {
		t.Errorf("os = %+v, want version \"12\" (written as a number) and family derived", want.OS)
	}
}

// A comprehension over the inventory forces every asset through CUE; the
// result must not change.
func TestLoadConfigReferringToAssets(t *testing.T) {
	t.Parallel()
	repo, probs := load(t, map[string]string{
		"config.cue": basePolicy + `
groups: web: include: [for id, a in assets if a.tags.role == "web" {id}]
`,
		"assets.cue": `
assets: {
	w1: {hostname: "w1", tags: role: "web"}
	d1: {hostname: "d1", tags: role: "db"}
}`,
	})
	if len(probs) != 0 {
		t.Fatalf("problems: %s", list(probs))
	}
	if got := repo.Members("web"); !slices.Equal(got, []string{"w1"}) {
		t.Errorf("web members = %v, want [w1]", got)
	}
}

func TestLoadPositions(t *testing.T) {
	t.Parallel()
	_, probs := load(t, map[string]string{
		"config.cue": basePolicy,
		"assets/a.json": `{
  "h1": {"hostname": "h1", "ip": "10.0.0.300"},
  "h2": {"hostname": "h2", "critcality": "high"},
  "h3": {"hostname": "h3", "os": {"name": "debian", "version": {"major": 12}}},
  "h4": {"hostname": "h4", "mac": ["52:54:00:00:00:01", "52:54:00:00:00"]},
  "h5": {"hostname": "h5", "driver": "shh"}
}`,
		"assets/b.json": `{"h1": {"hostname": "again"}, "h6": {"exposure": "public"`,
	})
	mustHave(t, probs, "assets/a.json:2:34", `invalid IP address "10.0.0.300"`)
	mustHave(t, probs, "assets/a.json:3:28", `unknown field "critcality" (did you mean "criticality"?)`)
	mustHave(t, probs, "assets/a.json:4:64", `os.version: expected a string or a number, found an object`)
	mustHave(t, probs, "assets/a.json:5:57", `invalid MAC address "52:54:00:00:00"`)
	mustHave(t, probs, "assets/a.json:6:38", `driver "shh" is not defined in policy.drivers (did you mean "sim"?)`)
	mustHave(t, probs, "assets/b.json:1:8", `asset "h1" is already defined at assets/a.json:2:9`)
	mustHave(t, probs, "assets/b.json:1:58", `truncated`)
	if !probs.HasErrors() {
		t.Fatal("no errors")
	}
}

// One schema error must not hide the other problems; only the judgements
// of a whole wave (approval, empty stages, canary) wait for it to be fixed.
func TestLoadEveryProblem(t *testing.T) {
	t.Parallel()
	_, probs := load(t, map[string]string{"config.cue": `
policy: {
	authority: high: ["alice"]
	windows: night: {days: ["mon"], start: "22:00", duration: "4h", timezone: "Mars/Olympus"}
	exceptions: [
		{asset: "h1", patch: "p1", reason: "r", expires: "2026-11-01"},
		{asset: "h1", patch: "p1", reason: "r", expires: "2026-12-01"},
	]
}
groups: g: include: ["h1", "h9"]
patches: p1: {severity: "critical", released: "2026-11-20", packages: x: "1"}
waves: w: {patches: ["p1", "p2"], approved_by: ["bob"], stages: [
	{name: "a", groups: ["g"], window: "night", reboot: "sometimes"},
	{name: "b", groups: ["gg"], window: "day"},
]}
`, "assets.cue": `assets: h1: {hostname: "h1"}`})
	for _, want := range []struct{ pos, frag string }{
		{"config.cue:4:76", `unknown time zone "Mars/Olympus"`},
		{"config.cue:6:52", `expired on 2026-11-01`},
		{"config.cue:7:52", `expires on 2026-12-01T00:00:00Z, in 5 days`},
		{"config.cue:10:28", `unknown asset "h9"`},
		{"config.cue:12:28", `unknown patch "p2"`},
		{"config.cue:13:54", `invalid value "sometimes" (want one of "always", "if-required", "never")`},
		{"config.cue:14:23", `unknown group "gg" (did you mean "g"?)`},
		{"config.cue:14:38", `window "day" is not defined in policy.windows`},
	} {
		mustHave(t, probs, want.pos, want.frag)
	}
}

// A repository written from SPEC.md alone by another tool loads as it is.
func TestForeignRepository(t *testing.T) {
	t.Parallel()
	repo, probs, err := policy.LoadDir(context.Background(), "testdata/foreign", policy.Options{Now: testNow, Prefix: "."})
	if err != nil || len(probs) != 0 {
		t.Fatalf("LoadDir: %v\n%s", err, list(probs))
	}
	if len(repo.Assets) != 4 || len(repo.Waves) != 1 || len(repo.Rollbacks) != 1 || repo.Policy.Branch != "production" {
		t.Errorf("repo: %d assets, %d waves, %d rollbacks, branch %q", len(repo.Assets), len(repo.Waves), len(repo.Rollbacks), repo.Policy.Branch)
	}
	if got := repo.Members("rest"); !slices.Equal(got, []string{"srv-1", "web-prod", "ws-1"}) {
		t.Errorf("rest = %v", got)
	}
	if c := repo.Policy.Canary; c == nil || !c.HasPercent || c.MaxPercent != 50 {
		t.Errorf("canary = %+v", c)
	}
	if d := repo.Policy.Drivers["hosts"]; d.Type != "exec" || d.Settings["timeout"] != "15m" {
		t.Errorf("driver hosts = %+v", d)
	}
}
