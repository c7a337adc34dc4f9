package render

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/patchwave/patchwave/plan"
)

// Change is how a head plan differs from a base plan: what a pull
// request does to the rollout (plan --base REF).
type Change struct {
	// Added holds actions of head that base does not have, Removed the
	// reverse.
	Added, Removed []PlacedAction
	// Changed holds actions for the same asset and patch that differ in
	// from, to, reboot, wave or stage.
	Changed []ChangedAction
	// NewFindings holds findings of head that base does not have;
	// ResolvedFindings the reverse. Findings match on level, code, asset,
	// patch, wave and message.
	NewFindings, ResolvedFindings []plan.Finding
}

// PlacedAction is an action and where the plan puts it.
type PlacedAction struct {
	Wave, Stage string
	Action      plan.Action
}

// ChangedAction is one asset and patch in both plans, differently.
type ChangedAction struct {
	Base, Head PlacedAction
}

// Empty reports whether the two plans do the same and find the same.
func (c Change) Empty() bool {
	return len(c.Added)+len(c.Removed)+len(c.Changed)+len(c.NewFindings)+len(c.ResolvedFindings) == 0
}

// Compare returns how head differs from base. Actions match on asset and
// patch; when a plan has several for one asset and patch (two waves
// scheduling the same patch), those in the same wave pair first. Either
// plan may be nil, meaning empty.
func Compare(base, head *plan.Plan) Change {
	var c Change
	// The findings are compared beside the actions, on the second core.
	findingsDone := make(chan struct{})
	go func() {
		defer close(findingsDone)
		c.NewFindings, c.ResolvedFindings = diffFindings(findingsOf(head), findingsOf(base))
	}()
	pair := func(x, y PlacedAction) {
		if x.Wave != y.Wave || x.Stage != y.Stage || x.Action.From != y.Action.From || x.Action.To != y.Action.To ||
			x.Action.Reboot != y.Action.Reboot || x.Action.Kind != y.Action.Kind {
			c.Changed = append(c.Changed, ChangedAction{Base: x, Head: y})
		}
	}
	restB, restH := walkStages(base, head, pair)
	b, h := byAssetPatch(restB), byAssetPatch(restH)
	match := func(bs, hs []PlacedAction) {
		if len(bs) == 1 && len(hs) == 1 { // the common case, without the bookkeeping
			pair(bs[0], hs[0])
			return
		}
		used := make([]bool, len(bs))
		var unpaired []PlacedAction
	head:
		for _, y := range hs {
			for i, x := range bs {
				if !used[i] && x.Wave == y.Wave {
					used[i] = true
					pair(x, y)
					continue head
				}
			}
			unpaired = append(unpaired, y)
		}
		for i, x := range bs {
			if used[i] {
				continue
			}
			if len(unpaired) > 0 {
				pair(x, unpaired[0])
				unpaired = unpaired[1:]
				continue
			}
			c.Removed = append(c.Removed, x)
		}
		c.Added = append(c.Added, unpaired...)
	}
	for k, bs := range b {
		match(bs, h[k])
	}
	for k, hs := range h {
		if _, ok := b[k]; !ok {
			c.Added = append(c.Added, hs...)
		}
	}
	slices.SortFunc(c.Added, comparePlaced)
	slices.SortFunc(c.Removed, comparePlaced)
	slices.SortFunc(c.Changed, func(x, y ChangedAction) int { return comparePlaced(x.Head, y.Head) })
	<-findingsDone
	return c
}

