package render

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/patchwave/patchwave/plan"
)

func act(asset, patch, from, to string) plan.Action {
	return plan.Action{Asset: asset, Patch: patch, Kind: "package", From: from, To: to}
}

func planOf(findings []plan.Finding, waves ...*plan.Wave) *plan.Plan {
	return &plan.Plan{Waves: waves, Findings: findings}
}

func waveOf(name string, stages ...*plan.Stage) *plan.Wave {
	return &plan.Wave{Name: name, Stages: stages}
}

func stageOf(name string, actions ...plan.Action) *plan.Stage {
	return &plan.Stage{Name: name, Status: plan.StatusBlocked, Actions: actions}
}

func TestCompare(t *testing.T) {
	f1 := plan.Finding{Level: plan.LevelWarning, Code: "sla-breach", Asset: "h1", Patch: "P1", Wave: "w", Message: "late"}
	f2 := plan.Finding{Level: plan.LevelWarning, Code: "missing-patch", Patch: "P9", Message: "missing"}
	f3 := plan.Finding{Level: plan.LevelError, Code: "sla-breach", Asset: "h1", Patch: "P1", Wave: "w", Message: "late"} // f1 as an error
	base := planOf([]plan.Finding{f1, f2, f2},
		waveOf("w",
			stageOf("canary", act("h1", "P1", "1", "2"), act("h2", "P1", "1", "2"), act("h3", "P2", "1", "2")),
			stageOf("broad", act("h4", "P1", "1", "2"), act("h6", "P1", "1", "2"))))
	head := planOf([]plan.Finding{f2, f3},
		waveOf("v", stageOf("only", act("h6", "P1", "1", "2"))), // a second wave for h6 and P1
		waveOf("w",
			stageOf("canary", act("h1", "P1", "1", "2"), act("h2", "P1", "1", "3"), act("h4", "P1", "1", "2"), act("h5", "P1", "1", "2")),
			stageOf("broad", act("h6", "P1", "1", "2"))))
	c := Compare(base, head)

	keys := func(list []PlacedAction) []string {
		var out []string
		for _, a := range list {
			out = append(out, a.Action.Asset+" "+a.Action.Patch+" "+a.Wave+"/"+a.Stage)
		}
		return out
	}
	if got, want := strings.Join(keys(c.Added), ","), "h5 P1 w/canary,h6 P1 v/only"; got != want {
		t.Errorf("added = %s, want %s", got, want)
	}
	if got, want := strings.Join(keys(c.Removed), ","), "h3 P2 w/canary"; got != want {
		t.Errorf("removed = %s, want %s", got, want)
	}
	var changed []string
	for _, ch := range c.Changed {
		changed = append(changed, ch.Head.Action.Asset+": "+strings.Join(ch.differences(identity), "; "))
	}
	if got, want := strings.Join(changed, " | "), "h2: to 2 -> 3 | h4: stage w/broad -> w/canary"; got != want {
		t.Errorf("changed = %s, want %s", got, want)
	}
	if len(c.NewFindings) != 1 || c.NewFindings[0] != f3 {
		t.Errorf("new findings = %+v, want the error", c.NewFindings)
	}
	// f1 is gone, and one of the two copies of f2.
	if len(c.ResolvedFindings) != 2 || c.ResolvedFindings[0] != f1 && c.ResolvedFindings[1] != f1 {
		t.Errorf("resolved findings = %+v", c.ResolvedFindings)
	}
	if c.Empty() {
		t.Error("Empty() on a change")
	}
}

func TestCompareSameAndNil(t *testing.T) {
	p := quickstart(t, quickstartTimes["before-window"])
	if c := Compare(p, p); !c.Empty() {
		t.Errorf("a plan against itself: %+v", c)
	}
	c := Compare(nil, p)
	if len(c.Added) != p.Summary.Actions || len(c.NewFindings) != len(p.Findings) || len(c.Removed)+len(c.Changed) != 0 {
		t.Errorf("against nothing: %d added, %d new findings", len(c.Added), len(c.NewFindings))
	}
	if c := Compare(p, nil); len(c.Removed) != p.Summary.Actions || len(c.ResolvedFindings) != len(p.Findings) {
		t.Errorf("to nothing: %d removed", len(c.Removed))
	}
}

// TestCompareQuickstartOverTime: the same repository later moves no
// action, but its findings change (the freeze makes more patches late).
func TestCompareQuickstartOverTime(t *testing.T) {
	c := Compare(quickstart(t, quickstartTimes["before-window"]), quickstart(t, quickstartTimes["freeze"]))
	if len(c.Added)+len(c.Removed)+len(c.Changed) != 0 {
		t.Errorf("actions changed: %+v", c)
	}
	if len(c.NewFindings) == 0 {
		t.Error("no new findings in the freeze")
	}
}

