package policy

import (
	"path"
	"slices"
	"sort"
)

// Members returns the ids of a group's assets, sorted: the assets that
// satisfy every condition of match, plus include, minus exclude. It is
// computed in Go, not by CUE, so that it stays fast at fleet scale.
func (r *Repository) Members(group string) []string { return r.members[group] }

// computeMembers computes every group's members once, so that Members is
// safe for concurrent use afterwards. One pass over the sorted fleet per
// group (groups in parallel) keeps it linear and the results sorted.
func (r *Repository) computeMembers() {
	ids := SortedKeys(r.Assets)
	names := SortedKeys(r.Groups)
	lists := make([][]string, len(names))
	parallel(len(names), func(i int) {
		g := r.Groups[names[i]]
		include, exclude := setOf(g.Include), setOf(g.Exclude)
		var out []string
		for _, id := range ids {
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
	return r.computeStageMembers(w)
}

func (r *Repository) computeStageMembers(w *Wave) [][]string {
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
