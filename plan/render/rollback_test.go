package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/plan"
)

// rollbackPlan is a plan with one wave done and a rollback of it due.
func rollbackPlan() *plan.Plan {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p := &plan.Plan{FormatVersion: plan.FormatVersion, At: at,
		Waves: []*plan.Wave{{Name: "2026-11-security", Severity: "high", Patches: []string{"DSA-6015-1"}, ApprovedBy: []string{"alice"},
			Stages: []*plan.Stage{{Name: "pilot", Status: plan.StatusDone, Reason: "done at 2026-11-30 22:00 UTC", Window: "any"}}}},
		Rollbacks: []*plan.Rollback{{Name: "pilot-back", Wave: "2026-11-security", Stages: []string{"pilot"}, Reason: "TLS handshakes fail",
			ApprovedBy: []string{"bob"}, Status: plan.StatusDue, StatusReason: "due now: a rollback does not wait for windows, freezes or soak",
			Actions: []plan.Action{{Asset: "web-01", Patch: "DSA-6015-1", Kind: "package", From: "3.0.17-1~deb12u3", To: "3.0.17-1~deb12u2",
				Changes: []plan.Change{{Name: "openssl", From: "3.0.17-1~deb12u3", To: "3.0.17-1~deb12u2"}}}}}},
	}
	p.Summary = plan.Summarize(p)
	return p
}

func TestRollbackRendered(t *testing.T) {
	p := rollbackPlan()
	if p.Summary.Actions != 1 || p.Summary.DueRollbacks != 1 || !p.HasChanges() {
		t.Errorf("summary %+v: a due rollback is a change", p.Summary)
	}
	render := func(f func(*bytes.Buffer) error) string {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	text := render(func(b *bytes.Buffer) error { return Text(b, p, Options{}) })
	md := render(func(b *bytes.Buffer) error { return Markdown(b, p, Options{}) })
	diff := render(func(b *bytes.Buffer) error { return Diff(b, p, Options{}) })
	js := render(func(b *bytes.Buffer) error { return JSON(b, p, Options{}) })
	for name, c := range map[string]struct{ got, want string }{
		"text":     {text, "Rollback pilot-back  of wave 2026-11-security, stages pilot  due — due now"},
		"text row": {text, "web-01  DSA-6015-1  openssl  3.0.17-1~deb12u3  ->  3.0.17-1~deb12u2"},
		"markdown": {md, "| `pilot-back` | `2026-11-security` | pilot | due | 1 | bob | TLS handshakes fail |"},
		"md row":   {md, "| `web-01` | `DSA-6015-1` | `openssl` | `3.0.17-1~deb12u3` | `3.0.17-1~deb12u2` |  |"},
		"headline": {md, "· **1 rollback due**"},
		"text sum": {text, "0 errors, 0 warnings, 1 rollback due"},
		"diff -":   {diff, "-web-01  openssl  3.0.17-1~deb12u3"},
		"diff +":   {diff, "+web-01  openssl  3.0.17-1~deb12u2"},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%s lacks %q:\n%s", name, c.want, c.got)
		}
	}
	var back struct {
		Rollbacks []plan.Rollback `json:"rollbacks"`
	}
	if err := json.Unmarshal([]byte(js), &back); err != nil || len(back.Rollbacks) != 1 || back.Rollbacks[0].Actions[0].To != "3.0.17-1~deb12u2" {
		t.Errorf("json: %v %s", err, js)
	}
	// --base: a pull request that adds the rollback shows its action added.
	base := rollbackPlan()
	base.Rollbacks = nil
	c := Compare(base, p)
	if len(c.Added) != 1 || c.Added[0].Stage != "rollback pilot-back" {
		t.Errorf("compare: %+v", c)
	}
}