func TestChangeRenderers(t *testing.T) {
	base := planOf(nil, waveOf("w", stageOf("canary", act("h1", "P1", "1", "2"), act("h3", "P2", "1", "2"))))
	head := planOf([]plan.Finding{{Level: plan.LevelError, Code: "sla-breach", Message: "late|really"}},
		waveOf("w", stageOf("canary", act("h1", "P1", "1", "3"), act("h2", "P1", "1", "2"))))
	c := Compare(base, head)

	var txt strings.Builder
	if err := ChangeText(&txt, c, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Against the base: actions: 1 added, 1 removed, 1 changed; findings: 1 new, 0 resolved",
		"  -  h3  P2  w/canary  1 -> 2",
		"  +  h2  P1  w/canary  1 -> 2",
		"  ~  h1  P1  w/canary  to 2 -> 3",
		"  +  error  sla-breach  late|really",
	} {
		if !strings.Contains(txt.String(), want+"\n") {
			t.Errorf("text has no line %q:\n%s", want, txt.String())
		}
	}

	md := render(t, func(w io.Writer, _ *plan.Plan, o Options) error { return ChangeMarkdown(w, c, o) }, nil, Options{})
	checkTables(t, md)
	for _, want := range []string{
		"| actions added | 1 |", "| actions removed | 1 |", "| actions changed | 1 |", "| findings new | 1 |", "| findings resolved | 0 |",
		"| `h2` | `P1` | w | canary | `1` | `2` |", "| `h1` | `P1` | to 2 -\\> 3 |", "- **error** `sla-breach`: late\\|really",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown has no %q:\n%s", want, md)
		}
	}

	// Included in the plan's text with Options.Change.
	out := render(t, Text, head, Options{Change: &c})
	if !strings.Contains(out, "Against the base:") || strings.Index(out, "Against the base:") > strings.Index(out, "Wave w") {
		t.Errorf("Text with Change:\n%s", out)
	}
	var empty strings.Builder
	ChangeText(&empty, Compare(head, head), Options{})
	if !strings.Contains(empty.String(), "no change") {
		t.Errorf("an empty change reads %q", empty.String())
	}
}

// The walk over sorted findings finds what the hash-map path finds,
// duplicates included.
func TestDiffFindingsSortedWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(n int) []plan.Finding {
		var fs []plan.Finding
		for range n {
			fs = append(fs, plan.Finding{Level: []string{"error", "warning"}[rng.IntN(2)], Code: []string{"a", "b"}[rng.IntN(2)],
				Asset: fmt.Sprint("h-", rng.IntN(5)), Patch: fmt.Sprint("p-", rng.IntN(3)), Message: "m"})
		}
		slices.SortFunc(fs, plan.CompareFindings)
		return fs
	}
	for range 200 {
		a, b := gen(rng.IntN(30)), gen(rng.IntN(30))
		walkedA, walkedB := diffFindings(a, b)
		// Reversed inputs are not sorted: the hash-map path.
		ra, rb := slices.Clone(a), slices.Clone(b)
		slices.Reverse(ra)
		slices.Reverse(rb)
		hashedA, hashedB := diffFindings(ra, rb)
		for _, l := range [][]plan.Finding{walkedA, walkedB, hashedA, hashedB} {
			slices.SortFunc(l, plan.CompareFindings)
		}
		if !slices.Equal(walkedA, hashedA) || !slices.Equal(walkedB, hashedB) {
			t.Fatalf("a=%v b=%v: walk %v %v, map %v %v", a, b, walkedA, walkedB, hashedA, hashedB)
		}
	}
}

// Walking stages of both plans at once pairs what matching by asset and
// patch across the whole plans pairs (the path taken when a stage's
// actions are not in asset order).
func TestCompareWalkAgreesWithMatching(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	gen := func() *plan.Plan {
		p := &plan.Plan{}
		for _, wn := range []string{"w1", "w2"}[:1+rng.IntN(2)] {
			w := &plan.Wave{Name: wn}
			for _, sn := range []string{"canary", "broad"} {
				s := &plan.Stage{Name: sn}
				for a := range 8 {
					if rng.IntN(3) == 0 {
						continue
					}
					for _, pid := range []string{"P1", "P2"}[:1+rng.IntN(2)] {
						s.Actions = append(s.Actions, act(fmt.Sprintf("h%d-%s", a, sn[:1+rng.IntN(2)]), pid, "1", fmt.Sprint(1+rng.IntN(2))))
					}
				}
				slices.SortStableFunc(s.Actions, func(x, y plan.Action) int { return strings.Compare(x.Asset, y.Asset) })
				w.Stages = append(w.Stages, s)
			}
			p.Waves = append(p.Waves, w)
		}
		return p
	}
	unsorted := func(p *plan.Plan) *plan.Plan {
		out := &plan.Plan{}
		for _, w := range p.Waves {
			nw := &plan.Wave{Name: w.Name}
			for _, s := range w.Stages {
				ns := &plan.Stage{Name: s.Name, Actions: slices.Clone(s.Actions)}
				slices.Reverse(ns.Actions)
				nw.Stages = append(nw.Stages, ns)
			}
			out.Waves = append(out.Waves, nw)
		}
		return out
	}
	key := func(c Change) string {
		var parts []string
		for _, a := range c.Added {
			parts = append(parts, "+"+fmt.Sprint(a))
		}
		for _, a := range c.Removed {
			parts = append(parts, "-"+fmt.Sprint(a))
		}
		for _, a := range c.Changed {
			parts = append(parts, "~"+fmt.Sprint(a))
		}
		slices.Sort(parts)
		return strings.Join(parts, "\n")
	}
	for range 300 {
		base, head := gen(), gen()
		walked, matched := Compare(base, head), Compare(unsorted(base), unsorted(head))
		if key(walked) != key(matched) {
			t.Fatalf("walk:\n%s\nmatching:\n%s", key(walked), key(matched))
		}
	}
}
