//go:build !race

package runner_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/patchwave/patchwave/internal/repogen"
	"github.com/patchwave/patchwave/plan/render"
	"github.com/patchwave/patchwave/runner"
)

// The pull-request comment of a 100k-asset repository stays under the
// 65,000-character limit and still gives every finding count. (Without
// the race detector, which makes 100k assets too slow: test.sh runs it
// separately.)
func TestMarkdown100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100k assets: not in -short")
	}
	dir := t.TempDir()
	if err := repogen.Write(dir, repogen.Options{Assets: 100_000}); err != nil {
		t.Fatal(err)
	}
	p, err := runner.Prepare(t.Context(), runner.Source{FS: os.DirFS(dir)}, runner.PrepareOptions{At: benchAt})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := render.Markdown(&b, p.Plan, render.Options{}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if len(md) > 65000 {
		t.Errorf("markdown is %d bytes, over 65,000", len(md))
	}
	if p.Plan.Summary.Actions < 50_000 || len(p.Plan.Findings) < 1000 {
		t.Fatalf("the generated plan is too small to test the limit: %d actions, %d findings", p.Plan.Summary.Actions, len(p.Plan.Findings))
	}
	counts := map[string][2]int{}
	for _, f := range p.Plan.Findings {
		c := counts[f.Code]
		if f.Level == "error" {
			c[0]++
		} else {
			c[1]++
		}
		counts[f.Code] = c
	}
	for code, c := range counts {
		row := fmt.Sprintf("| %s | %d | %d |", code, c[0], c[1])
		if !strings.Contains(md, row) {
			t.Errorf("markdown lacks the count row %q", row)
		}
	}
	t.Logf("100k assets: %d actions, %d findings, markdown %d bytes", p.Plan.Summary.Actions, len(p.Plan.Findings), len(md))
}
