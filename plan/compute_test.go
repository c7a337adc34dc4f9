package plan_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
)

func at(s string) time.Time {
	t, err := policy.ParseTime(s)
	if err != nil {
		panic(err)
	}
	return t
}

func quickstart(t *testing.T) *policy.Repository {
	t.Helper()
	repo, probs, err := policy.LoadDir(context.Background(), "../examples/quickstart", policy.Options{Now: at("2026-11-26")})
	if err != nil || probs.HasErrors() {
		t.Fatalf("loading quickstart: %v %v", err, probs.Err())
	}
	return repo
}

func compute(repo *policy.Repository, st *state.State, when string) *plan.Plan {
	if st == nil {
		st = &state.State{}
	}
	return plan.Compute(plan.Input{Repo: repo, State: st, At: at(when), Offline: true})
}

func stage(t *testing.T, p *plan.Plan, wave, name string) *plan.Stage {
	t.Helper()
	for _, w := range p.Waves {
		for _, s := range w.Stages {
			if w.Name == wave && s.Name == name {
				return s
			}
		}
	}
	t.Fatalf("no stage %s/%s in plan", wave, name)
	return nil
}

const wave = "2026-11-security"

func TestStageStatus(t *testing.T) {
	t.Parallel()
	repo := quickstart(t)
	done := func(stageName, finished string) *state.State {
		return &state.State{Waves: map[string]map[string]*state.Stage{wave: {stageName: {
			Wave: wave, Stage: stageName, Status: state.Succeeded, Started: at(finished).Add(-time.Hour), Finished: at(finished),
			Assets: map[string]*state.Asset{
				"app-02":           {Result: "succeeded", After: &state.Observation{Packages: map[string]string{"sudo": "1.9.5p2-10.el9_6.1"}}, At: at(finished)},
				"cache-01":         {Result: "succeeded", After: &state.Observation{Packages: map[string]string{"openssl": "3.0.17-1~deb12u3", "libssl3": "3.0.17-1~deb12u3"}}, At: at(finished)},
				"shop-api-staging": {Result: "succeeded", After: &state.Observation{Digest: "registry.example.com/shop/api:1.14.3"}, At: at(finished)},
			},
		}}}}
	}
	running := func(stageName, started string) *state.State {
		st := done(stageName, started)
		rec := st.Waves[wave][stageName]
		rec.Status, rec.Finished = state.Running, time.Time{}
		return st
	}
	for _, tc := range []struct {
		name, at      string
		st            *state.State
		stage, status string
		reason, until string
	}{
		// Thursday 26 Nov 2026 13:00 in Berlin; eu-night opens at 22:00 CET.
		{name: "before the window", at: "2026-11-26T12:00:00Z", stage: "canary", status: "blocked",
			reason: "window eu-night closed until 2026-11-26 21:00 UTC", until: "2026-11-26T21:00:00Z"},
		{name: "inside the window", at: "2026-11-26T22:30:00Z", stage: "canary", status: "due",
			reason: "due now: window eu-night open until 2026-11-27 01:00 UTC"},
		{name: "next stage waits", at: "2026-11-26T22:30:00Z", stage: "pilot", status: "blocked",
			reason: "blocked by stage canary (due)"},
		{name: "soak", at: "2026-11-27T10:00:00Z", st: done("canary", "2026-11-26T23:00:00Z"), stage: "pilot", status: "blocked",
			reason: "soak after stage canary until 2026-11-27 23:00 UTC", until: "2026-11-30T21:00:00Z"},
		{name: "canary done", at: "2026-11-27T10:00:00Z", st: done("canary", "2026-11-26T23:00:00Z"), stage: "canary", status: "done",
			reason: "done at 2026-11-26 23:00 UTC"},
		{name: "after soak, in the window", at: "2026-11-30T22:00:00Z", st: done("canary", "2026-11-26T23:00:00Z"), stage: "pilot", status: "due"},
		// A run that stopped in the middle of the canary: the pilot waits for it,
		// even in its own window, long after the canary's forecast.
		{name: "previous stage running", at: "2026-11-30T22:00:00Z", st: running("canary", "2026-11-26T22:00:00Z"), stage: "pilot", status: "blocked",
			reason: "blocked by stage canary (running)"},
		// The year-end freeze runs from 18 Dec to 4 Jan and lets critical waves through:
		// this one carries the critical sudo fix.
		{name: "freeze allows critical", at: "2026-12-21T22:00:00Z", stage: "canary", status: "due",
			reason: "due now: window eu-night open until 2026-12-22 01:00 UTC; freeze \"year-end trading peak\" allows critical waves"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stage(t, compute(repo, tc.st, tc.at), wave, tc.stage)
			if s.Status != tc.status || (tc.reason != "" && s.Reason != tc.reason) {
				t.Errorf("%s: status %q reason %q; want %q %q", tc.stage, s.Status, s.Reason, tc.status, tc.reason)
			}
			if tc.until != "" && !s.Until.Equal(at(tc.until)) {
				t.Errorf("until = %s, want %s", s.Until, tc.until)
			}
		})
	}
}

