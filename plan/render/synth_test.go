package render

import (
	"fmt"
	"time"

	"github.com/patchwave/patchwave/plan"
)

var synthCodes = []string{"sla-breach", "missing-patch", "double-scheduled", "exception-expires", "bad-version", "unknown-version-order"}

// synthPlan builds a plan with the given numbers of actions (over 2
// waves of 3 stages, two packages changed per action), findings (over
// synthCodes, every third an error) and missing (asset, patch) pairs.
func synthPlan(actions, findings, missing int) *plan.Plan {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	p := &plan.Plan{FormatVersion: plan.FormatVersion, At: at}
	stageNames := []string{"canary", "pilot", "broad"}
	perStage := actions / 6
	n := 0
	for wi := range 2 {
		w := &plan.Wave{Name: fmt.Sprintf("2026-11-wave-%d", wi), Severity: "high", Patches: []string{"P-1", "P-2"}, ApprovedBy: []string{"alice"}}
		for si, name := range stageNames {
			s := &plan.Stage{Name: name, Status: plan.StatusBlocked, Reason: "blocked by a closed window", Window: "any",
				Start: at.Add(time.Duration(si) * 24 * time.Hour), Until: at.Add(time.Duration(si) * 24 * time.Hour), Soak: "24h0m0s"}
			count := perStage
			if wi == 1 && si == 2 {
				count = actions - n // the rest
			}
			for range count {
				asset := fmt.Sprintf("host-%06d", n)
				s.Actions = append(s.Actions, plan.Action{Asset: asset, Patch: w.Patches[n%2], Kind: "package",
					From: "libssl3 3.0.17-1~deb12u2, openssl 3.0.17-1~deb12u2", To: "libssl3 3.0.17-1~deb12u3, openssl 3.0.17-1~deb12u3",
					Changes: []plan.Change{{Name: "libssl3", From: "3.0.17-1~deb12u2", To: "3.0.17-1~deb12u3"}, {Name: "openssl", From: "3.0.17-1~deb12u2", To: "3.0.17-1~deb12u3"}}})
				n++
			}
			s.Members = len(s.Actions)
			w.Stages = append(w.Stages, s)
		}
		p.Waves = append(p.Waves, w)
	}
	for i := range findings {
		level := plan.LevelWarning
		if i%3 == 0 {
			level = plan.LevelError
		}
		code := synthCodes[i%len(synthCodes)]
		p.Findings = append(p.Findings, plan.Finding{Level: level, Code: code, Asset: fmt.Sprintf("host-%06d", i), Patch: "P-1", Wave: "2026-11-wave-0",
			Message: fmt.Sprintf("%s on asset \"host-%06d\": something a reviewer must read, at some length", code, i)})
	}
	for i := 0; i < missing; i += 1000 {
		m := plan.Missing{Patch: fmt.Sprintf("M-%d", i/1000), Severity: []string{"critical", "high", "medium", "low"}[(i/1000)%4]}
		for j := i; j < min(i+1000, missing); j++ {
			m.Assets = append(m.Assets, fmt.Sprintf("host-%06d", j))
		}
		p.Missing = append(p.Missing, m)
	}
	return p
}
