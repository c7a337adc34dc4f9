package render

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/patchwave/patchwave/plan"
)

// contextLines is how many unchanged lines a hunk shows around changes,
// as diff -u does.
const contextLines = 3

// batchLines is about how many lines go through one DiffLinesToChars
// call. go-diff codes each distinct line as one character, which caps
// a call at about 1.1 million distinct lines; batches keep far below it.
const batchLines = 4096

// Diff writes the fleet state before and after the plan as a unified
// diff ("--- fleet before", "+++ fleet after", hunks with 3 lines of
// context). The state is one line per asset and package
// ("asset  package  version") or image ("asset  image  ref@digest"),
// sorted, taken from the changes of the actions of stages not done: the
// from side before, the to side after. Assets without actions do not
// appear, since the plan does not hold them. When two waves move the
// same package of an asset to different versions, both after lines
// appear. An empty plan writes nothing, as diff does for equal files.
//
// The diff is go-diff in line mode, asset by asset: lines of different
// assets never match, so this finds as few changed lines as diffing the
// whole documents would, reads asset by asset, and costs linear time,
// where one Myers run over a plan that changes every line is quadratic
// (go-diff would instead stop at its timeout and delete and re-insert
// everything in one block).
func Diff(w io.Writer, p *plan.Plan, opts Options) error {
	if p == nil {
		return errNilPlan
	}
	before, after := fleetLines(p)
	ops := diffLines(before, after)
	bw := bufio.NewWriter(w)
	writeUnified(bw, ops, "fleet before", "fleet after", contextLines, painter(opts.Color))
	return bw.Flush()
}

// fleetEntry is one line of the fleet state.
type fleetEntry struct{ asset, name, value string }

func compareEntry(a, b fleetEntry) int {
	return cmp.Or(cmp.Compare(a.asset, b.asset), cmp.Compare(a.name, b.name), cmp.Compare(a.value, b.value))
}

// fleetLines renders the fleet state before and after the plan, sorted
// by asset, then package, then version, each line ending in "\n", in
// columns aligned across both sides so that equal states read equal.
func fleetLines(p *plan.Plan) (before, after []fleetEntryLine) {
	n := 0
	eachAction(p, func(a *plan.Action) { n += max(len(a.Changes), 1) })
	b, a := make([]fleetEntry, 0, n), make([]fleetEntry, 0, n)
	eachAction(p, func(act *plan.Action) {
		changes := act.Changes
		if len(changes) == 0 { // a hand-made plan: the summary is all there is
			changes = []plan.Change{{Name: act.Patch, From: act.From, To: act.To}}
		}
		asset := oneLine(act.Asset) // a newline would split a line in two
		for _, ch := range changes {
			ch.Name, ch.From, ch.To = oneLine(ch.Name), oneLine(ch.From), oneLine(ch.To)
			if act.Kind == "image" {
				ref, _, _ := strings.Cut(ch.Name, "@")
				b = append(b, fleetEntry{asset, "image", imageValue(ref, ch.From)})
				a = append(a, fleetEntry{asset, "image", imageValue(ref, ch.To)})
				continue
			}
			b = append(b, fleetEntry{asset, ch.Name, ch.From})
			a = append(a, fleetEntry{asset, ch.Name, ch.To})
		}
	})
	slices.SortFunc(b, compareEntry)
	slices.SortFunc(a, compareEntry)
	b, a = slices.Compact(b), slices.Compact(a)
	wa, wn := 0, 0
	for _, es := range [][]fleetEntry{b, a} {
		for _, e := range es {
			wa, wn = max(wa, utf8.RuneCountInString(e.asset)), max(wn, utf8.RuneCountInString(e.name))
		}
	}
	format := func(es []fleetEntry) []fleetEntryLine {
		out := make([]fleetEntryLine, len(es))
		var buf []byte
		for i, e := range es {
			buf = append(buf[:0], e.asset...)
			buf = appendSpaces(buf, wa-utf8.RuneCountInString(e.asset)+2)
			buf = append(buf, e.name...)
			buf = appendSpaces(buf, wn-utf8.RuneCountInString(e.name)+2)
			buf = append(buf, e.value...)
			buf = append(buf, '\n')
			out[i] = fleetEntryLine{asset: e.asset, line: string(buf)}
		}
		return out
	}
	return format(b), format(a)
}