func TestActions(t *testing.T) {
	t.Parallel()
	p := compute(quickstart(t), nil, "2026-11-26T12:00:00Z")
	got := map[string]plan.Action{}
	for _, w := range p.Waves {
		for _, s := range w.Stages {
			for _, a := range s.Actions {
				got[a.Asset+" "+a.Patch] = a
			}
		}
	}
	// lb-01 already runs the fixed openssl; erp-01 has an exception for sudo;
	// jump-01 is excluded from every stage; ws-eng-07 is Ubuntu, not Debian.
	for _, key := range []string{"lb-01 DSA-6015-1", "erp-01 RHSA-2025:9978", "jump-01 RHSA-2025:9978", "ws-eng-07 DSA-6015-1", "shop-web-prod shop-api-1.14.3"} {
		if _, ok := got[key]; ok {
			t.Errorf("unexpected action %s", key)
		}
	}
	web3 := got["web-03 DSA-6015-1"]
	if web3.From != "libssl3 3.0.15-1~deb12u1, openssl 3.0.15-1~deb12u1" || len(web3.Changes) != 2 || web3.Kind != "package" {
		t.Errorf("web-03 action = %+v", web3)
	}
	// app-01's openssl-libs carries an epoch; sudo is the patch's package.
	if a := got["app-01 RHSA-2025:9978"]; a.From != "1.9.5p2-10.el9_3" || a.To != "1.9.5p2-10.el9_6.1" || !a.Due.Equal(at("2026-11-25")) {
		t.Errorf("app-01 action = %+v", a)
	}
	if a := got["shop-api-prod shop-api-1.14.3"]; a.Kind != "image" || a.To != "registry.example.com/shop/api:1.14.3" {
		t.Errorf("offline image action = %+v", a)
	}
	if len(got) != p.Summary.Actions {
		t.Errorf("summary counts %d actions, plan has %d", p.Summary.Actions, len(got))
	}
	// jump-01 needs the critical sudo fix and no wave schedules it for it.
	if len(p.Missing) != 1 || p.Missing[0].Patch != "RHSA-2025:9978" || strings.Join(p.Missing[0].Assets, ",") != "jump-01" {
		t.Errorf("missing = %+v", p.Missing)
	}
	if len(p.Waves[0].Exceptions) != 1 || p.Waves[0].Exceptions[0].Asset != "erp-01" {
		t.Errorf("exceptions = %+v", p.Waves[0].Exceptions)
	}
}

// Resolved digests pin the image action; an asset already at the digest
// needs nothing.
func TestImageDigests(t *testing.T) {
	t.Parallel()
	repo := quickstart(t)
	digest := "sha256:6d3c3e1b4f0b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e" // what shop/api runs
	p := plan.Compute(plan.Input{Repo: repo, State: &state.State{}, At: at("2026-11-26"), Images: map[string]string{"registry.example.com/shop/api:1.14.3": digest}})
	for _, w := range p.Waves {
		for _, s := range w.Stages {
			for _, a := range s.Actions {
				if a.Kind == "image" {
					t.Errorf("image action although the asset runs the resolved digest: %+v", a)
				}
			}
		}
	}
	newer := "sha256:" + strings.Repeat("ab", 32)
	p = plan.Compute(plan.Input{Repo: repo, State: &state.State{}, At: at("2026-11-26"), Images: map[string]string{"registry.example.com/shop/api:1.14.3": newer}})
	if s := stage(t, p, wave, "canary"); s.Actions[2].To != newer || s.Actions[2].Changes[0].Name != "registry.example.com/shop/api:staging" {
		t.Errorf("canary image action = %+v", s.Actions[2])
	}
}

func TestSLAFindings(t *testing.T) {
	t.Parallel()
	p := compute(quickstart(t), nil, "2026-11-26T12:00:00Z")
	var breach []plan.Finding
	for _, f := range p.Findings {
		if f.Code == "sla-breach" {
			breach = append(breach, f)
		}
	}
	// The sudo fix (critical, released 18 Nov, SLA 7d) was due on 25 Nov:
	// overdue on app-02 (dmz), app-01 (dmz) and mail-01, which is on the internet.
	levels := map[string]string{}
	for _, f := range breach {
		levels[f.Asset] = f.Level
	}
	if levels["mail-01"] != "error" || levels["app-02"] != "warning" || levels["app-01"] != "warning" {
		t.Errorf("sla findings: %+v", breach)
	}
	if p.Summary.Errors == 0 || p.Findings[0].Level != "error" {
		t.Errorf("errors first: %+v", p.Findings[0])
	}
}

