package plan_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
)

// A plan computed with Reuse is the plan computed without it, whatever
// changed between the two repositories.
func TestReuseGivesTheSamePlan(t *testing.T) {
	t.Parallel()
	base := fstest.MapFS{}
	err := filepath.WalkDir("../examples/quickstart", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel("../examples/quickstart", p)
		base[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The hosts as JSON, so that the cache shares them between the loads.
	hosts := map[string]*policy.Asset{}
	for id, a := range quickstart(t).Assets {
		if strings.HasSuffix(a.Source.File, "hosts.cue") {
			hosts[id] = a
		}
	}
	data, err := json.Marshal(hosts)
	if err != nil {
		t.Fatal(err)
	}
	delete(base, "assets/hosts.cue")
	base["assets/hosts.json"] = &fstest.MapFile{Data: data}
	// A second Debian patch in the wave, so that assets have two actions
	// in a stage, which reuse must tell apart.
	base["patches-redis.cue"] = &fstest.MapFile{Data: []byte(`package patchwave

patches: "DSA-6100-1": {severity: "medium", released: "2026-11-21", os: name: "debian", reboot: true, packages: "redis-server": "5:7.0.15-1~deb12u6"}
`)}
	wave := string(base["waves/2026-11-security.cue"].Data)
	base["waves/2026-11-security.cue"] = &fstest.MapFile{Data: []byte(strings.Replace(wave, `"shop-api-1.14.3"]`, `"shop-api-1.14.3", "DSA-6100-1"]`, 1))}
	cache := policy.NewCache()
	load := func(fsys fstest.MapFS) *policy.Repository {
		repo, probs, err := policy.Load(context.Background(), fsys, policy.Options{Now: at("2026-11-26"), Cache: cache})
		if err != nil || probs.HasErrors() {
			t.Fatalf("load: %v %v", err, probs.Err())
		}
		return repo
	}
	with := func(file, old, new string) fstest.MapFS {
		out := fstest.MapFS{}
		for k, v := range base {
			out[k] = v
		}
		out[file] = &fstest.MapFile{Data: []byte(strings.Replace(string(base[file].Data), old, new, 1))}
		return out
	}
	headIn := plan.Input{Repo: load(base), State: &state.State{}, At: at("2026-11-26T12:00:00Z"), Offline: true}
	head := plan.Compute(headIn)
	headJSON, _ := json.Marshal(head)
	twice := 0
	for _, s := range head.Waves[0].Stages {
		for i := 1; i < len(s.Actions); i++ {
			if s.Actions[i].Asset == s.Actions[i-1].Asset {
				twice++
			}
		}
	}
	if twice == 0 {
		t.Fatal("no asset has two actions in a stage: the test would not tell them apart")
	}
	for name, fsys := range map[string]fstest.MapFS{
		"unchanged":      base,
		"wave changed":   with("waves/2026-11-security.cue", `soak:         "24h"`, `soak:         "48h"`),
		"patch dropped":  with("waves/2026-11-security.cue", `patches: ["DSA-6015-1", "RHSA-2025:9978", "shop-api-1.14.3", "DSA-6100-1"]`, `patches: ["DSA-6015-1", "shop-api-1.14.3", "DSA-6100-1"]`),
		"reboot changed": with("waves/2026-11-security.cue", `reboot:       "if-required"`, `reboot:       "always"`),
		"patch changed":  with("patches.cue", `openssl: "3.0.17-1~deb12u3"`, `openssl: "3.0.17-1~deb12u4"`),
		"policy changed": with("policy.cue", `critical: "7d"`, `critical: "3d"`),
		"asset changed":  with("assets/images.json", `"criticality": "high"`, `"criticality": "critical"`),
	} {
		repo := load(fsys)
		in := plan.Input{Repo: repo, State: &state.State{}, At: at("2026-11-26T12:00:00Z"), Offline: true}
		fresh := plan.Compute(in)
		in.Reuse = head
		reused := plan.Compute(in)
		a, _ := json.Marshal(fresh)
		b, _ := json.Marshal(reused)
		if string(a) != string(b) {
			t.Errorf("%s: the plan computed with Reuse differs from the one without", name)
		}
		// Reusing a plan still being computed (plan.Start), as plan --base
		// does; the race detector watches what the two share.
		running := plan.Start(headIn)
		in.Reuse = running
		beside, _ := json.Marshal(plan.Compute(in))
		if string(a) != string(beside) {
			t.Errorf("%s: the plan computed beside the one it reuses differs from the one without", name)
		}
		if again, _ := json.Marshal(running.Plan()); string(again) != string(headJSON) {
			t.Errorf("%s: the plan computed by Start differs from Compute's", name)
		}
		if name == "unchanged" && reused.Waves[0] != head.Waves[0] {
			t.Errorf("unchanged: the wave plan was computed again")
		}
		if name != "unchanged" && reused.Waves[0] == head.Waves[0] {
			t.Errorf("%s: the wave plan was reused although its inputs changed", name)
		}
	}
}
