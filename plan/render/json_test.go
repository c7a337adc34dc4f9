package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/plan"
)

// specPlan is exactly the shape SPEC §2 promises scripts; the JSON must
// decode into it with these values.
type specPlan struct {
	FormatVersion int `json:"format_version"`
	Waves         []struct {
		Name   string `json:"name"`
		Stages []struct {
			Name    string `json:"name"`
			Status  string `json:"status"`
			Reason  string `json:"reason"`
			Actions []struct {
				Asset string `json:"asset"`
				Patch string `json:"patch"`
				Kind  string `json:"kind"`
				From  string `json:"from"`
				To    string `json:"to"`
			} `json:"actions"`
		} `json:"stages"`
	} `json:"waves"`
	Findings []struct {
		Level   string `json:"level"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Asset   string `json:"asset"`
		Patch   string `json:"patch"`
		Wave    string `json:"wave"`
	} `json:"findings"`
}

func TestJSONHasSpecShape(t *testing.T) {
	p := quickstart(t, quickstartTimes["before-window"])
	var b bytes.Buffer
	if err := JSON(&b, p, Options{}); err != nil {
		t.Fatal(err)
	}
	var got specPlan
	// Unknown fields allowed: SPEC says more fields may be added.
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.FormatVersion != 1 {
		t.Errorf("format_version = %d, want 1", got.FormatVersion)
	}
	if len(got.Waves) != 1 || got.Waves[0].Name != "2026-11-security" {
		t.Fatalf("waves = %+v, want one wave 2026-11-security", got.Waves)
	}
	stages := got.Waves[0].Stages
	if len(stages) != 3 {
		t.Fatalf("got %d stages, want 3", len(stages))
	}
	canary := stages[0]
	if canary.Name != "canary" || canary.Status != "blocked" || canary.Reason != "window eu-night closed until 2026-11-26 21:00 UTC" {
		t.Errorf("canary = %q %q %q", canary.Name, canary.Status, canary.Reason)
	}
	if len(canary.Actions) != 3 {
		t.Fatalf("canary has %d actions, want 3", len(canary.Actions))
	}
	a := canary.Actions[0]
	if a.Asset != "app-02" || a.Patch != "RHSA-2025:9978" || a.Kind != "package" || a.From != "1.9.5p2-10.el9_3" || a.To != "1.9.5p2-10.el9_6.1" {
		t.Errorf("first canary action = %+v", a)
	}
	img := canary.Actions[2]
	if img.Kind != "image" || !strings.HasPrefix(img.From, "sha256:") {
		t.Errorf("image action = %+v", img)
	}
	for _, s := range stages {
		if s.Status == "" || s.Reason == "" {
			t.Errorf("stage %s: empty status or reason", s.Name)
		}
	}
	if len(got.Findings) == 0 {
		t.Fatal("no findings")
	}
	found := false
	for _, f := range got.Findings {
		if f.Code == "sla-breach" && f.Asset == "mail-01" {
			found = true
			if f.Level != "error" || f.Patch != "RHSA-2025:9978" || f.Wave != "2026-11-security" || f.Message == "" {
				t.Errorf("mail-01 finding = %+v", f)
			}
		}
	}
	if !found || got.Findings[0].Level != "error" {
		t.Errorf("no sla-breach error for mail-01, or errors not first: %+v", got.Findings)
	}
	for _, f := range got.Findings {
		if f.Level != "error" && f.Level != "warning" {
			t.Errorf("finding level %q", f.Level)
		}
	}
}

// TestJSONEmptyListsAreArrays checks that a plan with nothing in it, as
// the model leaves it (nil slices and maps), has [] and {} where scripts
// iterate, never null.
func TestJSONEmptyListsAreArrays(t *testing.T) {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		At:            time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
		Waves: []*plan.Wave{{Name: "w", Stages: []*plan.Stage{
			{Name: "s", Status: plan.StatusDone, Reason: "nothing to patch"},
			{Name: "t", Status: plan.StatusDue, Reason: "due now", Actions: []plan.Action{{Asset: "a", Patch: "p", Kind: "package", From: "1", To: "2"}}},
		}}},
		Missing: []plan.Missing{{Patch: "p", Severity: "low"}},
	}
	var b bytes.Buffer
	if err := JSON(&b, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("null")) {
		t.Errorf("output holds null:\n%s", b.String())
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	isList := func(v any, where string) {
		t.Helper()
		if _, ok := v.([]any); !ok {
			t.Errorf("%s = %#v, want a list", where, v)
		}
	}
	isList(got["findings"], "findings")
	isList(got["missing"], "missing")
	wave := got["waves"].([]any)[0].(map[string]any)
	isList(wave["patches"], "waves[0].patches")
	isList(wave["approved_by"], "waves[0].approved_by")
	stages := wave["stages"].([]any)
	isList(stages[0].(map[string]any)["actions"], "stages[0].actions")
	action := stages[1].(map[string]any)["actions"].([]any)[0].(map[string]any)
	isList(action["changes"], "actions[0].changes")
	isList(got["missing"].([]any)[0].(map[string]any)["assets"], "missing[0].assets")
	summary := got["summary"].(map[string]any)
	for _, k := range []string{"missing", "findings"} {
		if _, ok := summary[k].(map[string]any); !ok {
			t.Errorf("summary.%s = %#v, want an object", k, summary[k])
		}
	}
	// The caller's plan is left as it was.
	if p.Findings != nil || p.Waves[0].Stages[0].Actions != nil {
		t.Error("JSON changed the plan it rendered")
	}
}

func TestJSONTimesInUTC(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	start := time.Date(2026, 11, 26, 22, 0, 0, 0, berlin)
	p := &plan.Plan{At: start, Waves: []*plan.Wave{{Name: "w", Stages: []*plan.Stage{{
		Name: "s", Status: plan.StatusBlocked, Start: start, Until: start,
		WindowOpen: &plan.Occurrence{Start: start, End: start.Add(4 * time.Hour)},
	}}}}}
	var b bytes.Buffer
	if err := JSON(&b, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "+01:00") || !strings.Contains(b.String(), `"start": "2026-11-26T21:00:00Z"`) {
		t.Errorf("times not in UTC:\n%s", b.String())
	}
	if !strings.Contains(b.String(), `"format_version": 1`) {
		t.Error("a zero format version is not written as the current one")
	}
	if strings.Contains(b.String(), `"forecast"`) {
		t.Error("a zero forecast is written; omitzero must still leave it out")
	}
}

// TestJSONRoundTrip checks that the JSON decodes back into the model:
// the saved plan (plan --out) is this JSON.
func TestJSONRoundTrip(t *testing.T) {
	p := quickstart(t, quickstartTimes["in-window"])
	var b bytes.Buffer
	if err := JSON(&b, p, Options{}); err != nil {
		t.Fatal(err)
	}
	var back plan.Plan
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if back.Summary.Actions != p.Summary.Actions || len(back.Findings) != len(p.Findings) ||
		back.Waves[0].Stages[0].Actions[1].Changes[1].Name != "openssl" || !back.At.Equal(p.At) {
		t.Errorf("round trip lost data: %+v", back.Summary)
	}
}
