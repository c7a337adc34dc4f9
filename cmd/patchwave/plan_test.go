package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const beforeWindow = "2026-11-26T12:00:00Z"

func TestPlanQuickstart(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "plan", "--dir", quickstart, "--offline", "--at", beforeWindow)
	if r.code != 0 || !strings.Contains(r.out, "Stage canary  blocked — window eu-night closed until 2026-11-26 21:00 UTC") ||
		!strings.Contains(r.out, "image tags not resolved (--offline)") {
		t.Fatalf("plan:\n%s", r)
	}
	if r := runCLI(t, nil, "plan", "--dir", quickstart, "--offline", "--at", beforeWindow, "--detailed-exitcode"); r.code != 2 {
		t.Errorf("--detailed-exitcode with changes: %s", r)
	}
	r = runCLI(t, nil, "plan", "--dir", quickstart, "--offline", "--at", beforeWindow, "--format", "json")
	var p struct {
		FormatVersion int `json:"format_version"`
		Waves         []struct {
			Name   string `json:"name"`
			Stages []struct {
				Name, Status string
				Actions      []struct{ Asset, Patch, Kind, From, To string }
			} `json:"stages"`
		} `json:"waves"`
		Findings []struct{ Level, Code string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.out), &p); err != nil || r.code != 0 {
		t.Fatalf("json: %v\n%s", err, r)
	}
	if p.FormatVersion != 1 || len(p.Waves) != 1 || len(p.Waves[0].Stages) != 3 || p.Waves[0].Stages[0].Status != "blocked" || len(p.Waves[0].Stages[0].Actions) != 3 {
		t.Errorf("json plan: %+v", p)
	}
	md := runCLI(t, nil, "plan", "--dir", quickstart, "--offline", "--at", beforeWindow, "--format", "markdown")
	if md.code != 0 || !strings.HasPrefix(md.out, "<!-- patchwave-plan -->") {
		t.Errorf("markdown:\n%s", md)
	}
	diff := runCLI(t, nil, "plan", "--dir", quickstart, "--offline", "--at", beforeWindow, "--format", "diff")
	if diff.code != 0 || !strings.Contains(diff.out, "--- fleet before") || !strings.Contains(diff.out, "+web-03") {
		t.Errorf("diff:\n%s", diff)
	}
}

// Once every stage is done there is nothing to change: exit 0 even with
// --detailed-exitcode. A repository without waves is such a one.
func TestPlanNoChanges(t *testing.T) {
	t.Parallel()
	dir := copyQuickstart(t)
	if err := os.Remove(filepath.Join(dir, "waves", "2026-11-security.cue")); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "plan", "--dir", dir, "--offline", "--at", beforeWindow, "--detailed-exitcode")
	if r.code != 0 || !strings.Contains(r.out, "missing") {
		t.Errorf("plan without waves:\n%s", r)
	}
}

func TestPlanInvalidRepository(t *testing.T) {
	t.Parallel()
	dir := copyQuickstart(t)
	edit(t, dir, "groups.cue", `match: tags: ring: "canary"`, `match: tags: ring: "canary"
		include: ["web-99"]`)
	r := runCLI(t, nil, "plan", "--dir", dir, "--offline", "--at", beforeWindow)
	if r.code != 1 || !strings.Contains(r.err, `unknown asset "web-99"`) || !strings.Contains(r.err, "groups.cue:7:") {
		t.Errorf("plan of an invalid repository:\n%s", r)
	}
}

func TestPlanOut(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "plan.json")
	r := runCLI(t, nil, "plan", "--dir", quickstart, "--offline", "--at", beforeWindow, "--out", out)
	if r.code != 0 {
		t.Fatalf("plan --out: %s", r)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		Inputs struct {
			Files []struct{ Path, SHA256 string }
			At    string
		}
	}
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	if len(saved.Inputs.Files) != 6 || saved.Inputs.Files[0].Path != "assets/hosts.cue" || len(saved.Inputs.Files[0].SHA256) != 64 || saved.Inputs.At != beforeWindow {
		t.Errorf("saved inputs: %+v", saved.Inputs)
	}
}

// --base plans a git revision from git objects and shows what the working
// tree changes: here, a patch is added to the wave.
func TestPlanBase(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := copyQuickstart(t)
	gitRun(t, dir, "init", "-q", "-b", "main")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
	edit(t, dir, "assets/hosts.cue", `"openssh-server": "8.7p1-45.el9"`, `"openssh-server": "8.7p1-45.el9"
			"openssl-libs": "1:3.0.7-27.el9"`)
	edit(t, dir, "groups.cue", `exclude: ["jump-01"]`, `exclude: []`)
	r := runCLI(t, nil, "plan", "--dir", dir, "--offline", "--at", beforeWindow, "--base", "HEAD")
	if r.code != 0 || !strings.Contains(r.out, "jump-01") {
		t.Fatalf("plan --base:\n%s", r)
	}
	if !strings.Contains(strings.ToLower(r.out), "added") {
		t.Errorf("no added actions in the comparison:\n%s", r.out)
	}
	if r := runCLI(t, nil, "plan", "--dir", dir, "--offline", "--at", beforeWindow, "--base", "no-such-ref"); r.code != 1 || !strings.Contains(r.err, "no-such-ref") {
		t.Errorf("unknown base: %s", r)
	}
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// Without --offline, plan pins image tags to the digests the registry
// resolves: an in-process registry on 127.0.0.1.
func TestPlanResolvesImageTags(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/shop/api:1.14.3")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	dir := copyQuickstart(t)
	for _, f := range []string{"patches.cue", "assets/images.json"} {
		p := filepath.Join(dir, f)
		data, _ := os.ReadFile(p)
		os.WriteFile(p, []byte(strings.ReplaceAll(string(data), "registry.example.com/shop/api", host+"/shop/api")), 0o644)
	}
	r := runCLI(t, nil, "plan", "--dir", dir, "--at", beforeWindow, "--format", "json")
	if r.code != 0 || !strings.Contains(r.out, `"to": "`+digest.String()+`"`) || strings.Contains(r.out, `"offline": true`) {
		t.Fatalf("plan against the registry:\n%s", r)
	}
	// A tag the registry does not have: a clear error naming it, exit 1.
	edit(t, dir, "patches.cue", `tag:        "1.14.3"`, `tag:        "9.9.9"`)
	r = runCLI(t, nil, "plan", "--dir", dir, "--at", beforeWindow)
	if r.code != 1 || !strings.Contains(r.err, host+"/shop/api:9.9.9") || !strings.Contains(r.err, "--offline") {
		t.Errorf("missing tag:\n%s", r)
	}
}
