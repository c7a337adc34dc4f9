package render

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/plan"
)

func TestTextHandMade(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	p := &plan.Plan{At: at, Offline: true, Waves: []*plan.Wave{{
		Name: "w1", Severity: "critical", Emergency: true, Patches: []string{"P1"},
		Stages: []*plan.Stage{{
			Name: "canary", Status: plan.StatusDue, Reason: "due now", Window: "any", Start: at,
			Members: 5, MaxParallel: 2, MaxFailures: 1, Batches: 1, Reboots: 1, Soak: "1h30m0s",
			Actions: []plan.Action{
				{Asset: "h1", Patch: "P1", Kind: "package", From: "1.0", To: "1.1", Reboot: true, Changes: []plan.Change{{Name: "openssl", From: "1.0", To: "1.1"}}},
				{Asset: "longer-host", Patch: "P1", Kind: "package", From: "a 1, b 2", To: "a 3, b 4",
					Changes: []plan.Change{{Name: "a", From: "1", To: "3"}, {Name: "b", From: "2", To: "4"}}},
			},
		}},
	}}, Findings: []plan.Finding{
		{Level: plan.LevelWarning, Code: "w-code", Message: "a warning"},
		{Level: plan.LevelError, Code: "e-code", Message: "an error\nover two lines"},
	}}
	out := render(t, Text, p, Options{})
	for _, want := range []string{
		"patchwave plan as of 2026-11-26 12:00 UTC\n",
		"image tags not resolved (--offline)",
		"Wave w1  severity critical  emergency  not approved\n",
		"  Stage canary  due — due now\n",
		"    members 5  actions 2  max_parallel 2  batches 1  max_failures 1  soak 1h30m  reboots 1\n",
		"    window any; starts 2026-11-26 12:00 UTC\n",
		// Aligned, one per line; several changes by one action keep the
		// action's own from and to.
		"      h1           P1  openssl  1.0       ->  1.1       reboot\n",
		"      longer-host  P1           a 1, b 2  ->  a 3, b 4\n",
		// Errors first, each on one line.
		"Findings: 1 error, 1 warning\n  error    e-code  an error over two lines\n  warning  w-code  a warning\n",
		"Missing patches: none\n",
		"Summary: 2 actions on 2 assets in 1 wave, 1 stage due now, 1 error, 1 warning\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour without Options.Color")
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing blank: %q", l)
		}
	}
	colored := render(t, Text, p, Options{Color: true})
	for _, want := range []string{ansiGreen + "due" + ansiReset, ansiRed + "error" + ansiReset, ansiYellow + "reboot" + ansiReset} {
		if !strings.Contains(colored, want) {
			t.Errorf("no %q with Color", want)
		}
	}
	// Colour does not move columns.
	strip := strings.NewReplacer(ansiReset, "", ansiBold, "", ansiDim, "", ansiRed, "", ansiGreen, "", ansiYellow, "", ansiCyan, "")
	if strip.Replace(colored) != out {
		t.Errorf("coloured text differs from plain text once colours are removed:\n%s", unifiedString(out, strip.Replace(colored)))
	}
}

// TestCountsMatchSummary checks that what the views count agrees with the
// planner's own Summary.
func TestCountsMatchSummary(t *testing.T) {
	for name, at := range quickstartTimes {
		p := quickstart(t, at)
		c := countPlan(p)
		s := p.Summary
		if c.actions != s.Actions || c.assets != s.Assets || c.errors != s.Errors || c.warnings != s.Warnings || c.dueStages != s.DueStages {
			t.Errorf("%s: counted %+v, summary %+v", name, c, s)
		}
		byCode := map[string]int{}
		for code, n := range c.byCode {
			byCode[code] = n[0] + n[1]
		}
		if !maps.Equal(byCode, s.Findings) || !maps.Equal(c.missing, s.Missing) {
			t.Errorf("%s: counted %v %v, summary %v %v", name, byCode, c.missing, s.Findings, s.Missing)
		}
	}
}

func TestNilPlan(t *testing.T) {
	for name, r := range map[string]func(io.Writer, *plan.Plan, Options) error{"Text": Text, "JSON": JSON, "Markdown": Markdown, "Diff": Diff} {
		if err := r(&bytes.Buffer{}, nil, Options{}); !errors.Is(err, errNilPlan) {
			t.Errorf("%s(nil) = %v", name, err)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	p := quickstart(t, quickstartTimes["in-window"])
	for name, r := range map[string]func(io.Writer, *plan.Plan, Options) error{"Text": Text, "JSON": JSON, "Markdown": Markdown, "Diff": Diff} {
		if err := r(failWriter{}, p, Options{}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error %v, want the writer's", name, err)
		}
	}
}

func TestDuration(t *testing.T) {
	// As the policy writes durations: whole days in days.
	for in, want := range map[string]string{"24h0m0s": "1d", "48h": "2d", "1h30m0s": "1h30m", "0s": "0s", "90s": "1m30s", "": "-", "7d": "7d", "2m0s": "2m", "soon": "soon"} {
		if got := duration(in); got != want {
			t.Errorf("duration(%q) = %q, want %q", in, got, want)
		}
	}
}
