package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/plan/version"
	"github.com/patchwave/patchwave/policy"
)

// Input is everything a plan is computed from.
type Input struct {
	// Repo must be valid: Load returned no errors.
	Repo  *policy.Repository
	State *state.State
	At    time.Time
	// Images maps "repository:tag" to the digest the registry resolved,
	// for image patches given by tag.
	Images map[string]string
	// Offline is set when tags were not resolved; actions then name the
	// tag, and apply resolves it.
	Offline bool
	// Reuse is another plan of the same process (plan --base computes
	// two), computed or still being computed (Start): the parts whose
	// inputs are equal, each patch's needs and each wave's plan, are taken
	// from it instead of computed again. The result is the same either way.
	Reuse Reusable
}

// Compute computes the plan. It is pure: the same input gives the same plan.
func Compute(in Input) *Plan {
	c := newComputer(in)
	c.run()
	return c.memo.plan
}

// run computes the plan into c.memo, publishing each part there as it is
// done (memo), for a computation that reuses this one while it runs.
func (c *computer) run() {
	in, m := c.in, c.memo
	p := &Plan{
		FormatVersion: FormatVersion,
		At:            in.At,
		Offline:       in.Offline,
		Inputs:        c.inputs(),
	}
	var ids []string // taken when a patch's needs are computed, not taken from prev
	for _, pid := range policy.SortedKeys(in.Repo.Patches) {
		patch := in.Repo.Patches[pid]
		pr := c.prev.patch(pid, patch)
		if pr == nil {
			if ids == nil {
				ids = in.Repo.AssetIDs()
			}
			before := len(c.findings)
			pr = &patchResult{patch: patch}
			pr.needs, pr.ids = c.needsFor(patch, ids)
			pr.findings = c.findingsSince(before)
		} else {
			c.findings = append(c.findings, pr.findings...)
			c.reusedPatch[pid] = true
		}
		m.patches[pid] = pr
		c.needs[pid] = pr.needs
	}
	close(m.patchesDone)
	reusedWaves := 0
	for _, name := range policy.SortedKeys(in.Repo.Waves) {
		slot := m.waves[name]
		wr := c.prev.wave(slot, m, c.samePolicy)
		if wr == nil {
			before := len(c.findings)
			wr = &waveResult{wave: c.wave(slot.def, slot.members)}
			wr.findings = c.findingsSince(before)
		} else {
			c.findings = append(c.findings, wr.findings...)
			reusedWaves++
		}
		slot.result = wr
		close(slot.done)
		p.Waves = append(p.Waves, wr.wave)
	}
	for _, name := range policy.SortedKeys(in.Repo.Rollbacks) {
		p.Rollbacks = append(p.Rollbacks, c.rollback(in.Repo.Rollbacks[name], state.KindRollback))
	}
	p.Rollbacks = append(p.Rollbacks, c.unfinishedBreakGlass()...)
	m.plan, p.memo = p, m
	defer close(m.done)
	if prev := c.prev; prev != nil && c.samePolicy && len(p.Rollbacks) == 0 &&
		len(c.reusedPatch) == len(m.patches) && len(m.patches) == len(prev.repo.Patches) &&
		reusedWaves == len(m.waves) && len(m.waves) == len(prev.waves) {
		// Every part came from prev: so do the parts computed from them.
		<-prev.done
		p.Missing, p.Findings, p.Summary = prev.plan.Missing, prev.plan.Findings, prev.plan.Summary
		return
	}
	p.Missing = c.missing(m)
	c.doubleScheduled(p.Waves)
	p.Findings = c.sortedFindings()
	p.Summary = Summarize(p)
}

type computer struct {
	in   Input
	repo *policy.Repository
	memo *memo // what this computation publishes
	// prev is Input.Reuse's memo when its inputs allow reuse, samePolicy
	// whether its policy equals this one, reusedPatch the patches whose
	// needs came from it.
	prev        *memo
	samePolicy  bool
	reusedPatch map[string]bool
	// needs maps patch id to the assets that need it, with their changes.
	needs    map[string]map[string][]Change
	findings []Finding // in the order found; sorted at the end
}