// walkStages pairs the actions that both plans place in the same wave and
// stage, for the same asset and patch, walking each such stage of both
// plans at once (a stage's actions come asset by asset, in id order),
// and returns the actions left unpaired, for matching across stages and
// waves. A wave both plans share (plan.Input.Reuse) has the same actions
// on both sides: it is left out.
func walkStages(base, head *plan.Plan, pair func(x, y PlacedAction)) (restB, restH []PlacedAction) {
	var bw, hw []*plan.Wave
	if base != nil {
		bw = base.Waves
	}
	if head != nil {
		hw = head.Waves
	}
	shared := map[*plan.Wave]bool{}
	for _, w := range bw {
		if slices.Contains(hw, w) {
			shared[w] = true
		}
	}
	stagesOf := func(waves []*plan.Wave) map[[2]string]*plan.Stage {
		out := map[[2]string]*plan.Stage{}
		for _, w := range waves {
			if w == nil || shared[w] {
				continue
			}
			for _, s := range w.Stages {
				if s != nil {
					out[[2]string{w.Name, s.Name}] = s
				}
			}
		}
		return out
	}
	bs, hs := stagesOf(bw), stagesOf(hw)
	all := func(k [2]string, s *plan.Stage, into *[]PlacedAction) {
		for _, a := range s.Actions {
			*into = append(*into, PlacedAction{Wave: k[0], Stage: k[1], Action: a})
		}
	}
	for k, x := range bs {
		y, ok := hs[k]
		if !ok {
			all(k, x, &restB)
			continue
		}
		if !plan.SortedByAsset(x.Actions) || !plan.SortedByAsset(y.Actions) {
			all(k, x, &restB)
			all(k, y, &restH)
			continue
		}
		i, j := 0, 0
		for i < len(x.Actions) || j < len(y.Actions) {
			switch {
			case j == len(y.Actions) || (i < len(x.Actions) && x.Actions[i].Asset < y.Actions[j].Asset):
				restB = append(restB, PlacedAction{Wave: k[0], Stage: k[1], Action: x.Actions[i]})
				i++
			case i == len(x.Actions) || y.Actions[j].Asset < x.Actions[i].Asset:
				restH = append(restH, PlacedAction{Wave: k[0], Stage: k[1], Action: y.Actions[j]})
				j++
			default: // one asset's run of actions on each side: pair by patch
				ie, je := runEnd(x.Actions, i), runEnd(y.Actions, j)
				used := make([]bool, je-j)
			base:
				for _, a := range x.Actions[i:ie] {
					for n, b := range y.Actions[j:je] {
						if !used[n] && a.Patch == b.Patch {
							used[n] = true
							pair(PlacedAction{Wave: k[0], Stage: k[1], Action: a}, PlacedAction{Wave: k[0], Stage: k[1], Action: b})
							continue base
						}
					}
					restB = append(restB, PlacedAction{Wave: k[0], Stage: k[1], Action: a})
				}
				for n, b := range y.Actions[j:je] {
					if !used[n] {
						restH = append(restH, PlacedAction{Wave: k[0], Stage: k[1], Action: b})
					}
				}
				i, j = ie, je
			}
		}
	}
	for k, y := range hs {
		if _, ok := bs[k]; !ok {
			all(k, y, &restH)
		}
	}
	restB = append(restB, rollbackActions(base)...)
	restH = append(restH, rollbackActions(head)...)
	return restB, restH
}

// runEnd is where the run of actions for the asset at i ends.
func runEnd(actions []plan.Action, i int) int {
	j := i + 1
	for j < len(actions) && actions[j].Asset == actions[i].Asset {
		j++
	}
	return j
}

func rollbackActions(p *plan.Plan) []PlacedAction {
	if p == nil {
		return nil
	}
	var out []PlacedAction
	for _, rb := range p.Rollbacks {
		if rb == nil {
			continue
		}
		for _, a := range rb.Actions {
			out = append(out, PlacedAction{Wave: rb.Wave, Stage: "rollback " + rb.Name, Action: a})
		}
	}
	return out
}

// byAssetPatch groups actions by asset and patch, in order.
func byAssetPatch(actions []PlacedAction) map[[2]string][]PlacedAction {
	out := make(map[[2]string][]PlacedAction, len(actions))
	for _, a := range actions {
		k := [2]string{a.Action.Asset, a.Action.Patch}
		out[k] = append(out[k], a)
	}
	return out
}

func comparePlaced(x, y PlacedAction) int {
	return cmp.Or(cmp.Compare(x.Action.Asset, y.Action.Asset), cmp.Compare(x.Action.Patch, y.Action.Patch),
		cmp.Compare(x.Wave, y.Wave), cmp.Compare(x.Stage, y.Stage))
}

func findingsOf(p *plan.Plan) []plan.Finding {
	if p == nil {
		return nil
	}
	return p.Findings
}

