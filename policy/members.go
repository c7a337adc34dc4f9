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
// safe for concurrent use afterwards.
func (r *Repository) computeMembers() {
	r.members = make(map[string][]string, len(r.Groups))
	for name, g := range r.Groups {
		set := map[string]bool{}
		if g.Match != nil {
			for id, a := range r.Assets {
				if g.Match.Matches(a) {
					set[id] = true
				}
			}
		}
		for _, id := range g.Include {
			if _, ok := r.Assets[id]; ok {
				set[id] = true
			}
		}
		for _, id := range g.Exclude {
			delete(set, id)
		}
		ids := make([]string, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		r.members[name] = ids
	}
}

// StageMembers returns the assets of each stage of a wave. An asset in the
// groups of several stages belongs to the first of them only: each asset is
// patched once per wave.
func (r *Repository) StageMembers(w *Wave) [][]string {
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