func newComputer(in Input) *computer {
	c := &computer{in: in, repo: in.Repo, memo: newMemo(in), reusedPatch: map[string]bool{},
		needs: map[string]map[string][]Change{}}
	if in.Reuse != nil {
		c.prev, c.samePolicy = c.reusable(in.Reuse.memoOf())
	}
	return c
}

func (c *computer) add(f Finding) { c.findings = append(c.findings, f) }

// findingsSince returns the findings added since there were n, for a part
// to keep: later adds only append, and the list is sorted in a copy.
func (c *computer) findingsSince(n int) []Finding {
	return c.findings[n:len(c.findings):len(c.findings)]
}

func (c *computer) inputs() Inputs {
	in := Inputs{Images: c.in.Images, At: c.in.At}
	for _, f := range c.repo.Files {
		in.Files = append(in.Files, File{Path: f.Path, SHA256: f.SHA256})
	}
	if c.in.State != nil {
		for _, f := range c.in.State.Files {
			in.State = append(in.State, File{Path: f.Path, SHA256: f.SHA256})
		}
	}
	return in
}

// needsFor finds the assets that need a patch: the target applies and the
// observed version is older than the fixed one. What the runner observed
// (state/) is newer than the inventory. ids are the assets, sorted; so are
// the needing ones it returns.
func (c *computer) needsFor(p *policy.Patch, ids []string) (map[string][]Change, []string) {
	m := map[string][]Change{}
	var needing []string
	for _, id := range ids {
		if changes := c.changesFor(c.repo.Assets[id], p); len(changes) > 0 {
			m[id] = changes
			needing = append(needing, id)
		}
	}
	return m, needing
}

// observed returns what an asset runs now: the runner's latest
// observation, else the inventory.
func (c *computer) observed(a *policy.Asset) (packages map[string]string, digest string) {
	packages, digest = a.Packages, ""
	if a.Image != nil {
		digest = a.Image.Digest
	}
	if obs, _ := c.in.State.Observed(a.ID); obs != nil {
		if obs.Packages != nil {
			packages = obs.Packages
		}
		if obs.Digest != "" {
			digest = obs.Digest
		}
	}
	return packages, digest
}

func (c *computer) changesFor(a *policy.Asset, p *policy.Patch) []Change {
	packages, digest := c.observed(a)
	if p.Image != nil {
		if a.Kind != "image" || a.Image == nil || repository(a.Image.Ref) != repository(p.Image.Repository) {
			return nil
		}
		to := c.targetDigest(p)
		if to == digest {
			return nil
		}
		return []Change{{Name: a.Image.Ref, From: digest, To: to}}
	}
	if a.Kind != "host" || !p.OS.Applies(a) {
		return nil
	}
	var scheme version.Scheme
	var known bool
	var changes []Change
	for _, name := range policy.SortedKeys(p.Packages) {
		installed, ok := packages[name]
		if !ok {
			continue // patches upgrade what is installed, never install
		}
		if scheme == "" {
			if scheme, known = version.SchemeFor(a.OS.Name); !known {
				c.add(Finding{Level: LevelWarning, Code: "unknown-version-order", Asset: a.ID, Patch: p.ID,
					Message: fmt.Sprintf("asset %q: cannot compare package versions for os.name %q (want a dpkg or rpm distribution such as \"debian\" or \"rhel\")", a.ID, a.OS.Name)})
				return nil
			}
		}
		fixed := p.Packages[name]
		order, err := version.Compare(scheme, installed, fixed)
		if err != nil {
			c.add(Finding{Level: LevelWarning, Code: "bad-version", Asset: a.ID, Patch: p.ID,
				Message: fmt.Sprintf("asset %q package %q: %v", a.ID, name, err)})
			return nil
		}
		if order < 0 {
			changes = append(changes, Change{Name: name, From: installed, To: fixed})
		}
	}
	return changes
}

// targetDigest is the digest an image patch moves to: its own, the
// resolved digest of its tag, or, offline, the tag itself.
func (c *computer) targetDigest(p *policy.Patch) string {
	if p.Image.Digest != "" {
		return p.Image.Digest
	}
	ref := p.Image.Repository + ":" + p.Image.Tag
	if d, ok := c.in.Images[ref]; ok {
		return d
	}
	return ref
}

