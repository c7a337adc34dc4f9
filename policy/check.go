package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// expiryWarning is how long before an exception expires validate warns.
const expiryWarning = 14 * 24 * time.Hour

// check runs the rules beyond the schema: references between entries,
// approval authority, exceptions, the canary rule and empty stages.
func (l *loader) check() {
	r := l.repo
	prev := l.opts.Cache.lastLoaded()
	r.computeMembers(prev)
	r.stageMembers = make(map[string][][]string, len(r.Waves))
	for name, w := range r.Waves {
		r.stageMembers[name] = r.computeStageMembers(w, prev)
	}
	l.opts.Cache.loaded(r)
	if l.unreadable {
		return // references and judgements would report what the file defines
	}
	l.checkGroups()
	l.checkExceptions()
	for _, name := range SortedKeys(r.Waves) {
		l.checkWave(r.Waves[name])
	}
	for _, name := range SortedKeys(r.Rollbacks) {
		l.checkRollback(r.Rollbacks[name])
	}
}

func (l *loader) loc(section, name string) locator { return l.locs[section+"\x00"+name] }

// hint suggests a known name close to an unknown one.
func (l *loader) hint(section, name string) string {
	if s := suggest(name, SortedKeys(l.known[section])); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

func (l *loader) assetHint(id string) string {
	if len(l.repo.Assets) > 10000 {
		return "" // edit distance against a fleet costs more than it helps
	}
	if s := suggest(id, SortedKeys(l.repo.Assets)); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

func (l *loader) checkGroups() {
	for _, name := range SortedKeys(l.repo.Groups) {
		g, loc := l.repo.Groups[name], l.loc("groups", name)
		for field, ids := range map[string][]string{"include": g.Include, "exclude": g.Exclude} {
			for i, id := range ids {
				if _, ok := l.repo.Assets[id]; !ok {
					l.rep.errorf(loc.pos(field, i), "unknown-asset", "group %q: %s names unknown asset %q%s", name, field, id, l.assetHint(id))
				}
			}
		}
		if g.Match == nil && len(g.Include) == 0 && !l.partial["groups\x00"+name] {
			l.rep.warnf(loc.pos(), "empty-group", "group %q has neither match nor include: it has no assets", name)
		}
	}
}

func (l *loader) checkExceptions() {
	p := &l.repo.Policy
	for i, e := range p.Exceptions {
		loc := l.exceptionLocs[i]
		if _, ok := l.repo.Assets[e.Asset]; !ok {
			l.rep.errorf(loc.pos("asset"), "unknown-asset", "exception for asset %q: unknown asset%s", e.Asset, l.assetHint(e.Asset))
		}
		if !l.known["patches"][e.Patch] {
			l.rep.errorf(loc.pos("patch"), "unknown-patch", "exception for patch %q: unknown patch%s", e.Patch, l.hint("patches", e.Patch))
		}
		left := e.Expires.Sub(l.opts.Now)
		switch {
		case left <= 0:
			l.rep.errorf(loc.pos("expires"), "exception-expired", "exception for asset %q and patch %q expired on %s: renew it with a new approval or remove it",
				e.Asset, e.Patch, e.Expires.UTC().Format(time.RFC3339))
		case left <= expiryWarning:
			l.rep.warnf(loc.pos("expires"), "exception-expiring", "exception for asset %q and patch %q expires on %s, in %s",
				e.Asset, e.Patch, e.Expires.UTC().Format(time.RFC3339), days(left))
		}
	}
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	if n == 0 {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", n)
}

// namePattern is #Name of the schema, which CUE cannot apply to labels.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func (l *loader) checkName(kind, name string, loc locator) {
	if !namePattern.MatchString(name) {
		l.rep.errorf(loc.pos(), "bad-name", "%s name %q: want %s (it becomes part of file names under audit/)", kind, name, formatWords["#Name"])
	}
}

func (l *loader) checkWave(w *Wave) {
	r, loc := l.repo, l.loc("waves", w.Name)
	l.checkName("wave", w.Name, loc)
	for i, id := range w.Patches {
		if !l.known["patches"][id] {
			l.rep.errorf(loc.pos("patches", i), "unknown-patch", "wave %q: unknown patch %q%s", w.Name, id, l.hint("patches", id))
		}
	}
	var stageNames []string
	for i, s := range w.Stages {
		if slices.Contains(stageNames, s.Name) {
			l.rep.errorf(loc.pos("stages", i, "name"), "duplicate-stage", "wave %q: stage %q is defined twice", w.Name, s.Name)
		}
		stageNames = append(stageNames, s.Name)
		for j, g := range s.Groups {
			if !l.known["groups"][g] {
				l.rep.errorf(loc.pos("stages", i, "groups", j), "unknown-group", "wave %q stage %q: unknown group %q%s", w.Name, s.Name, g, l.hint("groups", g))
			}
		}
		if s.Window != "any" && !l.known["windows"][s.Window] {
			l.rep.errorf(loc.pos("stages", i, "window"), "unknown-window", "wave %q stage %q: window %q is not defined in policy.windows%s (or use \"any\")", w.Name, s.Name, s.Window, l.hint("windows", s.Window))
		}
	}
	if l.schemaErrors || l.partial["waves\x00"+w.Name] {
		return // approval, empty stages and the canary rule judge the whole
	}
	l.checkAuthority(w, fmt.Sprintf("wave %q", w.Name), w.ApprovedBy, loc)

	members := r.StageMembers(w)
	total := 0
	for i, ids := range members {
		total += len(ids)
		if len(ids) == 0 && l.groupsValid(w.Stages[i].Groups) {
			l.rep.errorf(loc.pos("stages", i), "empty-stage", "wave %q stage %q has no assets: groups %s match none that an earlier stage does not already hold",
				w.Name, w.Stages[i].Name, quoteList(w.Stages[i].Groups))
		}
	}
	if c := r.Policy.Canary; c != nil && len(members) > 0 {
		first := len(members[0])
		limit, rule := canaryLimit(c, total)
		if first > limit {
			l.rep.errorf(loc.pos("stages", 0), "canary", "wave %q: first stage %q has %d assets; policy.canary allows at most %d (%s)",
				w.Name, w.Stages[0].Name, first, limit, rule)
		}
	}
}

// groupsValid tells whether all groups exist and decoded, so that an empty
// stage is not reported on top of the reason it is empty.
func (l *loader) groupsValid(groups []string) bool {
	return !slices.ContainsFunc(groups, func(g string) bool { _, ok := l.repo.Groups[g]; return !ok })
}

// canaryLimit is the most assets a first stage may hold in a wave of total.
func canaryLimit(c *Canary, total int) (int, string) {
	limit, rules := total, []string{}
	if c.MaxAssets > 0 {
		limit = min(limit, c.MaxAssets)
		rules = append(rules, fmt.Sprintf("at most %d assets", c.MaxAssets))
	}
	if c.HasPercent {
		n := max(1, Amount{Percent: c.MaxPercent, IsPercent: true}.FloorOf(total))
		limit = min(limit, n)
		rules = append(rules, fmt.Sprintf("%s of the wave's %d assets", Amount{Percent: c.MaxPercent, IsPercent: true}, total))
	}
	return limit, strings.Join(rules, " and ")
}

// checkAuthority requires approval by someone with authority for the
// wave's highest severity; what names the wave or the rollback of it.
func (l *loader) checkAuthority(w *Wave, what string, approvedBy []string, loc locator) {
	sev := l.repo.HighestSeverity(w)
	if sev == "" {
		return
	}
	allowed := l.repo.Policy.Authority[sev]
	if len(allowed) == 0 {
		l.rep.errorf(loc.pos("approved_by"), "missing-authority", "%s has %s patches, but policy.authority.%s names no one who may approve them", what, sev, sev)
		return
	}
	for _, a := range approvedBy {
		if slices.Contains(allowed, a) {
			return
		}
	}
	got := "nobody"
	if len(approvedBy) > 0 {
		got = quoteList(approvedBy)
	}
	l.rep.errorf(loc.pos("approved_by"), "missing-authority", "%s has %s patches and needs approval by one of %s (policy.authority.%s); approved_by has %s",
		what, sev, quoteList(allowed), sev, got)
}

func (l *loader) checkRollback(rb *Rollback) {
	loc := l.loc("rollbacks", rb.Name)
	l.checkName("rollback", rb.Name, loc)
	w, ok := l.repo.Waves[rb.Wave]
	if !l.known["waves"][rb.Wave] {
		l.rep.errorf(loc.pos("wave"), "unknown-wave", "rollback %q: unknown wave %q%s", rb.Name, rb.Wave, l.hint("waves", rb.Wave))
	}
	for i, s := range rb.Stages {
		if ok && !slices.ContainsFunc(w.Stages, func(st *Stage) bool { return st.Name == s }) {
			l.rep.errorf(loc.pos("stages", i), "unknown-stage", "rollback %q: wave %q has no stage %q", rb.Name, rb.Wave, s)
		}
	}
	for i, id := range rb.Assets {
		if _, known := l.repo.Assets[id]; !known {
			l.rep.errorf(loc.pos("assets", i), "unknown-asset", "rollback %q: unknown asset %q%s", rb.Name, id, l.assetHint(id))
		}
	}
	if ok {
		// Putting a wave back is as weighty as rolling it out.
		l.checkAuthority(w, fmt.Sprintf("rollback %q of wave %q", rb.Name, rb.Wave), rb.ApprovedBy, loc)
	}
}
