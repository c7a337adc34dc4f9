package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
)

// pair is one patch on one asset.
type pair struct{ asset, patch string }

// install is the evidence that a patch was installed on an asset.
type install struct {
	at          time.Time
	wave, stage string
}

// classify computes the report from a prepared repository as of at.
func classify(p *runner.Prepared, at time.Time) *Report {
	repo := p.Repo
	// Which assets need which patch is the planner's: two more plans of
	// the same repository without its exceptions (so that excepted pairs
	// are listed too), one with the recorded state (what is still needed
	// at At) and one without (what the inventory needed before the runner
	// changed anything). Neither resolves image tags.
	open := *repo
	open.Policy.Exceptions = nil
	needed := needs(plan.Compute(plan.Input{Repo: &open, State: p.State, At: at, Offline: true, Reuse: p.Plan}))
	before := needs(plan.Compute(plan.Input{Repo: &open, At: at, Offline: true}))

	installed := installs(repo, p.State, before)
	// A patch the inventory needed that is no longer needed, with no
	// stage of its own recorded: a stage installed it along with another
	// patch (the same package, a newer version). It counts as installed
	// when the runner observed it so.
	for pr := range before {
		if _, ok := installed[pr]; ok || needed[pr] {
			continue
		}
		if _, when := p.State.Observed(pr.asset); !when.IsZero() {
			installed[pr] = install{at: when}
		}
	}

	exceptions := map[pair]policy.Exception{}
	for _, e := range repo.Policy.Exceptions {
		if e.Expires.After(at) {
			exceptions[pair{e.Asset, e.Patch}] = e
		}
	}
	scope := map[pair]bool{}
	for pr := range needed {
		scope[pr] = true
	}
	for pr := range installed {
		scope[pr] = true
	}

	r := &Report{FormatVersion: FormatVersion, At: at, Severities: []SeverityRow{}, Patches: []PatchRow{}, Assets: []AssetRow{}}
	for pr := range scope {
		patch := repo.Patches[pr.patch]
		row := AssetRow{Asset: pr.asset, Patch: pr.patch, Severity: string(patch.Severity), Due: due(repo, patch)}
		if in, ok := installed[pr]; ok {
			row.InstalledAt, row.Wave, row.Stage = in.at.UTC(), in.wave, in.stage
			row.Status = WithinSLA
			if !row.Due.IsZero() && in.at.After(row.Due) {
				row.Status = Late
			}
		} else if e, ok := exceptions[pr]; ok {
			row.Status = Excepted
			row.Exception = &Exception{Reason: e.Reason, ApprovedBy: append([]string{}, e.ApprovedBy...), Expires: e.Expires.UTC()}
		} else if !row.Due.IsZero() && at.After(row.Due) {
			row.Status = Overdue
		} else {
			row.Status = NotDue
		}
		r.Assets = append(r.Assets, row)
	}
	slices.SortFunc(r.Assets, func(a, b AssetRow) int {
		return cmp.Or(cmp.Compare(a.Asset, b.Asset), cmp.Compare(a.Patch, b.Patch))
	})

	// Counts by severity and overall; assets needing count once per row.
	bySeverity := map[string]*Counts{}
	needing := map[string]map[string]bool{}
	overallNeeding := map[string]bool{}
	for _, row := range r.Assets {
		c := bySeverity[row.Severity]
		if c == nil {
			c, needing[row.Severity] = &Counts{}, map[string]bool{}
			bySeverity[row.Severity] = c
		}
		add(c, row.Status)
		add(&r.Overall, row.Status)
		if row.Status != WithinSLA && row.Status != Late {
			needing[row.Severity][row.Asset] = true
			overallNeeding[row.Asset] = true
		}
	}
	for i := len(policy.Severities) - 1; i >= 0; i-- {
		sev := string(policy.Severities[i])
		row := SeverityRow{Severity: sev}
		if c := bySeverity[sev]; c != nil {
			row.Counts = *c
			row.AssetsNeeding = len(needing[sev])
		}
		r.Severities = append(r.Severities, row)
	}
	r.Overall.AssetsNeeding = len(overallNeeding)

	r.Patches = patchRows(p, r.Assets)
	return r
}

// add counts one pair of status s.
func add(c *Counts, s string) {
	switch s {
	case WithinSLA:
		c.WithinSLA++
	case Late:
		c.Late++
	case Overdue:
		c.Overdue++
	case Excepted:
		c.Excepted++
	case NotDue:
		c.NotDue++
	}
}

// due is when a patch must be installed: released + the SLA of its
// severity, or zero when the policy sets none.
func due(repo *policy.Repository, p *policy.Patch) time.Time {
	if sla, ok := repo.Policy.SLA[p.Severity]; ok {
		return p.Released.Add(sla).UTC()
	}
	return time.Time{}
}