// repository strips the tag and digest of an image reference and
// normalises Docker Hub names, so that "nginx:1" and
// "docker.io/library/nginx" name the same repository.
func repository(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	first, rest, found := strings.Cut(ref, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		if !found {
			ref = "library/" + ref
		}
		return "docker.io/" + ref
	}
	if first == "index.docker.io" {
		return "docker.io/" + rest
	}
	return ref
}

// wave plans one wave, whose stages hold members.
func (c *computer) wave(w *policy.Wave, members [][]string) *Wave {
	r := c.repo
	wp := &Wave{Name: w.Name, Severity: string(r.HighestSeverity(w)), Patches: w.Patches,
		ApprovedBy: w.ApprovedBy, Emergency: w.Emergency, Reason: w.Reason}
	excepted := map[[2]string]policy.Exception{}
	for _, e := range r.Policy.Exceptions {
		if e.Expires.After(c.in.At) {
			excepted[[2]string{e.Asset, e.Patch}] = e
		}
	}
	cursor := c.in.At // when the previous stage is done, at the earliest
	prevDone := true
	var prevName, prevStatus string
	for i, s := range w.Stages {
		rec := c.in.State.Stage(w.Name, s.Name)
		sp := &Stage{Name: s.Name, Window: s.Window, Members: len(members[i]), Soak: policy.FormatDuration(s.Soak),
			Actions: make([]Action, 0, len(members[i]))}
		earlier := c.earlierActions(w.Name, s)
		for _, id := range members[i] {
			for _, pid := range w.Patches {
				changes, needed := c.needs[pid][id]
				if !needed {
					continue
				}
				if e, ok := excepted[[2]string{id, pid}]; ok {
					wp.Exceptions = append(wp.Exceptions, Exception{Asset: id, Patch: pid, Reason: e.Reason, Expires: e.Expires})
					continue
				}
				if a, ok := earlier.find(id, pid, c.reusedPatch[pid]); ok {
					sp.Actions = append(sp.Actions, a)
					continue
				}
				sp.Actions = append(sp.Actions, c.action(id, r.Patches[pid], changes, s))
			}
		}
		c.sizes(sp, s)
		switch {
		case rec != nil && rec.Status != state.Running && rec.Status != state.Succeeded:
			sp.Status, sp.Reason = rec.Status, fmt.Sprintf("stage %s at %s; see %s", rec.Status, stamp(rec.Finished), last(rec.Records))
		case rec != nil && rec.Status == state.Running:
			sp.Status, sp.Reason, sp.Start = StatusRunning, fmt.Sprintf("started at %s", stamp(rec.Started)), rec.Started
		case rec != nil && rec.Status == state.Succeeded && allRecorded(sp.Actions, rec):
			// Done, also when assets failed within max_failures: they keep
			// their actions, for people to see, and are not retried until
			// the stage runs again for members it has not seen.
			sp.Status, sp.Reason, sp.Start = StatusDone, fmt.Sprintf("done at %s", stamp(rec.Finished)), rec.Started
			switch n := CountAssets(sp.Actions); {
			case n == 1:
				sp.Reason += fmt.Sprintf("; 1 asset failed and still needs it: see %s", last(rec.Records))
			case n > 1:
				sp.Reason += fmt.Sprintf("; %d assets failed and still need it: see %s", n, last(rec.Records))
			}
			cursor = laterOf(cursor, rec.Finished.Add(s.Soak))
		default:
			start, why, until := c.earliest(w, s, cursor, prevDone, prevName, prevStatus, i)
			sp.Start = start
			switch {
			case len(sp.Actions) == 0:
				sp.Status, sp.Reason = StatusDone, fmt.Sprintf("nothing to patch: %d assets already at target", sp.Members)
			case why == "":
				sp.Status, sp.Reason = StatusDue, "due now"
			default:
				sp.Status, sp.Reason, sp.Until = StatusBlocked, why, until
			}
			if s.Window != "any" {
				if o, ok := r.Policy.Windows[s.Window].Next(start); ok {
					sp.WindowOpen = &Occurrence{Start: o.Start.UTC(), End: o.End.UTC()}
					if sp.Status == StatusDue {
						sp.Reason = fmt.Sprintf("due now: window %s open until %s", s.Window, stamp(o.End))
					}
				}
			}
			if f, ok := c.freezePassed(w, start); ok && sp.Status != StatusDone {
				sp.Reason += fmt.Sprintf("; freeze %q allows %s waves", f.Reason, wp.Severity)
			}
			if len(sp.Actions) > 0 {
				cursor = start.Add(s.Soak)
			}
		}
		prevDone = sp.Status == StatusDone
		prevName, prevStatus = s.Name, sp.Status
		c.slaFindings(w, sp)
		wp.Forecast = laterOf(wp.Forecast, sp.Start)
		wp.Stages = append(wp.Stages, sp)
	}
	for _, e := range wp.Exceptions {
		if e.Expires.Before(wp.Forecast) {
			c.add(Finding{Level: LevelWarning, Code: "exception-expires", Asset: e.Asset, Patch: e.Patch, Wave: w.Name,
				Message: fmt.Sprintf("the exception for asset %q and patch %q expires on %s, before wave %q ends (%s at the earliest)", e.Asset, e.Patch, stamp(e.Expires), w.Name, stamp(wp.Forecast))})
		}
	}
	return wp
}