// diffFindings returns the findings of a that b lacks and those of b
// that a lacks, counting duplicates, each in its plan's order.
func diffFindings(a, b []plan.Finding) (onlyA, onlyB []plan.Finding) {
	if len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0]) {
		return nil, nil // the same findings: a plan that reused the other's
	}
	if !slices.IsSortedFunc(a, plan.CompareFindings) || !slices.IsSortedFunc(b, plan.CompareFindings) {
		return findingsNotIn(a, b), findingsNotIn(b, a)
	}
	// Plans keep their findings in this order, which uses every field:
	// walk both at once instead of hashing tens of thousands of findings.
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		order := 0
		switch {
		case j == len(b):
			order = -1
		case i == len(a):
			order = 1
		default:
			order = plan.CompareFindings(a[i], b[j])
		}
		switch {
		case order < 0:
			onlyA = append(onlyA, a[i])
			i++
		case order > 0:
			onlyB = append(onlyB, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return onlyA, onlyB
}

// findingsNotIn returns the findings of a that b lacks, counting
// duplicates, in a's order (errors first), for findings in no order.
func findingsNotIn(a, b []plan.Finding) []plan.Finding {
	have := map[plan.Finding]int{}
	for _, f := range b {
		have[f]++
	}
	var out []plan.Finding
	for _, f := range a {
		if have[f] > 0 {
			have[f]--
			continue
		}
		out = append(out, f)
	}
	return sortedFindings(out)
}

// ChangeText writes how a plan changed against its base, for a terminal.
func ChangeText(w io.Writer, c Change, opts Options) error {
	bw := bufio.NewWriter(w)
	writeChangeText(bw, c, painter(opts.Color))
	return bw.Flush()
}

func (c Change) headline() string {
	return fmt.Sprintf("%d added, %d removed, %d changed; findings: %d new, %d resolved",
		len(c.Added), len(c.Removed), len(c.Changed), len(c.NewFindings), len(c.ResolvedFindings))
}

func writeChangeText(w io.Writer, c Change, pt painter) {
	if c.Empty() {
		fmt.Fprintf(w, "%s no change to actions or findings\n", pt.paint(ansiBold, "Against the base:"))
		return
	}
	fmt.Fprintf(w, "%s actions: %s\n", pt.paint(ansiBold, "Against the base:"), c.headline())
	t := table{indent: "  "}
	for _, a := range c.Removed {
		t.add(cell{"-", ansiRed}, plain(a.Action.Asset), plain(a.Action.Patch), plain(a.Wave+"/"+a.Stage),
			plain(shortDigest(a.Action.From)+" -> "+shortDigest(a.Action.To)))
	}
	for _, a := range c.Added {
		t.add(cell{"+", ansiGreen}, plain(a.Action.Asset), plain(a.Action.Patch), plain(a.Wave+"/"+a.Stage),
			plain(shortDigest(a.Action.From)+" -> "+shortDigest(a.Action.To)))
	}
	for _, ch := range c.Changed {
		t.add(cell{"~", ansiYellow}, plain(ch.Head.Action.Asset), plain(ch.Head.Action.Patch), plain(ch.Head.Wave+"/"+ch.Head.Stage),
			plain(strings.Join(ch.differences(shortDigest), "; ")))
	}
	t.write(w, pt)
	if len(c.NewFindings)+len(c.ResolvedFindings) > 0 {
		f := table{indent: "  "}
		for _, x := range c.NewFindings {
			f.add(cell{"+", ansiGreen}, cell{x.Level, levelColor(x.Level, 1)}, plain(x.Code), plain(oneLine(x.Message)))
		}
		for _, x := range c.ResolvedFindings {
			f.add(cell{"-", ansiRed}, cell{x.Level, levelColor(x.Level, 1)}, plain(x.Code), plain(oneLine(x.Message)))
		}
		fmt.Fprintln(w, "  findings (+ new, - resolved):")
		f.write(w, pt)
	}
}

// differences reads what changed between the two actions, each part as
// "what: before -> after".
func (ch ChangedAction) differences(show func(string) string) []string {
	b, h := ch.Base, ch.Head
	var out []string
	if b.Wave != h.Wave || b.Stage != h.Stage {
		out = append(out, fmt.Sprintf("stage %s/%s -> %s/%s", b.Wave, b.Stage, h.Wave, h.Stage))
	}
	if b.Action.From != h.Action.From {
		out = append(out, fmt.Sprintf("from %s -> %s", show(b.Action.From), show(h.Action.From)))
	}
	if b.Action.To != h.Action.To {
		out = append(out, fmt.Sprintf("to %s -> %s", show(b.Action.To), show(h.Action.To)))
	}
	if b.Action.Kind != h.Action.Kind {
		out = append(out, fmt.Sprintf("kind %s -> %s", b.Action.Kind, h.Action.Kind))
	}
	if b.Action.Reboot != h.Action.Reboot {
		out = append(out, fmt.Sprintf("reboot %t -> %t", b.Action.Reboot, h.Action.Reboot))
	}
	return out
}