// needs lists the pairs a plan says are needed: the actions of every
// stage (done or not) and the missing patches. With no exceptions in the
// policy, that is every asset needing every patch.
func needs(p *plan.Plan) map[pair]bool {
	out := map[pair]bool{}
	for _, w := range p.Waves {
		for _, s := range w.Stages {
			for _, a := range s.Actions {
				out[pair{a.Asset, a.Patch}] = true
			}
		}
	}
	for _, m := range p.Missing {
		for _, id := range m.Assets {
			out[pair{id, m.Patch}] = true
		}
	}
	return out
}

// installs finds, in the recorded state, the pairs a stage installed: an
// asset result "succeeded" in a stage of a wave carrying the patch, when
// the inventory said the asset needed it, or the stage changed a package
// (or the image) the patch targets. "rolled-back" is not installed: the
// runner records it over "succeeded". A wave whose file was removed after
// it ran still counts: any patch whose target the stage changed.
func installs(repo *policy.Repository, st *state.State, before map[pair]bool) map[pair]install {
	out := map[pair]install{}
	for _, wave := range policy.SortedKeys(st.Waves) {
		patches := policy.SortedKeys(repo.Patches)
		if w := repo.Waves[wave]; w != nil {
			patches = w.Patches
		}
		for _, stage := range policy.SortedKeys(st.Waves[wave]) {
			rec := st.Waves[wave][stage]
			for _, id := range policy.SortedKeys(rec.Assets) {
				ar := rec.Assets[id]
				if ar.Result != "succeeded" {
					continue
				}
				when := cmp.Or(ar.At, rec.Finished)
				for _, pid := range patches {
					patch := repo.Patches[pid]
					if patch == nil {
						continue
					}
					pr := pair{id, pid}
					if !before[pr] && !changed(ar.Before, ar.After, patch) {
						continue
					}
					if prev, ok := out[pr]; !ok || when.Before(prev.at) {
						out[pr] = install{at: when, wave: wave, stage: stage}
					}
				}
			}
		}
	}
	return out
}

// changed reports whether a change from before to after touched what the
// patch targets.
func changed(before, after *state.Observation, p *policy.Patch) bool {
	if before == nil || after == nil {
		return false
	}
	if p.Image != nil {
		return after.Digest != "" && after.Digest != before.Digest
	}
	for name := range p.Packages {
		if v, ok := after.Packages[name]; ok && v != before.Packages[name] {
			return true
		}
	}
	return false
}

// patchRows says where each patch stands, from the rows and the plan.
func patchRows(p *runner.Prepared, rows []AssetRow) []PatchRow {
	repo := p.Repo
	missing := map[string]int{}
	for _, m := range p.Plan.Missing {
		missing[m.Patch] = len(m.Assets)
	}
	scheduled := map[string]map[string]bool{}
	for _, w := range p.Plan.Waves {
		for _, s := range w.Stages {
			if s.Status == plan.StatusDone {
				continue
			}
			for _, a := range s.Actions {
				if scheduled[a.Patch] == nil {
					scheduled[a.Patch] = map[string]bool{}
				}
				scheduled[a.Patch][a.Asset] = true
			}
		}
	}
	counts := map[string]*PatchRow{}
	for _, row := range rows {
		pr := counts[row.Patch]
		if pr == nil {
			pr = &PatchRow{}
			counts[row.Patch] = pr
		}
		pr.Assets++
		add(&pr.Counts, row.Status)
		if row.Status != WithinSLA && row.Status != Late {
			pr.AssetsNeeding++
		}
	}
	var out []PatchRow
	for _, pid := range policy.SortedKeys(repo.Patches) {
		patch := repo.Patches[pid]
		row := PatchRow{ID: pid, Severity: string(patch.Severity), Released: patch.Released.UTC(), Due: due(repo, patch),
			Missing: missing[pid], Scheduled: len(scheduled[pid]), Waves: []string{}}
		if c := counts[pid]; c != nil {
			row.Assets, row.Counts = c.Assets, c.Counts
		}
		row.Installed = row.WithinSLA + row.Late
		for _, name := range policy.SortedKeys(repo.Waves) {
			w := repo.Waves[name]
			if !slices.Contains(w.Patches, pid) {
				continue
			}
			row.Waves = append(row.Waves, name)
			if len(w.Stages) == 0 {
				continue
			}
			if rec := p.State.Stage(name, w.Stages[0].Name); rec != nil && rec.Status == state.Succeeded {
				if !row.Tested || rec.Finished.Before(row.TestedAt) {
					row.TestedAt = rec.Finished.UTC()
				}
				row.Tested = true
			}
		}
		out = append(out, row)
	}
	// Highest severity first, then by id.
	slices.SortStableFunc(out, func(a, b PatchRow) int {
		return cmp.Compare(policy.Severity(b.Severity).Rank(), policy.Severity(a.Severity).Rank())
	})
	return out
}