func (c *computer) action(asset string, p *policy.Patch, changes []Change, s *policy.Stage) Action {
	a := Action{Asset: asset, Patch: p.ID, Kind: "package", Changes: changes,
		Reboot: s.Reboot == "always" || (s.Reboot == "if-required" && p.Reboot)}
	if p.Image != nil {
		a.Kind = "image"
	}
	a.From, a.To = summarize(changes)
	if sla, ok := c.repo.Policy.SLA[p.Severity]; ok {
		a.Due = p.Released.Add(sla)
	}
	return a
}

// allRecorded reports whether the stage's record holds every asset of
// actions: none is a member the stage has not seen.
func allRecorded(actions []Action, rec *state.Stage) bool {
	for _, a := range actions {
		if _, ok := rec.Assets[a.Asset]; !ok {
			return false
		}
	}
	return true
}

// CountAssets counts the assets of a stage's actions, which come asset by
// asset.
func CountAssets(actions []Action) int {
	n := 0
	for i, a := range actions {
		if i == 0 || a.Asset != actions[i-1].Asset {
			n++
		}
	}
	return n
}

// SortedByAsset reports whether actions come in asset id order, as a
// computed stage's do.
func SortedByAsset(actions []Action) bool {
	return slices.IsSortedFunc(actions, func(a, b Action) int { return strings.Compare(a.Asset, b.Asset) })
}

// summarize writes changes as an action's From and To: the versions of a
// single change, else "name version, ..." for each.
func summarize(changes []Change) (from, to string) {
	if len(changes) == 1 {
		return changes[0].From, changes[0].To
	}
	f, t := make([]string, len(changes)), make([]string, len(changes))
	for i, ch := range changes {
		f[i], t[i] = ch.Name+" "+ch.From, ch.Name+" "+ch.To
	}
	return strings.Join(f, ", "), strings.Join(t, ", ")
}

// sizes fills the stage's batch plan from its settings.
func (c *computer) sizes(sp *Stage, s *policy.Stage) {
	// The actions of one asset are next to each other (wave builds them
	// asset by asset), so assets are runs of equal Asset.
	n := 0
	for i := 0; i < len(sp.Actions); {
		j, reboot := i, s.Reboot == "always"
		for ; j < len(sp.Actions) && sp.Actions[j].Asset == sp.Actions[i].Asset; j++ {
			reboot = reboot || sp.Actions[j].Reboot
		}
		n++
		if reboot {
			sp.Reboots++
		}
		i = j
	}
	sp.MaxParallel = max(1, s.MaxParallel.Of(n))
	sp.MaxFailures = s.MaxFailures.FloorOf(n)
	sp.Batches = (n + sp.MaxParallel - 1) / sp.MaxParallel
}

