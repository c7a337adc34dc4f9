package render

import (
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/patchwave/patchwave/plan"
)

// JSON writes the plan as JSON with two-space indentation, in the shape
// of the model's json tags, documented in JSON.md and versioned by
// format_version. Lists are [] and maps {} when empty, never null, and
// times are in UTC, so that scripts need no special cases. Options are
// ignored.
func JSON(w io.Writer, p *plan.Plan, _ Options) error {
	if p == nil {
		return errNilPlan
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Reasons and messages are read by people in CI logs: keep "<" and
	// "&" as they are.
	enc.SetEscapeHTML(false)
	return enc.Encode(normalized(p))
}

// normalized returns a copy of p fit for the stable JSON shape: nil
// lists and maps made empty, times in UTC, and a missing format version
// set to the current one. p is not changed.
func normalized(p *plan.Plan) *plan.Plan {
	out := *p
	if out.FormatVersion == 0 {
		out.FormatVersion = plan.FormatVersion
	}
	out.At = utc(p.At)
	out.Waves = make([]*plan.Wave, 0, len(p.Waves))
	for _, w := range p.Waves {
		if w != nil {
			out.Waves = append(out.Waves, normalWave(w))
		}
	}
	out.Rollbacks = make([]*plan.Rollback, 0, len(p.Rollbacks))
	for _, rb := range p.Rollbacks {
		if rb != nil {
			r := *rb
			r.Stages, r.ApprovedBy, r.Actions = nonNil(rb.Stages), nonNil(rb.ApprovedBy), normalActions(rb.Actions)
			out.Rollbacks = append(out.Rollbacks, &r)
		}
	}
	out.Findings = nonNil(p.Findings)
	out.Missing = make([]plan.Missing, len(p.Missing))
	for i, m := range p.Missing {
		m.Assets = nonNil(m.Assets)
		out.Missing[i] = m
	}
	if out.Summary.Missing == nil {
		out.Summary.Missing = map[string]int{}
	}
	if out.Summary.Findings == nil {
		out.Summary.Findings = map[string]int{}
	}
	out.Inputs.Files = nonNil(p.Inputs.Files)
	out.Inputs.State = nonNil(p.Inputs.State)
	out.Inputs.At = utc(p.Inputs.At)
	return &out
}

func normalWave(w *plan.Wave) *plan.Wave {
	out := *w
	out.Patches = nonNil(w.Patches)
	out.ApprovedBy = nonNil(w.ApprovedBy)
	out.Forecast = utc(w.Forecast)
	out.Exceptions = slices.Clone(w.Exceptions)
	for i := range out.Exceptions {
		out.Exceptions[i].Expires = utc(out.Exceptions[i].Expires)
	}
	out.Stages = make([]*plan.Stage, 0, len(w.Stages))
	for _, s := range w.Stages {
		if s == nil {
			continue
		}
		st := *s
		st.Until, st.Start = utc(s.Until), utc(s.Start)
		if s.WindowOpen != nil {
			st.WindowOpen = &plan.Occurrence{Start: utc(s.WindowOpen.Start), End: utc(s.WindowOpen.End)}
		}
		st.Actions = normalActions(s.Actions)
		out.Stages = append(out.Stages, &st)
	}
	return &out
}

func normalActions(actions []plan.Action) []plan.Action {
	out := make([]plan.Action, len(actions))
	for i, a := range actions {
		a.Changes = nonNil(a.Changes)
		a.Due = utc(a.Due)
		out[i] = a
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// utc keeps zero times zero, so that omitzero still leaves them out.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
