package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/audit"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// hostPackage reads a package's version on a simulated host.
func hostPackage(t *testing.T, hosts, id, pkg string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(hosts, id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var host struct{ Packages map[string]string }
	if err := json.Unmarshal(data, &host); err != nil {
		t.Fatal(err)
	}
	return host.Packages[pkg]
}

func prepared(t *testing.T, dir, at string) *runner.Prepared {
	t.Helper()
	fsys, err := gitstore.TreeFS(mustOpen(t, dir), "main", "")
	if err != nil {
		t.Fatal(err)
	}
	when, _ := policy.ParseTime(at)
	p, err := runner.Prepare(context.Background(), runner.Source{FS: fsys}, runner.PrepareOptions{At: when})
	if err != nil {
		t.Fatal(runner.WithProblems(p, err))
	}
	return p
}

// A reviewed rollback of the pilot, merged after the pilot ran: the plan
// shows it due with the actions that put app-01 and web-01 back, apply
// carries it out before anything else, and the wave stops there.
func TestReviewedRollback(t *testing.T) {
	dir, hosts := testrepo.Hosts(t, "../examples/quickstart")
	for _, at := range []string{"2026-11-26T22:30:00Z", "2026-11-30T22:00:00Z"} {
		if _, err := apply(t, dir, hosts, at); err != nil {
			t.Fatal(err)
		}
	}
	if v := hostPackage(t, hosts, "web-01", "openssl"); v != "3.0.17-1~deb12u3" {
		t.Fatalf("web-01 before the rollback runs openssl %s", v)
	}
	rollback := `package patchwave

rollbacks: "pilot-openssl": {
	wave:   "2026-11-security"
	stages: ["pilot"]
	reason: "TLS handshakes fail on web-01 after the upgrade"
	approved_by: ["bob"]
}
`
	// The runner committed without touching the work tree: bring it up
	// to date before committing on top, as a person would pull.
	testrepo.Git(t, dir, "reset", "-q", "--hard")
	if err := os.WriteFile(filepath.Join(dir, "rollbacks.cue"), []byte(rollback), 0o644); err != nil {
		t.Fatal(err)
	}
	testrepo.Git(t, dir, "add", ".")
	testrepo.Git(t, dir, "-c", "user.name=bob", "-c", "user.email=bob@example.com", "commit", "-q", "-m", "Roll back the pilot")

	p := prepared(t, dir, "2026-12-01T09:00:00Z")
	if len(p.Plan.Rollbacks) != 1 {
		t.Fatalf("plan rollbacks: %+v", p.Plan.Rollbacks)
	}
	rb := p.Plan.Rollbacks[0]
	var assets []string
	// app-01 (Rocky) got sudo from the RHSA, web-01 (Debian) openssl.
	want := map[string]string{"app-01": "RHSA-2025:9978 1.9.5p2-10.el9_6.1 -> 1.9.5p2-10.el9_3",
		"web-01": "DSA-6015-1 libssl3 3.0.17-1~deb12u3, openssl 3.0.17-1~deb12u3 -> libssl3 3.0.17-1~deb12u2, openssl 3.0.17-1~deb12u2"}
	for _, a := range rb.Actions {
		assets = append(assets, a.Asset)
		if got := a.Patch + " " + a.From + " -> " + a.To; got != want[a.Asset] {
			t.Errorf("rollback action of %s: %s, want %s", a.Asset, got, want[a.Asset])
		}
	}
	if rb.Status != plan.StatusDue || strings.Join(assets, ",") != "app-01,web-01" {
		t.Fatalf("rollback %s: %s on %v, want due on app-01,web-01", rb.Name, rb.Status, assets)
	}
	if !p.Plan.HasChanges() || p.Plan.Summary.DueRollbacks != 1 {
		t.Errorf("summary %+v: the rollback's actions are changes", p.Plan.Summary)
	}

	res, err := apply(t, dir, hosts, "2026-12-01T09:00:00Z")
	if err != nil || len(res.Stages) != 1 || res.Stages[0].Rollback != "pilot-openssl" || res.Stages[0].Result != "rolled-back" || res.Stages[0].Succeeded != 2 {
		t.Fatalf("apply of the rollback: %v %+v", err, res)
	}
	if v := hostPackage(t, hosts, "web-01", "openssl"); v != "3.0.17-1~deb12u2" {
		t.Errorf("web-01 runs openssl %s after the rollback, want deb12u2", v)
	}
	if v := hostPackage(t, hosts, "app-01", "sudo"); v != "1.9.5p2-10.el9_3" {
		t.Errorf("app-01 runs sudo %s after the rollback, want 1.9.5p2-10.el9_3", v)
	}
	if v := hostPackage(t, hosts, "cache-01", "openssl"); v != "3.0.17-1~deb12u3" {
		t.Errorf("cache-01 (canary, not rolled back) runs %s", v)
	}
	trailers := testrepo.Git(t, dir, "log", "-1", "--format=%(trailers:only,unfold)")
	for _, want := range []string{"Patchwave-Wave: 2026-11-security", "Patchwave-Stage: pilot", "Patchwave-Rollback: pilot-openssl", "Patchwave-Result: rolled-back",
		"Patchwave-Record: audit/2026/12/01/000003-2026-11-security-rollback-pilot-openssl.json"} {
		if !strings.Contains(trailers, want) {
			t.Errorf("rollback commit lacks %q:\n%s", want, trailers)
		}
	}
	records := testrepo.Records(t, dir)
	last := records[len(records)-1].Record
	if last.Kind != audit.KindRollback || last.Rollback != "pilot-openssl" || last.Reason == "" || len(last.Assets) != 2 || last.Assets[1].After.Packages["openssl"] != "3.0.17-1~deb12u2" {
		t.Errorf("rollback record: %+v", last)
	}

	// Afterwards: the rollback is done, the pilot rolled back, and the
	// broad stage waits for a human instead of patching.
	p = prepared(t, dir, "2026-12-05T08:00:00Z")
	if rb := p.Plan.Rollbacks[0]; rb.Status != plan.StatusDone || len(rb.Actions) != 0 {
		t.Errorf("rollback after its run: %s %+v", rb.Status, rb.Actions)
	}
	stages := p.Plan.Waves[0].Stages
	if stages[1].Status != plan.StatusRolledBack || stages[2].Status != plan.StatusBlocked {
		t.Errorf("stages after the rollback: pilot %s, broad %s (%s)", stages[1].Status, stages[2].Status, stages[2].Reason)
	}
	if res, err := apply(t, dir, hosts, "2026-12-05T08:00:00Z"); err != nil || len(res.Commits) != 0 {
		t.Errorf("apply after the rollback: %v, %d commits", err, len(res.Commits))
	}
}

// patchwave rollback, the break-glass path: one asset of the canary put
// back without review, recorded as break-glass.
func TestBreakGlassRollback(t *testing.T) {
	dir, hosts := testrepo.Hosts(t, "../examples/quickstart")
	if _, err := apply(t, dir, hosts, "2026-11-26T22:30:00Z"); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 11, 27, 3, 4, 5, 0, time.UTC)
	opts := runner.ApplyOptions{Repo: mustOpen(t, dir), Branch: "main", Now: func() time.Time { return when }, Drivers: testrepo.Drivers(dir, hosts),
		Author: object.Signature{Name: "patchwave", Email: "patchwave@example.com"},
		Getenv: func(k string) string { return map[string]string{"USER": "oncall"}[k] }}

	// Unknown names are refused before anything happens.
	if _, err := runner.Rollback(context.Background(), opts, policy.Rollback{Wave: "2026-11-security", Stages: []string{"canaryy"}, Reason: "x"}); !errors.Is(err, runner.ErrRefused) {
		t.Errorf("unknown stage: %v", err)
	}
	app02, err := os.ReadFile(filepath.Join(hosts, "app-02.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Rollback(context.Background(), opts, policy.Rollback{Wave: "2026-11-security", Assets: []string{"cache-01"}, Reason: "cache-01 crashes at start"})
	if err != nil || len(res.Stages) != 1 || res.Stages[0].Succeeded != 1 {
		t.Fatalf("break-glass: %v %+v", err, res)
	}
	if v := hostPackage(t, hosts, "cache-01", "openssl"); v != "3.0.17-1~deb12u2" {
		t.Errorf("cache-01 runs %s after the break-glass rollback", v)
	}
	if now, err := os.ReadFile(filepath.Join(hosts, "app-02.json")); err != nil || string(now) != string(app02) {
		t.Errorf("app-02, not named, changed: %s", now)
	}
	records := testrepo.Records(t, dir)
	last := records[len(records)-1]
	if last.Record.Kind != audit.KindBreakGlass || last.Record.Rollback != "break-glass-20261127-030405" || last.Record.Actor.Name != "oncall" {
		t.Errorf("record %s: %+v", last.Path, last.Record)
	}
	st := testrepo.State(t, dir)
	canary := st.Stage("2026-11-security", "canary")
	if canary.Status != state.RolledBack || canary.Assets["cache-01"].Result != "rolled-back" || canary.Assets["app-02"].Result != "succeeded" {
		t.Errorf("canary after the break-glass rollback: %+v", canary)
	}
	if rb := st.RollbackRecord("break-glass-20261127-030405"); rb == nil || rb.Kind != state.KindBreakGlass || rb.Status != state.RollbackDone {
		t.Errorf("rollback state: %+v", rb)
	}
	// Once more: nothing left to put back.
	when = when.Add(time.Hour)
	if res, err := runner.Rollback(context.Background(), opts, policy.Rollback{Wave: "2026-11-security", Assets: []string{"cache-01"}, Reason: "again"}); err != nil || len(res.Commits) != 0 {
		t.Errorf("second break-glass: %v, %d commits", err, len(res.Commits))
	}
}

// A rollback merged before its wave changed anything has nothing to put
// back: apply records it as done (0/0), and goes on with the wave, whose
// stages the old request then leaves alone.
func TestRollbackOfUntouchedWave(t *testing.T) {
	dir, hosts := testrepo.Hosts(t, "../examples/quickstart")
	if err := os.WriteFile(filepath.Join(dir, "rollbacks.cue"), []byte(`package patchwave

rollbacks: early: {wave: "2026-11-security", reason: "too soon", approved_by: ["alice"]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	testrepo.Git(t, dir, "add", ".")
	testrepo.Git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "rollback")
	p := prepared(t, dir, "2026-11-26T22:30:00Z")
	if rb := p.Plan.Rollbacks[0]; rb.Status != plan.StatusDue || len(rb.Actions) != 0 || strings.Join(rb.Stages, ",") != "canary,pilot,broad" {
		t.Errorf("rollback of an untouched wave: %+v", rb)
	}
	res, err := apply(t, dir, hosts, "2026-11-26T22:30:00Z")
	if err != nil || len(res.Stages) != 2 || res.Stages[0].Rollback != "early" || res.Stages[0].Succeeded != 0 || res.Stages[1].Stage != "canary" {
		t.Fatalf("apply: %v %+v", err, res)
	}
	if rb := testrepo.State(t, dir).RollbackRecord("early"); rb == nil || rb.Status != state.RollbackDone || len(rb.Assets) != 0 {
		t.Errorf("the no-op rollback's record: %+v", rb)
	}
	if p := prepared(t, dir, "2026-11-26T22:40:00Z"); p.Plan.Rollbacks[0].Status != plan.StatusDone || p.Plan.Waves[0].Stages[0].Status != plan.StatusDone {
		t.Errorf("after the canary: rollback %s, canary %s", p.Plan.Rollbacks[0].Status, p.Plan.Waves[0].Stages[0].Status)
	}
}
