package render

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/plan"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
const digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

// handPlan has a multi-package action, an image by digest and one by an
// unresolved tag, a done stage (left out), an asset two waves move to
// different versions, and an asset whose intermediate version is both a
// before and an after line (the context line).
func handPlan() *plan.Plan {
	pkg := func(asset, patch string, changes ...plan.Change) plan.Action {
		return plan.Action{Asset: asset, Patch: patch, Kind: "package", Changes: changes}
	}
	return &plan.Plan{At: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), Waves: []*plan.Wave{
		{Name: "a", Stages: []*plan.Stage{
			{Name: "done", Status: plan.StatusDone, Actions: []plan.Action{pkg("zz-old", "P0", plan.Change{Name: "bash", From: "1", To: "2"})}},
			{Name: "canary", Status: plan.StatusDue, Actions: []plan.Action{
				pkg("web-01", "DSA-1", plan.Change{Name: "libssl3", From: "3.0.1", To: "3.0.2"}, plan.Change{Name: "openssl", From: "3.0.1", To: "3.0.2"}),
				pkg("db-01", "DSA-1", plan.Change{Name: "openssl", From: "3.0.1", To: "3.0.2"}),
				pkg("chain-01", "STEP-1", plan.Change{Name: "tool", From: "1", To: "2"}),
				{Asset: "api", Patch: "IMG-1", Kind: "image", Changes: []plan.Change{{Name: "reg.example/api:prod", From: digestA, To: digestB}}},
			}},
		}},
		{Name: "b", Stages: []*plan.Stage{
			{Name: "broad", Status: plan.StatusBlocked, Actions: []plan.Action{
				pkg("db-01", "DSA-2", plan.Change{Name: "openssl", From: "3.0.1", To: "3.0.3"}),
				pkg("chain-01", "STEP-2", plan.Change{Name: "tool", From: "2", To: "3"}),
				{Asset: "web", Patch: "IMG-2", Kind: "image", Changes: []plan.Change{{Name: "reg.example/web:prod@" + digestA, From: digestA, To: "reg.example/web:2.0"}}},
			}},
		}},
	}}
}

func TestDiffHandMade(t *testing.T) {
	got := render(t, Diff, handPlan(), Options{})
	// Asset by asset: each asset's old lines, then its new ones.
	want := `--- fleet before
+++ fleet after
@@ -1,7 +1,8 @@
-api       image    reg.example/api:prod@` + digestA + `
+api       image    reg.example/api:prod@` + digestB + `
-chain-01  tool     1
 chain-01  tool     2
+chain-01  tool     3
-db-01     openssl  3.0.1
+db-01     openssl  3.0.2
+db-01     openssl  3.0.3
-web       image    reg.example/web:prod@` + digestA + `
+web       image    reg.example/web:2.0 (tag not resolved)
-web-01    libssl3  3.0.1
-web-01    openssl  3.0.1
+web-01    libssl3  3.0.2
+web-01    openssl  3.0.2
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, "zz-old") {
		t.Error("a done stage's action is in the diff")
	}
}

func TestDiffEmptyPlan(t *testing.T) {
	if got := render(t, Diff, &plan.Plan{}, Options{}); got != "" {
		t.Errorf("an empty plan gave %q, want nothing", got)
	}
}

func TestDiffColor(t *testing.T) {
	got := render(t, Diff, handPlan(), Options{Color: true})
	for _, want := range []string{ansiRed + "-api", ansiGreen + "+api", ansiCyan + "@@ -1,7 +1,8 @@"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in %q", want, got)
		}
	}
	if strings.Contains(render(t, Diff, handPlan(), Options{}), "\x1b[") {
		t.Error("escape codes without Color")
	}
}

// TestDiffAgreesWithGNU checks the fleet diffs of the quickstart plans,
// and of generated fleets with shared lines, against GNU diffutils: as
// few removed and added lines as diff --minimal finds, and patch(1)
// applies the diff. (diff -u itself may order the lines differently:
// it does not know that lines of different assets never match, and
// often lists all removals of a hunk before all additions.)
func TestDiffAgreesWithGNU(t *testing.T) {
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff(1) installed")
	}
	_, noPatch := exec.LookPath("patch")
	cases := map[string]*plan.Plan{}
	for name, at := range quickstartTimes {
		cases["quickstart-"+name] = quickstart(t, at)
	}
	for seed := range 5 {
		cases[fmt.Sprintf("random-%d", seed)] = randomFleetPlan(uint64(seed), 300)
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			before, after := fleetLines(p)
			dir := t.TempDir()
			write := func(name, text string) string {
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				return path
			}
			join := func(ls []fleetEntryLine) string {
				var b strings.Builder
				for _, l := range ls {
					b.WriteString(l.line)
				}
				return b.String()
			}
			beforePath, afterPath := write("before", join(before)), write("after", join(after))
			gnu, err := exec.Command("diff", "-u", "--minimal", beforePath, afterPath).Output()
			if err != nil && len(gnu) == 0 {
				t.Fatal(err)
			}
			got := render(t, Diff, p, Options{})
			changed := func(d string) (minus, plus int) {
				for _, l := range strings.Split(d, "\n") {
					switch {
					case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"):
					case strings.HasPrefix(l, "-"):
						minus++
					case strings.HasPrefix(l, "+"):
						plus++
					}
				}
				return minus, plus
			}
			gm, gp := changed(string(gnu))
			if m, p := changed(got); m != gm || p != gp {
				t.Errorf("-%d +%d lines, diff --minimal has -%d +%d", m, p, gm, gp)
			}
			if noPatch != nil {
				return
			}
			out := filepath.Join(dir, "patched")
			cmd := exec.Command("patch", "--quiet", "-o", out, beforePath)
			cmd.Stdin = strings.NewReader(got)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("patch: %v\n%s", err, msg)
			}
			if patched, _ := os.ReadFile(out); string(patched) != join(after) {
				t.Errorf("patch gave another after side")
			}
		})
	}
}

// randomFleetPlan has actions whose from and to versions overlap, so
// that lines recur on both sides and hunks have context, and gaps of
// every size between changes.
func randomFleetPlan(seed uint64, assets int) *plan.Plan {
	r := rand.New(rand.NewPCG(seed, 1))
	s := &plan.Stage{Name: "s", Status: plan.StatusDue}
	for i := range assets {
		asset := fmt.Sprintf("host-%04d", i)
		for _, pkg := range []string{"a", "b", "c"} {
			if r.IntN(3) > 0 {
				continue
			}
			from := r.IntN(3)
			to := from + r.IntN(2) // sometimes unchanged: a context line
			s.Actions = append(s.Actions, plan.Action{Asset: asset, Patch: "P", Kind: "package",
				Changes: []plan.Change{{Name: pkg, From: strconv.Itoa(from), To: strconv.Itoa(to)}}})
		}
	}
	return &plan.Plan{Waves: []*plan.Wave{{Name: "w", Stages: []*plan.Stage{s}}}}
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$`)

