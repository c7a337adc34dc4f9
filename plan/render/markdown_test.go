package render

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/patchwave/patchwave/plan"
)

// checkTables fails when a table in md has a row whose cell count
// differs from its header's, or is not followed by a blank line: what a
// cut table or a stray "|" would look like.
func checkTables(t *testing.T, md string) {
	t.Helper()
	lines := strings.Split(md, "\n")
	cells := func(l string) int {
		return len(strings.Split(strings.ReplaceAll(l, `\|`, ""), "|")) - 2
	}
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|") {
			continue
		}
		want := cells(lines[i])
		if i+1 >= len(lines) || !regexp.MustCompile(`^\|(-+|-+:|:-+)(\|(-+|-+:|:-+))*\|$`).MatchString(lines[i+1]) || cells(lines[i+1]) != want {
			t.Fatalf("line %d: table header without a matching delimiter row:\n%s\n%s", i+1, lines[i], lines[min(i+1, len(lines)-1)])
		}
		j := i + 2
		for ; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
			if got := cells(lines[j]); got != want {
				t.Fatalf("line %d: %d cells, header has %d:\n%s", j+1, got, want, lines[j])
			}
		}
		if j >= len(lines) || lines[j] != "" {
			t.Fatalf("line %d: table not followed by a blank line", j+1)
		}
		i = j
	}
}

// checkCounts fails unless md has the findings table row of every code
// with its error and warning counts, and the total row.
func checkCounts(t *testing.T, md string, p *plan.Plan) {
	t.Helper()
	c := countPlan(p)
	for code, n := range c.byCode {
		row := fmt.Sprintf("| %s | %d | %d |\n", mdText(code), n[0], n[1])
		if !strings.Contains(md, row) {
			t.Errorf("no count row %q", row)
		}
	}
	if row := fmt.Sprintf("| **all** | **%d** | **%d** |\n", c.errors, c.warnings); !strings.Contains(md, row) {
		t.Errorf("no total row %q", row)
	}
}

func TestMarkdownLargePlanFits(t *testing.T) {
	p := synthPlan(100_000, 50_000, 30_000)
	const url = "https://ci.example.com/job/42/artifacts/plan.json"
	var b bytes.Buffer
	if err := Markdown(&b, p, Options{FullPlanURL: url}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if len(md) > DefaultMaxMarkdown || utf8.RuneCountInString(md) > 65000 {
		t.Fatalf("markdown is %d bytes, limit %d", len(md), DefaultMaxMarkdown)
	}
	if !strings.HasPrefix(md, Marker+"\n") {
		t.Error("does not start with the marker")
	}
	checkCounts(t, md, p)
	checkTables(t, md)
	for _, code := range synthCodes {
		if !strings.Contains(md, "| "+mdText(code)+" |") {
			t.Errorf("no count for code %s", code)
		}
	}
	for _, want := range []string{
		"**100000 actions** on **100000 assets**",
		"| critical | 8000 |", "| **all** | **30000** |", // missing counts by severity
		fmt.Sprintf("more findings (see the full plan: %s)", url),
		fmt.Sprintf("more actions (see the full plan: %s)", url),
	} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q", want)
		}
	}
	// It shortened lists rather than dropping the waves.
	if !strings.Contains(md, "<details>") {
		t.Error("wave details dropped; shortening lists should have been enough")
	}
}

func TestMarkdownShrinksStepByStep(t *testing.T) {
	p := synthPlan(600, 300, 2000)
	full := render(t, Markdown, p, Options{MaxMarkdown: 1 << 30})
	if strings.Contains(full, "more actions") || strings.Contains(full, "more findings") {
		t.Fatal("an unlimited rendering shortened a list")
	}
	prev := len(full)
	for _, limit := range []int{len(full), len(full) - 1, 60000, 20000, 8000, 4000, 2500} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			md := render(t, Markdown, p, Options{MaxMarkdown: limit})
			if len(md) > limit {
				t.Fatalf("%d bytes, limit %d", len(md), limit)
			}
			if len(md) > prev {
				t.Errorf("a smaller limit gave a longer comment (%d > %d)", len(md), prev)
			}
			prev = len(md)
			checkCounts(t, md, p)
			checkTables(t, md)
			if limit < len(full) && !strings.Contains(md, "(see the full plan: `"+FullPlanHint+"`)") {
				t.Error("shortened without saying where the full plan is")
			}
			if limit == 2500 && !strings.Contains(md, "_Wave details left out to fit: 600 actions in 2 waves") {
				t.Errorf("at the smallest size the wave details should go:\n%s", md)
			}
		})
	}
}

