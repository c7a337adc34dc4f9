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
	head := plan.Compute(plan.Input{Repo: load(base), State: &state.State{}, At: at("2026-11-26T12:00:00Z"), Offline: true})
	for name, fsys := range map[string]fstest.MapFS{
		"unchanged":      base,
		"wave changed":   with("waves/2026-11-security.cue", `soak:         "24h"`, `soak:         "48h"`),
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
		if name == "unchanged" && reused.Waves[0] != head.Waves[0] {
			t.Errorf("unchanged: the wave plan was computed again")
		}
		if name != "unchanged" && reused.Waves[0] == head.Waves[0] {
			t.Errorf("%s: the wave plan was reused although its inputs changed", name)
		}
	}
}