// earliest is when a stage that has not started may start, and, when that
// is later than now, why (the first reason that holds now) and until when.
func (c *computer) earliest(w *policy.Wave, s *policy.Stage, cursor time.Time, prevDone bool, prevName, prevStatus string, i int) (time.Time, string, time.Time) {
	at := c.in.At
	var why string
	reason := func(r string) {
		if why == "" {
			why = r
		}
	}
	start := cursor
	if i > 0 && !prevDone {
		reason(fmt.Sprintf("blocked by stage %s (%s)", prevName, prevStatus))
	} else if start.After(at) {
		reason(fmt.Sprintf("soak after stage %s until %s", prevName, stamp(start)))
	}
	if w.NotBefore.After(start) {
		start = w.NotBefore
		if w.NotBefore.After(at) {
			reason(fmt.Sprintf("not before %s", stamp(w.NotBefore)))
		}
	}
	// Freezes and windows may push each other: move until both allow.
	for range 64 {
		moved := false
		if f, blocks := c.freezeAt(w, start); blocks {
			reason(fmt.Sprintf("freeze until %s (%s)", stamp(f.To), f.Reason))
			start, moved = f.To, true
		}
		if s.Window != "any" {
			win := c.repo.Policy.Windows[s.Window]
			if o, ok := win.Next(start); ok && !o.Contains(start) {
				reason(fmt.Sprintf("window %s closed until %s", s.Window, stamp(o.Start)))
				start, moved = o.Start, true
			}
		}
		if !moved {
			break
		}
	}
	if i > 0 && !prevDone {
		// Waiting for the previous stage, whatever the clock says: its
		// time of completion is not known.
		return laterOf(start, at).UTC(), why, time.Time{}
	}
	if !start.After(at) {
		return at, "", time.Time{}
	}
	return start.UTC(), why, start.UTC()
}

// freezeAt returns the freeze that blocks a wave at t. A wave whose
// highest severity the freeze's allow list holds rolls out (SPEC §1:
// "allow = severities that may still roll out"); the wave is one unit, so
// its lower-severity patches go with it.
func (c *computer) freezeAt(w *policy.Wave, t time.Time) (policy.Freeze, bool) {
	sev := c.repo.HighestSeverity(w)
	for _, f := range c.repo.Policy.Freezes {
		if t.Before(f.From) || !t.Before(f.To) || slices.Contains(f.Allow, sev) {
			continue
		}
		return f, true
	}
	return policy.Freeze{}, false
}

// freezePassed returns a freeze in force at t that lets the wave through.
func (c *computer) freezePassed(w *policy.Wave, t time.Time) (policy.Freeze, bool) {
	sev := c.repo.HighestSeverity(w)
	for _, f := range c.repo.Policy.Freezes {
		if !t.Before(f.From) && t.Before(f.To) && slices.Contains(f.Allow, sev) {
			return f, true
		}
	}
	return policy.Freeze{}, false
}

// slaFindings reports actions that will land after their SLA, at the
// earliest. A breach is an error for a critical patch on an
// internet-exposed asset.
func (c *computer) slaFindings(w *policy.Wave, sp *Stage) {
	if sp.Status == StatusDone {
		return
	}
	// The due date is the patch's, the same for every asset: the message
	// is built around the asset once per patch (a stage may hold 100k).
	type words struct{ before, after string }
	byPatch := map[string]words{}
	late := func(a Action) bool { return !a.Due.IsZero() && sp.Start.After(a.Due) }
	breaches := 0
	for _, a := range sp.Actions {
		if late(a) {
			breaches++
		}
	}
	c.findings = slices.Grow(c.findings, breaches)
	for _, a := range sp.Actions {
		if !late(a) {
			continue
		}
		p, asset := c.repo.Patches[a.Patch], c.repo.Assets[a.Asset]
		level := LevelWarning
		if p.Severity == policy.Critical && asset.Exposure == "internet" {
			level = LevelError
		}
		m, ok := byPatch[a.Patch]
		if !ok {
			m.before = fmt.Sprintf("%s patch %s on asset ", p.Severity, p.ID)
			sla := fmt.Sprintf("(released %s + SLA %s)", p.Released.Format(time.DateOnly), policy.FormatDuration(c.repo.Policy.SLA[p.Severity]))
			if c.in.At.Before(a.Due) {
				m.after = fmt.Sprintf(" is due by %s %s; stage %s of wave %s reaches it at %s at the earliest", stamp(a.Due), sla, sp.Name, w.Name, stamp(sp.Start))
			} else {
				m.after = fmt.Sprintf(" is overdue since %s %s", stamp(a.Due), sla)
			}
			byPatch[a.Patch] = m
		}
		c.add(Finding{Level: level, Code: "sla-breach", Asset: a.Asset, Patch: a.Patch, Wave: w.Name,
			Message: m.before + strconv.Quote(a.Asset) + m.after})
	}
}

