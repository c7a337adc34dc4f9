package plan

import (
	"fmt"
	"maps"
	"slices"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
)

// ComputeRollback plans one rollback against the repository and its
// recorded state: for a break-glass rollback (patchwave rollback), which
// the repository does not hold; kind is state.KindRollback or
// state.KindBreakGlass.
func ComputeRollback(in Input, rb *policy.Rollback, kind string) *Rollback {
	c := &computer{in: in, repo: in.Repo}
	return c.rollback(rb, kind)
}

// rollbackStages is the stages a rollback puts back: those it names, or
// every stage of its wave, in wave order.
func rollbackStages(repo *policy.Repository, rb *policy.Rollback) []string {
	if len(rb.Stages) > 0 {
		return rb.Stages
	}
	w := repo.Waves[rb.Wave]
	if w == nil {
		return nil
	}
	names := make([]string, len(w.Stages))
	for i, s := range w.Stages {
		names[i] = s.Name
	}
	return names
}

// unfinishedBreakGlass plans the break-glass rollbacks that a run began
// and did not finish (it died): apply finishes them like a reviewed one.
func (c *computer) unfinishedBreakGlass() []*Rollback {
	if c.in.State == nil {
		return nil
	}
	var out []*Rollback
	for _, name := range policy.SortedKeys(c.in.State.Rollbacks) {
		rec := c.in.State.Rollbacks[name]
		if _, reviewed := c.repo.Rollbacks[name]; reviewed || rec.Kind != state.KindBreakGlass || rec.Status != state.RollbackRunning {
			continue
		}
		rb := &policy.Rollback{Name: name, Wave: rec.Wave, Stages: rec.Stages, Assets: policy.SortedKeys(rec.Assets), Reason: rec.Reason}
		out = append(out, c.rollback(rb, state.KindBreakGlass))
	}
	return out
}

func (c *computer) rollback(rb *policy.Rollback, kind string) *Rollback {
	out := &Rollback{Name: rb.Name, Wave: rb.Wave, Stages: rollbackStages(c.repo, rb), Assets: rb.Assets,
		Reason: rb.Reason, ApprovedBy: rb.ApprovedBy, Actions: []Action{}}
	rec := c.in.State.RollbackRecord(rb.Name)
	if rec == nil || rec.Status != state.RollbackDone {
		out.Actions = c.rollbackActions(out) // a failed one shows what is left
	}
	switch {
	case rec != nil && rec.Status != state.RollbackRunning:
		out.Status = rec.Status
		out.StatusReason = fmt.Sprintf("%s %s at %s; see %s", kind, rec.Status, stamp(rec.Finished), last(rec.Records))
	case rec != nil:
		out.Status, out.StatusReason = StatusRunning, fmt.Sprintf("started at %s", stamp(rec.Started))
	case len(out.Actions) == 0:
		// Due all the same: apply records it as done, so that the stages
		// the wave runs later are not put back by a request that came
		// before them.
		out.Status, out.StatusReason = StatusDue, "due now, with nothing to put back: the wave changed none of these assets, or they run what they ran before; apply records it"
	default:
		out.Status, out.StatusReason = StatusDue, "due now: a rollback does not wait for windows, freezes or soak"
	}
	return out
}

// rollbackActions lists, per asset the rollback covers and per patch of
// its wave, the changes that take the asset back to its rollback state.
// Changes no patch of the wave names (a dependency the package manager
// upgraded too) go with the wave's first patch.
func (c *computer) rollbackActions(rb *Rollback) []Action {
	befores := c.in.State.Changed(rb.Wave, rb.Stages)
	w := c.repo.Waves[rb.Wave]
	// owner is the wave's patch that a change belongs to.
	owner := func(match func(p *policy.Patch) bool) string {
		if w == nil || len(w.Patches) == 0 {
			return ""
		}
		for _, pid := range w.Patches {
			if p := c.repo.Patches[pid]; p != nil && match(p) {
				return pid
			}
		}
		return w.Patches[0]
	}
	var actions []Action
	for _, id := range slices.Sorted(maps.Keys(befores)) {
		a := c.repo.Assets[id]
		if a == nil || (len(rb.Assets) > 0 && !slices.Contains(rb.Assets, id)) {
			continue
		}
		before := befores[id]
		packages, digest := c.observed(a)
		byPatch := map[string][]Change{}
		kind := "package"
		if before.Digest != "" && before.Digest != digest && a.Image != nil {
			kind = "image"
			pid := owner(func(p *policy.Patch) bool {
				return p.Image != nil && repository(p.Image.Repository) == repository(a.Image.Ref)
			})
			byPatch[pid] = append(byPatch[pid], Change{Name: a.Image.Ref, From: digest, To: before.Digest})
		}
		for _, name := range policy.SortedKeys(before.Packages) {
			if was, now := before.Packages[name], packages[name]; now != "" && now != was {
				pid := owner(func(p *policy.Patch) bool { _, ok := p.Packages[name]; return ok })
				byPatch[pid] = append(byPatch[pid], Change{Name: name, From: now, To: was})
			}
		}
		for _, pid := range policy.SortedKeys(byPatch) {
			act := Action{Asset: id, Patch: pid, Kind: kind, Changes: byPatch[pid]}
			act.From, act.To = summarize(act.Changes)
			actions = append(actions, act)
		}
	}
	return actions
}