// A freeze lets through the waves whose highest severity it allows, and
// holds the others.
func TestFreezeAllows(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"c.cue": {Data: []byte(`
policy: {
	authority: {critical: ["alice"], high: ["alice"]}
	sla: critical: "3d"
	freezes: [{from: "2026-12-18", to: "2027-01-04", reason: "peak", allow: ["critical"]}]
}
assets: h1: {os: {name: "debian"}, packages: openssl: "3.0.0-1"}
groups: all: match: {}
patches: p: {severity: "critical", released: "2026-12-20", packages: openssl: "3.0.1-1"}
patches: q: {severity: "high", released: "2026-12-20", packages: openssl: "3.0.2-1"}
waves: normal: {patches: ["q"], approved_by: ["alice"], stages: [{name: "all", groups: ["all"]}]}
waves: urgent: {patches: ["p"], approved_by: ["alice"], stages: [{name: "all", groups: ["all"]}]}
`)},
	}
	repo, probs, err := policy.Load(context.Background(), files, policy.Options{Now: at("2026-12-21")})
	if err != nil || probs.HasErrors() {
		t.Fatal(err, probs)
	}
	p := compute(repo, nil, "2026-12-21T10:00:00Z")
	if s := stage(t, p, "urgent", "all"); s.Status != "due" {
		t.Errorf("critical wave: %s %s", s.Status, s.Reason)
	}
	if s := stage(t, p, "normal", "all"); s.Status != "blocked" || !strings.HasPrefix(s.Reason, "freeze until 2027-01-04") {
		t.Errorf("high wave: %s %s", s.Status, s.Reason)
	}
	found := false
	for _, f := range p.Findings {
		found = found || (f.Code == "double-scheduled" && f.Asset == "h1")
	}
	if !found {
		t.Errorf("no double-scheduled finding: %+v", p.Findings)
	}
}

// An asset reboots once when any of its patches needs it; batches and
// limits count assets, not actions.
func TestStageSizes(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{"c.cue": {Data: []byte(`
policy: authority: high: ["alice"]
assets: {
	h1: {os: {name: "debian"}, packages: {openssl: "1.0-1", sudo: "1.0-1"}}
	h2: {os: {name: "debian"}, packages: {openssl: "1.0-1", sudo: "1.0-1"}}
	h3: {os: {name: "debian"}, packages: {openssl: "1.0-1"}}
}
groups: all: match: {}
patches: ssl: {severity: "high", released: "2026-11-20", packages: openssl: "1.1-1"}
patches: sudo: {severity: "high", released: "2026-11-20", reboot: true, packages: sudo: "1.1-1"}
waves: w: {patches: ["ssl", "sudo"], approved_by: ["alice"], stages: [{name: "all", groups: ["all"], max_parallel: "50%", max_failures: "50%"}]}
`)}}
	repo, probs, err := policy.Load(context.Background(), files, policy.Options{Now: at("2026-11-26")})
	if err != nil || probs.HasErrors() {
		t.Fatal(err, probs)
	}
	s := stage(t, compute(repo, nil, "2026-11-26"), "w", "all")
	if len(s.Actions) != 5 || s.Reboots != 2 || s.MaxParallel != 2 || s.Batches != 2 || s.MaxFailures != 1 {
		t.Errorf("stage: %d actions, %d reboots, max_parallel %d, %d batches, max_failures %d; want 5, 2, 2, 2, 1",
			len(s.Actions), s.Reboots, s.MaxParallel, s.Batches, s.MaxFailures)
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	repo := quickstart(t)
	st := &state.State{Waves: map[string]map[string]*state.Stage{wave: {"canary": {
		Wave: wave, Stage: "canary", Status: state.Failed, Started: at("2026-11-26T21:00:00Z"), Finished: at("2026-11-26T21:30:00Z"),
		Assets: map[string]*state.Asset{
			"app-02":   {Result: "succeeded", After: &state.Observation{Packages: map[string]string{"sudo": "1.9.5p2-10.el9_6.1"}}, At: at("2026-11-26T21:10:00Z")},
			"cache-01": {Result: "failed", Error: "dpkg lock held"},
		},
	}}}}
	p := compute(repo, st, "2026-11-27T10:00:00Z")
	s := plan.StatusOf(repo, p, st)
	canary := s.Waves[0].Stages[0]
	want := map[string]string{"app-02": "done", "cache-01": "failed", "shop-api-staging": "pending"}
	for _, a := range canary.Assets {
		if want[a.ID] != a.Status {
			t.Errorf("%s: %s, want %s", a.ID, a.Status, want[a.ID])
		}
	}
	if canary.Status != "failed" || canary.Counts["failed"] != 1 || canary.Assets[1].Error != "dpkg lock held" {
		t.Errorf("canary = %+v", canary)
	}
	broad := s.Waves[0].Stages[2]
	if broad.Counts["up-to-date"] != 4 || broad.Counts["pending"] != 4 {
		t.Errorf("broad counts = %v", broad.Counts)
	}
}