// eachAction calls fn for every action of the stages not done, then of
// the rollbacks due or running.
func eachAction(p *plan.Plan, fn func(*plan.Action)) {
	defer func() {
		for _, rb := range p.Rollbacks {
			if rb != nil && (rb.Status == plan.StatusDue || rb.Status == plan.StatusRunning) {
				for i := range rb.Actions {
					fn(&rb.Actions[i])
				}
			}
		}
	}()
	for _, w := range p.Waves {
		if w == nil {
			continue
		}
		for _, s := range w.Stages {
			if s == nil || s.Status == plan.StatusDone {
				continue
			}
			for i := range s.Actions {
				fn(&s.Actions[i])
			}
		}
	}
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// fleetEntryLine is a rendered line and the asset it belongs to, which
// is where diffLines may cut the documents.
type fleetEntryLine struct{ asset, line string }

// imageValue is "ref@digest", or, for a tag that was not resolved
// (--offline), the tag the asset will run.
func imageValue(ref, target string) string {
	if isDigest(target) {
		return ref + "@" + target
	}
	return target + " (tag not resolved)"
}

// lineOp is one line of a diff: ' ' kept, '-' removed, '+' added.
type lineOp struct {
	op   byte
	line string
}

// diffLines diffs two sorted fleet states with go-diff in line mode
// (DiffLinesToChars, DiffMain without checklines, DiffCharsToLines),
// one asset at a time, batching assets into one line table per
// batchLines lines.
func diffLines(before, after []fleetEntryLine) []lineOp {
	dmp := diffmatchpatch.New()
	// Exact, never the timeout's delete-everything fallback: per-asset
	// inputs are small enough for the full algorithm.
	dmp.DiffTimeout = 0
	ops := make([]lineOp, 0, len(before)+len(after))
	type span struct{ n1, n2 int } // lines of one asset on each side
	var (
		spans        []span
		text1, text2 strings.Builder
		lines        int // in the batch, both sides
	)
	flushBatch := func() {
		if len(spans) == 0 {
			return
		}
		c1, c2, table := dmp.DiffLinesToChars(text1.String(), text2.String())
		r1, r2 := []rune(c1), []rune(c2)
		var diffs []diffmatchpatch.Diff
		for _, s := range spans {
			diffs = append(diffs, dmp.DiffMainRunes(r1[:s.n1], r2[:s.n2], false)...)
			r1, r2 = r1[s.n1:], r2[s.n2:]
		}
		for _, d := range dmp.DiffCharsToLines(diffs, table) {
			op := byte(' ')
			switch d.Type {
			case diffmatchpatch.DiffDelete:
				op = '-'
			case diffmatchpatch.DiffInsert:
				op = '+'
			}
			for rest := d.Text; rest != ""; {
				k := strings.IndexByte(rest, '\n') + 1
				if k == 0 {
					k = len(rest)
				}
				ops = append(ops, lineOp{op, rest[:k]})
				rest = rest[k:]
			}
		}
		spans, lines = spans[:0], 0
		text1.Reset()
		text2.Reset()
	}
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		// The next asset in sort order, from either side.
		var nextAsset string
		switch {
		case i == len(before):
			nextAsset = after[j].asset
		case j == len(after):
			nextAsset = before[i].asset
		default:
			nextAsset = min(before[i].asset, after[j].asset)
		}
		bCount, aCount := 0, 0
		for i < len(before) && before[i].asset == nextAsset {
			text1.WriteString(before[i].line)
			i, bCount = i+1, bCount+1
		}
		for j < len(after) && after[j].asset == nextAsset {
			text2.WriteString(after[j].line)
			j, aCount = j+1, aCount+1
		}
		spans = append(spans, span{bCount, aCount})
		if lines += bCount + aCount; lines >= batchLines {
			flushBatch()
		}
	}
	flushBatch()
	return ops
}

// writeUnified writes ops as a unified diff with ctx lines of context.
// Hunk ranges follow diff -u: "start,count", the count left out when it
// is 1, and the start naming the line before when the count is 0.
func writeUnified(w *bufio.Writer, ops []lineOp, from, to string, ctx int, pt painter) {
	var changes []int
	for k, o := range ops {
		if o.op != ' ' {
			changes = append(changes, k)
		}
	}
	if len(changes) == 0 {
		return
	}
	fmt.Fprintln(w, pt.paint(ansiBold, "--- "+from))
	fmt.Fprintln(w, pt.paint(ansiBold, "+++ "+to))
	aLine, bLine, pos := 0, 0, 0 // lines of each side before ops[pos]
	advance := func(to int) {
		for ; pos < to; pos++ {
			if ops[pos].op != '+' {
				aLine++
			}
			if ops[pos].op != '-' {
				bLine++
			}
		}
	}
	for h := 0; h < len(changes); {
		first, last := changes[h], changes[h]
		for h++; h < len(changes) && changes[h]-last-1 <= 2*ctx; h++ {
			last = changes[h]
		}
		start, end := max(first-ctx, 0), min(last+ctx+1, len(ops))
		advance(start)
		aStart, bStart := aLine, bLine
		aLen, bLen := 0, 0
		for _, o := range ops[start:end] {
			if o.op != '+' {
				aLen++
			}
			if o.op != '-' {
				bLen++
			}
		}
		fmt.Fprintln(w, pt.paint(ansiCyan, fmt.Sprintf("@@ -%s +%s @@", hunkRange(aStart, aLen), hunkRange(bStart, bLen))))
		for _, o := range ops[start:end] {
			color := ""
			switch o.op {
			case '-':
				color = ansiRed
			case '+':
				color = ansiGreen
			}
			if pt && color != "" {
				w.WriteString(color)
				w.WriteByte(o.op)
				w.WriteString(strings.TrimSuffix(o.line, "\n"))
				w.WriteString(ansiReset + "\n")
				continue
			}
			w.WriteByte(o.op)
			w.WriteString(o.line)
		}
		advance(end)
	}
}

// hunkRange formats one side of a hunk header; linesBefore is how many
// lines of that side come before the hunk.
func hunkRange(linesBefore, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", linesBefore)
	case 1:
		return fmt.Sprint(linesBefore + 1)
	}
	return fmt.Sprintf("%d,%d", linesBefore+1, n)
}
