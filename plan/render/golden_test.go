package render

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// quickstartTimes are the moments the golden files show the example at:
// before its first window opens, inside it, while the canary soaks (with
// the canary recorded as done), after the high-severity SLA has passed,
// and in the year-end freeze.
var quickstartTimes = map[string]string{
	"before-window": "2026-11-26T12:00:00Z",
	"in-window":     "2026-11-26T22:30:00Z",
	"soak":          "2026-11-27T10:00:00Z",
	"after-sla":     "2026-12-10T12:00:00Z",
	"freeze":        "2026-12-18T12:00:00Z",
}

// quickstartState is the recorded state the plan at a time starts from;
// times not listed start from none.
var quickstartState = map[string]string{
	"2026-11-27T10:00:00Z": "testdata/state-canary-done",
	"2026-12-10T12:00:00Z": "testdata/state-canary-done",
}

var quickstartCache sync.Map // at -> *plan.Plan

// quickstart computes the plan of examples/quickstart at a time, offline,
// with no recorded state, as dbg_test.go in package plan does. Callers
// must not change the plan.
func quickstart(t testing.TB, at string) *plan.Plan {
	t.Helper()
	if p, ok := quickstartCache.Load(at); ok {
		return p.(*plan.Plan)
	}
	when, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	repo, probs, err := policy.LoadDir(context.Background(), filepath.Join("..", "..", "examples", "quickstart"), policy.Options{Now: when})
	if err != nil || probs.HasErrors() {
		t.Fatalf("loading examples/quickstart: %v %v", err, probs)
	}
	st := &state.State{}
	if dir, ok := quickstartState[at]; ok {
		if st, err = state.Load(os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
	}
	p := plan.Compute(plan.Input{Repo: repo, State: st, At: when, Offline: true})
	quickstartCache.Store(at, p)
	return p
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plan/render -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; if the change is intended, run go test ./plan/render -update and review the diff.\n%s",
			path, unifiedString(string(want), string(got)))
	}
}

// unifiedString diffs two texts line by line with this package's own
// machinery, for readable golden failures.
func unifiedString(want, got string) string {
	split := func(s string) []fleetEntryLine {
		var out []fleetEntryLine
		for _, l := range splitLines(s) {
			out = append(out, fleetEntryLine{line: l}) // one "asset": diff it whole
		}
		return out
	}
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	writeUnified(bw, diffLines(split(want), split(got)), "golden", "output", 3, false)
	bw.Flush()
	return b.String()
}

func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := bytes.IndexByte([]byte(s), '\n') + 1
		if i == 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// maskDigests returns a copy of p whose input file digests are
// placeholders: they change with every edit of a comment in the example,
// which would churn the golden files for nothing a reviewer reads.
func maskDigests(p *plan.Plan) *plan.Plan {
	out := *p
	out.Inputs.Files = nil
	for _, f := range p.Inputs.Files {
		out.Inputs.Files = append(out.Inputs.Files, plan.File{Path: f.Path, SHA256: "(masked in golden files)"})
	}
	return &out
}

func TestGoldenQuickstart(t *testing.T) {
	renderers := []struct {
		ext    string
		render func(*bytes.Buffer, *plan.Plan) error
	}{
		{"txt", func(b *bytes.Buffer, p *plan.Plan) error { return Text(b, p, Options{}) }},
		{"md", func(b *bytes.Buffer, p *plan.Plan) error { return Markdown(b, p, Options{}) }},
		{"json", func(b *bytes.Buffer, p *plan.Plan) error { return JSON(b, maskDigests(p), Options{}) }},
		{"diff", func(b *bytes.Buffer, p *plan.Plan) error { return Diff(b, p, Options{}) }},
	}
	for name, at := range quickstartTimes {
		for _, r := range renderers {
			t.Run(name+"."+r.ext, func(t *testing.T) {
				var b bytes.Buffer
				if err := r.render(&b, quickstart(t, at)); err != nil {
					t.Fatal(err)
				}
				golden(t, "quickstart-"+name+"."+r.ext+".golden", b.Bytes())
			})
		}
	}
}

// TestGoldenQuickstartAgainstBase renders the pull-request view (plan
// --base): the plan in the freeze against the same repository's plan
// before the window, where no action moves but findings do.
func TestGoldenQuickstartAgainstBase(t *testing.T) {
	base, head := quickstart(t, quickstartTimes["before-window"]), quickstart(t, quickstartTimes["freeze"])
	c := Compare(base, head)
	for ext, r := range map[string]func(io.Writer, *plan.Plan, Options) error{"txt": Text, "md": Markdown} {
		t.Run(ext, func(t *testing.T) {
			golden(t, "quickstart-freeze-against-before-window."+ext+".golden", []byte(render(t, r, head, Options{Change: &c})))
		})
	}
}