// applyUnified applies a unified diff to before, checking every context
// and removed line and every hunk's counts.
func applyUnified(t *testing.T, before []string, diff string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		t.Fatalf("no file header: %q", diff)
	}
	var out []string
	pos := 0 // next line of before to copy
	num := func(s string, def int) int {
		if s == "" {
			return def
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	for i := 2; i < len(lines); {
		m := hunkHeader.FindStringSubmatch(lines[i])
		if m == nil {
			t.Fatalf("line %d: want a hunk header, got %q", i+1, lines[i])
		}
		aStart, aLen, bStart, bLen := num(m[1], 0), num(m[2], 1), num(m[3], 0), num(m[4], 1)
		first := aStart - 1
		if aLen == 0 {
			first = aStart
		}
		if first < pos {
			t.Fatalf("hunk %q overlaps the previous one", lines[i])
		}
		out = append(out, before[pos:first]...)
		if bLen > 0 && bStart-1 != len(out) {
			t.Fatalf("hunk %q: new side starts at %d, want %d", lines[i], bStart, len(out)+1)
		}
		pos = first
		gotA, gotB := 0, 0
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "@@"); i++ {
			l := lines[i]
			switch l[0] {
			case ' ', '-':
				if pos >= len(before) || before[pos] != l[1:] {
					t.Fatalf("line %d: %q does not match before line %d", i+1, l, pos+1)
				}
				pos++
				gotA++
				if l[0] == ' ' {
					out = append(out, l[1:])
					gotB++
				}
			case '+':
				out = append(out, l[1:])
				gotB++
			default:
				t.Fatalf("line %d: %q", i+1, l)
			}
		}
		if gotA != aLen || gotB != bLen {
			t.Fatalf("hunk %s counts %d,%d, has %d,%d", m[0], aLen, bLen, gotA, gotB)
		}
	}
	return append(out, before[pos:]...)
}

// TestUnifiedApplies checks that the hunks rebuild the after side from
// the before side, for many shapes of change: context merging, changes
// at both ends, pure insertions and deletions.
func TestUnifiedApplies(t *testing.T) {
	for seed := range 200 {
		r := rand.New(rand.NewPCG(uint64(seed), 2))
		gen := func() []string {
			n := r.IntN(40)
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprint("line ", r.IntN(8))
			}
			return out
		}
		before, after := gen(), gen()
		asLines := func(ls []string) []fleetEntryLine {
			out := make([]fleetEntryLine, len(ls))
			for i, l := range ls {
				out[i] = fleetEntryLine{line: l + "\n"}
			}
			return out
		}
		var b bytes.Buffer
		bw := bufio.NewWriter(&b)
		writeUnified(bw, diffLines(asLines(before), asLines(after)), "before", "after", contextLines, false)
		bw.Flush()
		if b.Len() == 0 {
			if strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Fatalf("seed %d: no diff for different texts", seed)
			}
			continue
		}
		got := applyUnified(t, before, b.String())
		if strings.Join(got, "\n") != strings.Join(after, "\n") {
			t.Fatalf("seed %d: applying\n%s\ngave %q, want %q", seed, b.String(), got, after)
		}
	}
}

// TestDiffLargeIsPerAsset checks that a plan changing every line gives a
// diff read asset by asset, not everything deleted then everything
// added (go-diff's answer when its timeout strikes).
func TestDiffLargeIsPerAsset(t *testing.T) {
	p := synthPlan(20_000, 0, 0)
	out := render(t, Diff, p, Options{})
	before, _ := fleetLines(p)
	got := applyUnified(t, func() []string {
		s := make([]string, len(before))
		for i, l := range before {
			s[i] = strings.TrimSuffix(l.line, "\n")
		}
		return s
	}(), out)
	if len(got) != 40_000 {
		t.Fatalf("after has %d lines, want 40000", len(got))
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[3], "-host-000000 ") || !strings.HasPrefix(lines[5], "+host-000000 ") || !strings.HasPrefix(lines[7], "-host-000001 ") {
		t.Errorf("not asset by asset:\n%s", strings.Join(lines[:9], "\n"))
	}
}

// BenchmarkDiff renders the fleet diff of a plan changing 100,000 lines
// (50,000 actions of two packages each).
func BenchmarkDiff(b *testing.B) {
	p := synthPlan(50_000, 0, 0)
	for b.Loop() {
		if err := Diff(&bytes.Buffer{}, p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
