package policy_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/patchwave/patchwave/policy"
)

// A load that shares a Cache with an earlier one takes the group and
// stage members of groups defined the same, when the assets are the very
// same; what it computes or takes equals a load without the cache.
func TestMembersReusedFromTheLastLoad(t *testing.T) {
	t.Parallel()
	var inv strings.Builder
	inv.WriteString("{")
	for i := range 40 {
		ring := []string{"canary", "pilot", "rest", "rest"}[i%4]
		fmt.Fprintf(&inv, `%s"h%02d": {"kind": "host", "os": {"name": "debian", "version": "12"}, "tags": {"ring": %q}, "packages": {"openssl": "3.0.0"}}`,
			map[bool]string{true: "", false: ","}[i == 0], i, ring)
	}
	inv.WriteString("}")
	config := basePolicy + `
groups: canary: match: tags: ring: "canary"
groups: pilot: match: tags: ring: "pilot"
waves: w2: {patches: ["p1"], approved_by: ["alice"], stages: [{name: "c", groups: ["canary"]}, {name: "p", groups: ["pilot"]}, {name: "all", groups: ["all"]}]}
`
	repoOf := func(cache *policy.Cache, config, inv string) *policy.Repository {
		t.Helper()
		fsys := fstest.MapFS{"config.cue": {Data: []byte(config)}, "assets/fleet.json": {Data: []byte(inv)}}
		repo, probs, err := policy.Load(context.Background(), fsys, policy.Options{Now: testNow, Cache: cache})
		if err != nil || probs.HasErrors() {
			t.Fatalf("Load: %v\n%s", err, list(probs))
		}
		return repo
	}
	same := func(a, b []string) bool { return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0] }
	for _, tc := range []struct {
		name, config, inv string
		sameAssets        bool
		shared, computed  []string // groups whose members are taken, computed again
	}{
		{"pilot group changed", strings.Replace(config, `ring: "pilot"`, `ring: ["pilot", "canary"]`, 1), inv.String(), true, []string{"all", "canary"}, []string{"pilot"}},
		{"wave changed", strings.Replace(config, `{name: "all", groups: ["all"]}]`, `{name: "all", groups: ["all"], soak: "1h"}]`, 1), inv.String(), true, []string{"all", "canary", "pilot"}, nil},
		{"asset changed", config, strings.Replace(inv.String(), `"ring": "rest"`, `"ring": "pilot"`, 1), false, nil, []string{"all", "canary", "pilot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cache := policy.NewCache()
			first := repoOf(cache, config, inv.String())
			second := repoOf(cache, tc.config, tc.inv)
			fresh := repoOf(nil, tc.config, tc.inv)
			if got := second.SameAssets(first); got != tc.sameAssets {
				t.Errorf("SameAssets = %v, want %v", got, tc.sameAssets)
			}
			if !slices.Equal(second.AssetIDs(), fresh.AssetIDs()) {
				t.Errorf("AssetIDs = %v, want %v", second.AssetIDs(), fresh.AssetIDs())
			}
			for _, g := range []string{"all", "canary", "pilot"} {
				if !slices.Equal(second.Members(g), fresh.Members(g)) {
					t.Errorf("group %s: members %v, want %v", g, second.Members(g), fresh.Members(g))
				}
				if want := slices.Contains(tc.shared, g); same(second.Members(g), first.Members(g)) != want {
					t.Errorf("group %s: members taken from the last load: %v, want %v", g, !want, want)
				}
			}
			for _, w := range []string{"w1", "w2"} {
				got, want := second.StageMembers(second.Waves[w]), fresh.StageMembers(fresh.Waves[w])
				if !slices.EqualFunc(got, want, slices.Equal) {
					t.Errorf("wave %s: stage members %v, want %v", w, got, want)
				}
			}
			taken := same(second.StageMembers(second.Waves["w2"])[0], first.StageMembers(first.Waves["w2"])[0])
			if want := len(tc.computed) == 0; taken != want {
				t.Errorf("wave w2: stage members taken from the last load: %v, want %v", taken, want)
			}
		})
	}
}