// missing lists the patches that assets need and no wave schedules for
// them (excepted assets aside): the fleet scan view.
func (c *computer) missing(m *memo) []Missing {
	excepted := map[[2]string]bool{}
	for _, e := range c.repo.Policy.Exceptions {
		if e.Expires.After(c.in.At) {
			excepted[[2]string{e.Asset, e.Patch}] = true
		}
	}
	// The sorted member lists of the stages that schedule each patch.
	scheduling := map[string][][]string{}
	for _, name := range policy.SortedKeys(m.waves) {
		wr := m.waves[name]
		for _, pid := range wr.def.Patches {
			scheduling[pid] = append(scheduling[pid], wr.members...)
		}
	}
	var out []Missing
	for _, pid := range policy.SortedKeys(m.patches) {
		p := c.repo.Patches[pid]
		var assets []string
		for _, id := range unscheduled(m.patches[pid].ids, scheduling[pid]) {
			if !excepted[[2]string{id, pid}] {
				assets = append(assets, id)
			}
		}
		if len(assets) == 0 {
			continue
		}
		out = append(out, Missing{Patch: pid, Severity: string(p.Severity), Assets: assets})
		// Unscheduled, a patch will miss its SLA: for a critical patch on
		// an internet-exposed asset that is an error, as a forecast breach is.
		level, exposed := LevelWarning, 0
		for _, id := range assets {
			if c.repo.Assets[id].Exposure == "internet" {
				exposed++
			}
		}
		if p.Severity == policy.Critical && exposed > 0 {
			level = LevelError
		}
		msg := fmt.Sprintf("%s need %s patch %s and no wave schedules it for them: %s", count(len(assets), "asset needs", "assets"), p.Severity, pid, sample(assets, 5))
		if len(assets) == 1 {
			msg = fmt.Sprintf("asset %s needs %s patch %s and no wave schedules it for it", assets[0], p.Severity, pid)
		}
		if exposed > 0 {
			msg += fmt.Sprintf(" (%d exposed to the internet)", exposed)
		}
		f := Finding{Level: level, Code: "missing-patch", Patch: pid, Message: msg}
		if len(assets) == 1 {
			f.Asset = assets[0]
		}
		c.add(f)
	}
	return out
}

// unscheduled returns the ids that no list holds. ids and every list are
// sorted: it walks them side by side.
func unscheduled(ids []string, lists [][]string) []string {
	if len(lists) == 0 {
		return ids
	}
	next := make([]int, len(lists))
	var out []string
	for _, id := range ids {
		found := false
		for k, list := range lists {
			for next[k] < len(list) && list[next[k]] < id {
				next[k]++
			}
			if next[k] < len(list) && list[next[k]] == id {
				found = true
				break
			}
		}
		if !found {
			out = append(out, id)
		}
	}
	return out
}

// doubleScheduled reports assets that two waves target, with pending
// actions, for the same package or image.
func (c *computer) doubleScheduled(waves []*Wave) {
	pending := 0
	for _, w := range waves {
		if slices.ContainsFunc(w.Stages, func(s *Stage) bool { return s.Status != StatusDone && len(s.Actions) > 0 }) {
			pending++
		}
	}
	if pending < 2 {
		return
	}
	type target struct{ asset, name string }
	seen := map[target][]string{}
	for _, w := range waves {
		for _, s := range w.Stages {
			if s.Status == StatusDone {
				continue
			}
			for _, a := range s.Actions {
				for _, ch := range a.Changes {
					t := target{a.Asset, ch.Name}
					if !slices.Contains(seen[t], w.Name) {
						seen[t] = append(seen[t], w.Name)
					}
				}
			}
		}
	}
	keys := make([]target, 0, len(seen))
	for t, ws := range seen {
		if len(ws) > 1 {
			keys = append(keys, t)
		}
	}
	slices.SortFunc(keys, func(a, b target) int { return cmp.Or(cmp.Compare(a.asset, b.asset), cmp.Compare(a.name, b.name)) })
	for _, t := range keys {
		c.add(Finding{Level: LevelWarning, Code: "double-scheduled", Asset: t.asset,
			Message: fmt.Sprintf("asset %q is targeted for %s by waves %s", t.asset, t.name, strings.Join(seen[t], " and "))})
	}
}

