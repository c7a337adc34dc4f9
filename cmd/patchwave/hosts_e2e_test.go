package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/internal/e2ehost"
	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	driverssh "github.com/patchwave/patchwave/runner/driver/ssh"
)

// e2eAt is the time the end-to-end tests plan and apply at: after the
// test patch's release, in no freeze.
const e2eAt = "2026-11-26T12:00:00Z"

// e2eRollbackAt is when the end-to-end tests roll the host back.
const e2eRollbackAt = "2026-11-26T13:00:00Z"

// e2eRepo writes a policy repository for one real host (internal/e2ehost)
// as a git repository on branch main: the asset (driver drv, whose
// settings are the CUE fields in driverCUE), a patch whose fixed versions
// are the host's bookworm-security ones, and a one-stage wave.
func e2eRepo(t *testing.T, h *e2ehost.Host, drv, driverCUE string) string {
	t.Helper()
	dir := t.TempDir()
	var from, to []string
	for _, u := range h.Upgrades {
		from = append(from, fmt.Sprintf("\t\t\t%q: %q", u.Package, u.From))
		to = append(to, fmt.Sprintf("\t\t\t%q: %q", u.Package, u.To))
	}
	files := map[string]string{
		"policy.cue": `package patchwave

policy: {
	authority: {
		critical: ["alice"]
		high: ["alice"]
		medium: ["alice"]
		low: ["alice"]
	}
	sla: {critical: "7d", high: "14d", medium: "30d", low: "90d"}
	drivers: ` + drv + `: {
` + driverCUE + `
	}
}
`,
		"assets/hosts.cue": `package patchwave

assets: "bookworm-01": {
	hostname: "bookworm-01"
	ip: ["` + h.IP + `"]
	os: {family: "linux", name: "debian", version: "12"}
	kind:        "host"
	criticality: "low"
	exposure:    "internal"
	owner:       "team-e2e"
	tags: ring: "canary"
	driver: "` + drv + `"
	packages: {
` + strings.Join(from, "\n") + `
	}
}
`,
		"patches.cue": `package patchwave

patches: "DSA-E2E-1": {
	severity: "high"
	released: "2026-11-20"
	summary:  "bookworm-security updates of minbase libraries"
	os: name: "debian"
	packages: {
` + strings.Join(to, "\n") + `
	}
}
`,
		"groups.cue": `package patchwave

groups: canary: match: tags: ring: "canary"
`,
		"waves.cue": `package patchwave

waves: "e2e": {
	patches: ["DSA-E2E-1"]
	approved_by: ["alice"]
	stages: [{
		name: "canary"
		groups: ["canary"]
		max_parallel: 1
		max_failures: 0
		window:       "any"
		reboot:       "never"
	}]
}
`,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testrepo.Git(t, dir, "init", "-q", "-b", "main")
	testrepo.Git(t, dir, "add", ".")
	testrepo.Git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fleet")
	return dir
}

// e2ePlanApply plans the repository (checking one action per upgrade),
// applies it (checking dpkg-query in the host's root), and returns the
// before-state the run recorded for the asset, and how long apply took.
func e2ePlanApply(t *testing.T, h *e2ehost.Host, dir string) (*state.Observation, time.Duration) {
	t.Helper()
	r := runCLI(t, nil, "plan", "--dir", dir, "--offline", "--at", e2eAt, "--format", "json")
	if r.code != exitOK {
		t.Fatalf("plan: %s", r)
	}
	var p struct {
		Waves []struct {
			Stages []struct {
				Status  string
				Actions []struct{ Asset, Patch, Kind, From, To string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.out), &p); err != nil {
		t.Fatalf("plan --format json: %v\n%s", err, r.out)
	}
	if len(p.Waves) != 1 || len(p.Waves[0].Stages) != 1 || p.Waves[0].Stages[0].Status != "due" {
		t.Fatalf("plan: want one wave with one due stage:\n%s", r.out)
	}
	// One action for the asset and patch; from and to list the packages.
	acts := p.Waves[0].Stages[0].Actions
	if len(acts) != 1 || acts[0].Asset != "bookworm-01" || acts[0].Patch != "DSA-E2E-1" {
		t.Fatalf("plan: want one action for bookworm-01 and DSA-E2E-1, got %+v", acts)
	}
	for _, u := range h.Upgrades {
		if !strings.Contains(acts[0].From, u.Package+" "+u.From) || !strings.Contains(acts[0].To, u.Package+" "+u.To) {
			t.Errorf("plan: action %+v does not take %s from %q to %q", acts[0], u.Package, u.From, u.To)
		}
	}

	start := time.Now()
	r = runCLI(t, nil, "apply", "--dir", dir, "--offline", "--at", e2eAt)
	took := time.Since(start)
	if r.code != exitOK {
		t.Fatalf("apply: %s", r)
	}
	pkgs := h.Packages(t)
	for _, u := range h.Upgrades {
		if pkgs[u.Package] != u.To {
			t.Errorf("after apply, dpkg-query in the host's root reports %s %q, want %q", u.Package, pkgs[u.Package], u.To)
		}
	}

	var st state.Stage
	if err := json.Unmarshal([]byte(testrepo.Git(t, dir, "show", "main:"+state.StagePath("e2e", "canary"))), &st); err != nil {
		t.Fatal(err)
	}
	a := st.Assets["bookworm-01"]
	if a == nil || a.Result != "succeeded" || a.Before == nil {
		t.Fatalf("state records %+v for bookworm-01, want succeeded with a before-state", a)
	}
	for _, u := range h.Upgrades {
		if a.Before.Packages[u.Package] != u.From || a.After.Packages[u.Package] != u.To {
			t.Errorf("state records %s before %q after %q, want %q and %q", u.Package, a.Before.Packages[u.Package], a.After.Packages[u.Package], u.From, u.To)
		}
	}
	return a.Before, took
}

// TestHostsE2ESSH is the end-to-end run on a real Debian host through
// the ssh driver: plan shows the bookworm-security upgrades, apply
// performs them, and patchwave rollback puts bookworm's versions back
// from the before-state apply recorded.
func TestHostsE2ESSH(t *testing.T) {
	h := e2ehost.Start(t)
	t.Setenv(driverssh.DefaultKeyEnv, h.KeyFile)
	dir := e2eRepo(t, h, "hosts", fmt.Sprintf("\t\ttype: \"ssh\"\n\t\tknown_hosts: %q\n\t\ttimeout: \"10m\"", h.KnownHosts))
	before, took := e2ePlanApply(t, h, dir)
	t.Logf("ssh driver: time per host: apply %v (host start %v)", took.Round(time.Millisecond), h.Started.Round(time.Millisecond))

	e2eRollback(t, "ssh", h, dir, before)
}

// e2eRollback puts the host back with patchwave rollback (the
// break-glass path, through the same driver apply used), checks
// dpkg-query in its root against the before-state apply recorded, and
// that audit verify accepts the history with the rollback's record.
func e2eRollback(t *testing.T, name string, h *e2ehost.Host, dir string, before *state.Observation) {
	t.Helper()
	start := time.Now()
	r := runCLI(t, nil, "rollback", "--dir", dir, "--at", e2eRollbackAt, "--wave", "e2e", "--reason", "end-to-end test")
	if r.code != exitOK || !strings.Contains(r.out, "rolled-back (1/1)") {
		t.Fatalf("rollback: %s", r)
	}
	t.Logf("%s driver: time per host: rollback %v", name, time.Since(start).Round(time.Millisecond))
	pkgs := h.Packages(t)
	for _, u := range h.Upgrades {
		if pkgs[u.Package] != u.From || before.Packages[u.Package] != u.From {
			t.Errorf("after rollback, dpkg-query reports %s %q, want %q (recorded before: %q)", u.Package, pkgs[u.Package], u.From, before.Packages[u.Package])
		}
	}
	if r := runCLI(t, nil, "audit", "verify", "--dir", dir); r.code != exitOK || !strings.Contains(r.out, "2 records") {
		t.Errorf("audit verify after the rollback: %s", r)
	}
}

// TestHostsE2EInventoryScan scans the real host into an inventory file
// that holds only what a CMDB knows (address, owner, tags, driver): the
// result validates, keeps those fields, and lists exactly the packages
// dpkg-query reports in the host's root; a rescan changes nothing.
func TestHostsE2EInventoryScan(t *testing.T) {
	h := e2ehost.Start(t)
	t.Setenv(driverssh.DefaultKeyEnv, h.KeyFile)
	dir := e2eRepo(t, h, "hosts", fmt.Sprintf("\t\ttype: \"ssh\"\n\t\tknown_hosts: %q", h.KnownHosts))
	if err := os.Remove(filepath.Join(dir, "assets", "hosts.cue")); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, "assets", "hosts.json")
	cmdb := `{"bookworm-01": {"ip": ["` + h.IP + `"], "criticality": "low", "exposure": "internal",
	  "owner": "team-e2e", "tags": {"ring": "canary"}, "driver": "hosts"}}`
	if err := os.WriteFile(inv, []byte(cmdb), 0o644); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	r := runCLI(t, nil, "inventory", "scan", "--dir", dir)
	if r.code != exitOK || !strings.Contains(r.out, "bookworm-01: scanned, changed (assets/hosts.json)") {
		t.Fatalf("inventory scan: %s", r)
	}
	t.Logf("ssh driver: time per host: inventory scan %v", time.Since(start).Round(time.Millisecond))
	if r := runCLI(t, nil, "validate", "--dir", dir, "--at", e2eAt); r.code != exitOK {
		t.Fatalf("the scanned inventory does not validate: %s", r)
	}
	repo, probs, err := policy.LoadDir(context.Background(), dir, policy.Options{})
	if err != nil || probs.HasErrors() {
		t.Fatalf("loading the scanned inventory: %v %v", err, probs)
	}
	a := repo.Assets["bookworm-01"]
	if a.Owner != "team-e2e" || a.Criticality != "low" || a.Tags["ring"] != "canary" || a.Driver != "hosts" {
		t.Errorf("the scan lost fields it cannot know: %+v", a)
	}
	if a.OS.Family != "linux" || a.OS.Name != "debian" || a.OS.Version != "12" || a.Kind != "host" {
		t.Errorf("scanned os %+v, kind %q, want linux debian 12, host", a.OS, a.Kind)
	}
	if len(a.IP) == 0 || a.IP[0] != h.IP || len(a.MAC) != 1 {
		t.Errorf("scanned ip %v, mac %v, want %s first and the namespace's one MAC", a.IP, a.MAC, h.IP)
	}
	want := h.Packages(t)
	if len(a.Packages) != len(want) {
		t.Errorf("scanned %d packages, dpkg-query reports %d", len(a.Packages), len(want))
	}
	for name, v := range want {
		if a.Packages[name] != v {
			t.Errorf("scanned %s %q, dpkg-query reports %q", name, a.Packages[name], v)
		}
	}
	first, err := os.ReadFile(inv)
	if err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "inventory", "scan", "--dir", dir, "bookworm-01"); r.code != exitOK || !strings.Contains(r.out, "bookworm-01: scanned, unchanged") {
		t.Fatalf("rescan: %s", r)
	}
	if again, _ := os.ReadFile(inv); string(again) != string(first) {
		t.Errorf("a rescan of an unchanged host rewrote the file:\n%s\nwas:\n%s", again, first)
	}
}

// TestHostsE2EAnsible is the same run through the ansible driver: plan,
// apply with ansible-playbook, and patchwave rollback.
func TestHostsE2EAnsible(t *testing.T) {
	h := e2ehost.Start(t)
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ansible-playbook is not installed (.ci/run installs ansible)")
		}
		t.Skip("ansible-playbook is not installed")
	}
	t.Setenv(driverssh.DefaultKeyEnv, h.KeyFile)
	dir := e2eRepo(t, h, "fleet", fmt.Sprintf("\t\ttype: \"ansible\"\n\t\tknown_hosts: %q\n\t\ttimeout: \"10m\"", h.KnownHosts))
	before, took := e2ePlanApply(t, h, dir)
	t.Logf("ansible driver: time per host: apply %v (host start %v)", took.Round(time.Millisecond), h.Started.Round(time.Millisecond))

	e2eRollback(t, "ansible", h, dir, before)
}