func TestMarkdownLastResort(t *testing.T) {
	// Thousands of distinct codes: the counts table alone is too big.
	p := &plan.Plan{At: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	for i := range 5000 {
		p.Findings = append(p.Findings, plan.Finding{Level: plan.LevelWarning, Code: fmt.Sprintf("code-%d", i), Message: "m"})
	}
	md := render(t, Markdown, p, Options{MaxMarkdown: 2000})
	if len(md) > 2000 || !strings.HasPrefix(md, Marker) || !strings.Contains(md, "5000 warnings") || !strings.Contains(md, "too large") {
		t.Errorf("last resort note:\n%s", md)
	}
	if err := Markdown(&bytes.Buffer{}, p, Options{MaxMarkdown: 20}); err == nil {
		t.Error("no error when not even the note fits")
	}
}

func TestMarkdownEscapes(t *testing.T) {
	p := &plan.Plan{At: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), Waves: []*plan.Wave{{
		Name: "w<b>", Severity: "high", Reason: "fix *all* the things <!-- hidden",
		Stages: []*plan.Stage{{Name: "a|b", Status: plan.StatusBlocked, Reason: "window x|y closed\nuntil later <!--", Actions: []plan.Action{
			{Asset: "h|1", Patch: "p`1", Kind: "package", From: "1.0~rc1", To: "1.0|2"},
		}}},
	}}, Findings: []plan.Finding{{Level: plan.LevelError, Code: "c|d", Message: "see [link](http://x) and ~strike~ <img src=x>"}}}
	md := render(t, Markdown, p, Options{})
	checkTables(t, md)
	// Escaped means preceded by a backslash, or written as an entity.
	unescaped := func(s string) int { return strings.Count(md, s) - strings.Count(md, `\`+s) }
	if n := unescaped("<!--"); n != 1 {
		t.Errorf("%d HTML comments opened, want only the marker:\n%s", n, md)
	}
	for _, bad := range []string{"<img", "[link](", "w<b>"} {
		if unescaped(bad) > 0 {
			t.Errorf("unescaped %q:\n%s", bad, md)
		}
	}
	for _, want := range []string{"`` p`1 ``", "`1.0~rc1`", `window x\|y closed until later`, `\~strike\~`, "| c\\|d | 1 | 0 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in:\n%s", want, md)
		}
	}
}

func TestMarkdownEmptyPlan(t *testing.T) {
	md := render(t, Markdown, &plan.Plan{At: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}, Options{})
	checkTables(t, md)
	for _, want := range []string{Marker, "No waves.", "| **all** | **0** | **0** |", "| **all** | **0** |"} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in:\n%s", want, md)
		}
	}
}

func TestMarkdownWithChange(t *testing.T) {
	base, head := quickstart(t, quickstartTimes["before-window"]), quickstart(t, quickstartTimes["freeze"])
	c := Compare(base, head)
	md := render(t, Markdown, head, Options{Change: &c})
	checkTables(t, md)
	i, j := strings.Index(md, "### Against the base"), strings.Index(md, "### Findings")
	if i < 0 || j < i {
		t.Fatalf("the change section is missing or after the findings:\n%s", md)
	}
	if !strings.Contains(md, fmt.Sprintf("| findings new | %d |", len(c.NewFindings))) {
		t.Errorf("no count of new findings in:\n%s", md[i:j])
	}
}

func BenchmarkMarkdownLarge(b *testing.B) {
	p := synthPlan(100_000, 50_000, 30_000)
	for b.Loop() {
		if err := Markdown(&bytes.Buffer{}, p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func render(t testing.TB, r func(w io.Writer, p *plan.Plan, opts Options) error, p *plan.Plan, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := r(&b, p, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