func (c *computer) sortedFindings() []Finding {
	out := append([]Finding{}, c.findings...)
	slices.SortFunc(out, CompareFindings) // it orders by every field: no need for a stable sort
	return out
}

// CompareFindings is the order of Plan.Findings: errors first, then by
// code, wave, patch, asset and message. It orders by every field, so
// equal findings compare 0.
func CompareFindings(a, b Finding) int {
	return cmp.Or(cmp.Compare(levelRank(a.Level), levelRank(b.Level)), cmp.Compare(a.Code, b.Code),
		cmp.Compare(a.Wave, b.Wave), cmp.Compare(a.Patch, b.Patch), cmp.Compare(a.Asset, b.Asset), cmp.Compare(a.Message, b.Message))
}

func levelRank(l string) int {
	if l == LevelError {
		return 0
	}
	return 1
}

// Summarize counts a plan's actions, assets, due stages, findings and
// missing patches from its lists; Compute fills Plan.Summary with it, and
// renderers use it for plans read back from JSON.
func Summarize(p *Plan) Summary {
	s := Summary{Missing: map[string]int{}, Findings: map[string]int{}}
	var lists [][]Action // the pending actions, which come asset by asset
	for _, w := range p.Waves {
		if w == nil {
			continue
		}
		for _, st := range w.Stages {
			if st == nil {
				continue
			}
			if st.Status == StatusDue {
				s.DueStages++
			}
			if st.Status == StatusDone {
				continue
			}
			s.Actions += len(st.Actions)
			lists = append(lists, st.Actions)
		}
	}
	for _, rb := range p.Rollbacks {
		if rb == nil || (rb.Status != StatusDue && rb.Status != StatusRunning) {
			continue
		}
		if rb.Status == StatusDue {
			s.DueRollbacks++
		}
		s.Actions += len(rb.Actions)
		lists = append(lists, rb.Actions)
	}
	s.Assets = countDistinctAssets(lists)
	for _, m := range p.Missing {
		s.Missing[m.Severity] += len(m.Assets)
	}
	for _, f := range p.Findings {
		s.Findings[f.Code]++
		if f.Level == LevelError {
			s.Errors++
		} else {
			s.Warnings++
		}
	}
	return s
}

// countDistinctAssets counts the assets that lists of actions name. A
// plan's stages list their actions in asset order: a few such lists it
// walks side by side, hashing only the assets of the others.
func countDistinctAssets(lists [][]Action) int {
	var sorted [][]Action
	var other map[string]bool
	for _, l := range lists {
		if len(lists) <= 16 && SortedByAsset(l) {
			sorted = append(sorted, l)
			continue
		}
		if other == nil {
			other = map[string]bool{}
		}
		for _, a := range l {
			other[a.Asset] = true
		}
	}
	n := len(other)
	next := make([]int, len(sorted))
	for {
		// The smallest asset at the heads of the lists, counted once.
		least, found := "", false
		for k, l := range sorted {
			if next[k] < len(l) && (!found || l[next[k]].Asset < least) {
				least, found = l[next[k]].Asset, true
			}
		}
		if !found {
			return n
		}
		if !other[least] {
			n++
		}
		for k, l := range sorted {
			for next[k] < len(l) && l[next[k]].Asset == least {
				next[k]++
			}
		}
	}
}

// count writes "1 asset" or "3 assets"; one is used only for 1.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + strings.Fields(one)[0]
	}
	return fmt.Sprintf("%d %s", n, many)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func last(list []string) string {
	if len(list) == 0 {
		return "state/"
	}
	return list[len(list)-1]
}

// sample names the first n items and how many more there are.
func sample(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
