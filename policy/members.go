package policy

import (
	"path"
	"reflect"
	"slices"
	"sort"
)

// Members returns the ids of a group's assets, sorted: the assets that
// satisfy every condition of match, plus include, minus exclude. It is
// computed in Go, not by CUE, so that it stays fast at fleet scale.
func (r *Repository) Members(group string) []string { return r.members[group] }

// AssetIDs returns the ids of every asset, sorted. Load computes the list
// once; it is shared, not to be changed.
func (r *Repository) AssetIDs() []string {
	if r.ids == nil && len(r.Assets) > 0 {
		return SortedKeys(r.Assets) // a repository Load did not make
	}
	return r.ids
}

// SameAssets reports whether o has the very assets of r: the same ids
// and the same *Asset values, as loads sharing a Cache give for an
// unchanged inventory.
func (r *Repository) SameAssets(o *Repository) bool {
	if r.assetsOf != nil && r.assetsOf == o.assetsOf {
		return true // found the same when the later of them was loaded
	}
	return sameAssets(r.Assets, o.Assets)
}

func sameAssets(a, b map[string]*Asset) bool {
	if len(a) != len(b) {
		return false
	}
	for id, x := range a {
		if b[id] != x {
			return false
		}
	}
	return true
}

// computeMembers computes every group's members once, so that Members is
// safe for concurrent use afterwards. One pass over the sorted fleet per
// group (groups in parallel) keeps it linear and the results sorted.
//
// prev is the repository loaded before with the same Cache, or nil: when
// it has the same assets, its sorted ids, and the members of groups
// defined the same, are taken from it (plan --base loads an unchanged
// inventory twice).
func (r *Repository) computeMembers(prev *Repository) {
	r.assetsOf = r
	if prev != nil && prev.SameAssets(r) {
		r.ids, r.assetsOf = prev.ids, prev.assetsOf
	} else {
		prev, r.ids = nil, SortedKeys(r.Assets)
	}
	names := SortedKeys(r.Groups)
	lists := make([][]string, len(names))
	parallel(len(names), func(i int) {
		g := r.Groups[names[i]]
		if prev != nil && reflect.DeepEqual(prev.Groups[names[i]], g) {
			lists[i] = prev.members[names[i]]
			return
		}
		include, exclude := setOf(g.Include), setOf(g.Exclude)
		var out []string
		for _, id := range r.ids {
			if exclude[id] {
				continue
			}
			if include[id] || (g.Match != nil && g.Match.Matches(r.Assets[id])) {
				out = append(out, id)
			}
		}
		lists[i] = out
	})
	r.members = make(map[string][]string, len(names))
	for i, name := range names {
		r.members[name] = lists[i]
	}
}

func setOf(list []string) map[string]bool {
	set := make(map[string]bool, len(list))
	for _, s := range list {
		set[s] = true
	}
	return set
}

// StageMembers returns the assets of each stage of a wave. An asset in the
// groups of several stages belongs to the first of them only: each asset is
// patched once per wave.
//
// Load computes them once for every wave; the result is shared, not to be
// changed.
func (r *Repository) StageMembers(w *Wave) [][]string {
	if m, ok := r.stageMembers[w.Name]; ok && r.Waves[w.Name] == w {
		return m
	}
	return r.computeStageMembers(w, nil)
}

// computeStageMembers computes the members of each stage of w. prev is as
// for computeMembers: when it has the same assets, and a wave of that name
// whose stages list the same groups, which have the very members they
// have here, its stage members are taken.
func (r *Repository) computeStageMembers(w *Wave, prev *Repository) [][]string {
	if prev != nil && prev.assetsOf == r.assetsOf && prev.Waves[w.Name] != nil && r.sameStageGroups(w, prev, prev.Waves[w.Name]) {
		return prev.stageMembers[w.Name]
	}
	seen := map[string]bool{}
	out := make([][]string, len(w.Stages))
	for i, s := range w.Stages {
		var ids []string
		for _, g := range s.Groups {
			for _, id := range r.Members(g) {
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
		sort.Strings(ids)
		out[i] = ids
	}
	return out
}

// sameStageGroups reports whether w here and pw in prev have stages that
// list the same groups, with the same member lists.
func (r *Repository) sameStageGroups(w *Wave, prev *Repository, pw *Wave) bool {
	if len(w.Stages) != len(pw.Stages) {
		return false
	}
	for i, s := range w.Stages {
		if !slices.Equal(s.Groups, pw.Stages[i].Groups) {
			return false
		}
		for _, g := range s.Groups {
			if !sameSlice(r.members[g], prev.members[g]) {
				return false
			}
		}
	}
	return true
}

// sameSlice reports whether a and b are the very same list.
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// Matches reports whether an asset satisfies every condition.
func (m *Match) Matches(a *Asset) bool {
	for k, vals := range m.Tags {
		v, ok := a.Tags[k]
		if !ok || !anyMatch(vals, v) {
			return false
		}
	}
	return anyMatch(m.OSFamily, a.OS.Family) &&
		anyMatch(m.OSName, a.OS.Name) &&
		anyMatch(m.OSVersion, string(a.OS.Version)) &&
		anyMatch(m.Location, a.Location) &&
		anyMatch(m.Criticality, a.Criticality) &&
		anyMatch(m.Exposure, a.Exposure) &&
		anyMatch(m.Kind, a.Kind)
}

// anyMatch reports whether v equals or matches (as a glob) one of the
// patterns; no patterns accept anything.
func anyMatch(patterns []string, v string) bool {
	if len(patterns) == 0 {
		return true
	}
	return slices.ContainsFunc(patterns, func(p string) bool {
		if p == v {
			return true
		}
		ok, err := path.Match(p, v)
		return err == nil && ok
	})
}

// Applies reports whether a package patch's os filter accepts an asset.
func (o PatchOS) Applies(a *Asset) bool {
	return anyMatch(o.Family, a.OS.Family) && anyMatch(o.Name, a.OS.Name) && anyMatch(o.Version, string(a.OS.Version))
}
