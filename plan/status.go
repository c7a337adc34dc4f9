package plan

import (
	"time"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
)

// Asset standings in a Status.
const (
	AssetDone       = "done"        // the stage changed it and it succeeded
	AssetPending    = "pending"     // the plan still has actions for it
	AssetFailed     = "failed"      // the stage's change failed
	AssetRolledBack = "rolled-back" // put back to what it ran before
	AssetUpToDate   = "up-to-date"  // nothing to do: already at every target
)

// Status is where each wave, stage and asset stands (patchwave status).
type Status struct {
	FormatVersion int          `json:"format_version"`
	At            time.Time    `json:"at"`
	Waves         []WaveStatus `json:"waves"`
}

// WaveStatus is where a wave's stages stand.
type WaveStatus struct {
	Name   string        `json:"name"`
	Stages []StageStatus `json:"stages"`
}

// StageStatus is where a stage and each of its assets stand.
type StageStatus struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Reason string `json:"reason"`
	// Counts holds how many assets stand where.
	Counts map[string]int `json:"counts"`
	Assets []AssetStatus  `json:"assets"`
}

// AssetStatus is where one asset of a stage stands.
type AssetStatus struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// StatusOf derives the status from a plan, the repository it was computed
// from and the recorded state.
func StatusOf(repo *policy.Repository, p *Plan, st *state.State) Status {
	out := Status{FormatVersion: FormatVersion, At: p.At, Waves: []WaveStatus{}}
	for _, wp := range p.Waves {
		w := repo.Waves[wp.Name]
		if w == nil {
			continue
		}
		members := repo.StageMembers(w)
		ws := WaveStatus{Name: wp.Name, Stages: []StageStatus{}}
		for i, sp := range wp.Stages {
			pending := map[string]bool{}
			for _, a := range sp.Actions {
				pending[a.Asset] = true
			}
			rec := st.Stage(wp.Name, sp.Name)
			ss := StageStatus{Name: sp.Name, Status: sp.Status, Reason: sp.Reason, Counts: map[string]int{}, Assets: []AssetStatus{}}
			for _, id := range members[i] {
				as := AssetStatus{ID: id, Status: AssetUpToDate}
				switch r := recordOf(rec, id); {
				case r != nil && r.Result == "succeeded":
					as.Status = AssetDone
				case r != nil && r.Result == "failed":
					as.Status, as.Error = AssetFailed, r.Error
				case r != nil && r.Result == "rolled-back":
					as.Status = AssetRolledBack
				case pending[id]:
					as.Status = AssetPending
				}
				ss.Counts[as.Status]++
				ss.Assets = append(ss.Assets, as)
			}
			ws.Stages = append(ws.Stages, ss)
		}
		out.Waves = append(out.Waves, ws)
	}
	return out
}

func recordOf(rec *state.Stage, id string) *state.Asset {
	if rec == nil {
		return nil
	}
	return rec.Assets[id]
}
