package render

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/policy"
)

// DefaultMaxMarkdown is the size Markdown keeps to when Options.MaxMarkdown
// is zero: under GitHub's limit of 65536 characters for a comment, with
// room for a bot to add a line.
const DefaultMaxMarkdown = 65000

// Marker opens every Markdown rendering, so that a CI bot can find the
// comment it posted earlier and update it instead of adding another.
const Marker = "<!-- patchwave-plan -->"

// FullPlanHint is where a capped list points readers when
// Options.FullPlanURL is empty.
const FullPlanHint = "patchwave plan --format json"

// errNilPlan is returned by every renderer given a nil plan.
var errNilPlan = errors.New("render: nil plan")

// Options are the options of every renderer; each reads the fields it
// needs and ignores the rest.
type Options struct {
	// Color adds ANSI colours to Text and Diff. Off by default: the
	// caller decides whether the output is a terminal.
	Color bool
	// FullPlanURL is where Markdown sends readers when it had to shorten
	// a list to fit, for example the CI job's artifact holding the JSON
	// plan. Empty means: tell them to run FullPlanHint.
	FullPlanURL string
	// MaxMarkdown is the most bytes Markdown may write (0 means
	// DefaultMaxMarkdown). Bytes bound characters however a forge counts
	// them.
	MaxMarkdown int
	// Change, when set, adds how the plan differs from the base plan
	// (plan --base) to Text and Markdown, before the plan itself.
	Change *Change
}

func (o Options) maxMarkdown() int {
	if o.MaxMarkdown > 0 {
		return o.MaxMarkdown
	}
	return DefaultMaxMarkdown
}

// stamp formats a time the way the planner's messages do, in UTC, so
// that tables and reasons read alike.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// span formats a window occurrence, leaving out the end date when it is
// the start date.
func span(o *plan.Occurrence) string {
	s, e := o.Start.UTC(), o.End.UTC()
	if s.Format(time.DateOnly) == e.Format(time.DateOnly) {
		return s.Format("2006-01-02 15:04") + " – " + e.Format("15:04 UTC")
	}
	return s.Format("2006-01-02 15:04") + " – " + e.Format("2006-01-02 15:04 UTC")
}

// duration writes a duration the way the policy does (policy.FormatDuration:
// "24h0m0s" -> "1d"); other strings pass unchanged.
func duration(s string) string {
	if s == "" {
		return "-"
	}
	d, err := policy.ParseDuration(s)
	if err != nil {
		return s
	}
	return policy.FormatDuration(d)
}

// plural writes "1 action" or "2 actions".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// severityRank orders severities from the most to the least urgent;
// unknown ones go last, in name order.
func severityRank(s string) int {
	switch s {
	case "critical":
		return 0
	case "high":
		return 1
	case "medium":
		return 2
	case "low":
		return 3
	}
	return 4
}

func compareSeverity(a, b string) int {
	return cmp.Or(cmp.Compare(severityRank(a), severityRank(b)), cmp.Compare(a, b))
}

func levelRank(l string) int {
	if l == plan.LevelError {
		return 0
	}
	return 1
}

// counts are the numbers every view shows. They are derived from the
// plan's lists rather than read from p.Summary, so that what a view
// counts is what it lists.
type counts struct {
	actions, assets, waves, stages, dueStages int
	dueRollbacks                              int
	errors, warnings                          int
	// byCode holds, per finding code, [errors, warnings].
	byCode  map[string][2]int
	missing map[string]int // assets per severity
	pairs   int            // (asset, patch) pairs missing
}

func countPlan(p *plan.Plan) counts {
	sum := plan.Summarize(p)
	c := counts{actions: sum.Actions, assets: sum.Assets, dueStages: sum.DueStages, dueRollbacks: sum.DueRollbacks, errors: sum.Errors, warnings: sum.Warnings,
		missing: sum.Missing, byCode: map[string][2]int{}, waves: len(p.Waves)}
	for _, w := range p.Waves {
		if w != nil {
			c.stages += len(w.Stages)
		}
	}
	for _, f := range p.Findings {
		n := c.byCode[f.Code]
		if f.Level == plan.LevelError {
			n[0]++
		} else {
			n[1]++
		}
		c.byCode[f.Code] = n
	}
	for _, n := range c.missing {
		c.pairs += n
	}
	return c
}

func (c counts) codes() []string { return slices.Sorted(maps.Keys(c.byCode)) }

func (c counts) severities() []string {
	return slices.SortedFunc(maps.Keys(c.missing), compareSeverity)
}

// missingCounts reads "critical 1, high 3".
func (c counts) missingCounts() string {
	var parts []string
	for _, s := range c.severities() {
		parts = append(parts, fmt.Sprintf("%s %d", s, c.missing[s]))
	}
	return strings.Join(parts, ", ")
}

// sortedFindings returns the findings errors first, keeping the
// planner's order otherwise.
func sortedFindings(fs []plan.Finding) []plan.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b plan.Finding) int { return cmp.Compare(levelRank(a.Level), levelRank(b.Level)) })
	return out
}

// what names what an action changes: the package names when all its
// changes go from one version to one version (libssl3 and openssl
// together), else the single package or image reference.
func what(a plan.Action) (name, from, to string) {
	if len(a.Changes) == 0 {
		return "", a.From, a.To
	}
	names := make([]string, len(a.Changes))
	for i, ch := range a.Changes {
		names[i] = ch.Name
		if ch.From != a.Changes[0].From || ch.To != a.Changes[0].To {
			return "", a.From, a.To
		}
	}
	return strings.Join(names, ", "), a.Changes[0].From, a.Changes[0].To
}

// isDigest reports whether s reads as a content digest ("sha256:..."),
// rather than an image tag that was not resolved.
func isDigest(s string) bool {
	alg, hex, ok := strings.Cut(s, ":")
	return ok && alg != "" && len(hex) >= 32 && !strings.ContainsAny(s, "/@")
}

// shortDigest abbreviates a digest to 12 hex digits for terminals, the
// way docker does; anything else passes unchanged.
func shortDigest(s string) string {
	if !isDigest(s) {
		return s
	}
	alg, hex, _ := strings.Cut(s, ":")
	return alg + ":" + hex[:12] + "…"
}
