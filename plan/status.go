package plan

import (
	"fmt"
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
	// Rollbacks are the reviewed rollbacks and those recorded in state
	// (break-glass ones too), by name.
	Rollbacks []RollbackStatus `json:"rollbacks,omitempty"`
}

// RollbackStatus is where a rollback and each of its assets stand.
type RollbackStatus struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"` // "rollback" | "break-glass"
	Wave   string   `json:"wave"`
	Stages []string `json:"stages"`
	Status string   `json:"status"`
	Reason string   `json:"reason"`
	// Counts and Assets as for a stage: rolled-back, failed, pending.
	Counts map[string]int `json:"counts"`
	Assets []AssetStatus  `json:"assets"`
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
	out.Rollbacks = rollbackStatus(p, st)
	return out
}

func rollbackStatus(p *Plan, st *state.State) []RollbackStatus {
	byName := map[string]*RollbackStatus{}
	for _, rb := range p.Rollbacks {
		rs := &RollbackStatus{Name: rb.Name, Kind: state.KindRollback, Wave: rb.Wave, Stages: rb.Stages, Status: rb.Status, Reason: rb.StatusReason,
			Assets: []AssetStatus{}}
		for i, a := range rb.Actions {
			if i == 0 || a.Asset != rb.Actions[i-1].Asset {
				rs.Assets = append(rs.Assets, AssetStatus{ID: a.Asset, Status: AssetPending})
			}
		}
		byName[rb.Name] = rs
	}
	if st != nil {
		for name, rec := range st.Rollbacks {
			rs := byName[name]
			if rs == nil {
				rs = &RollbackStatus{Name: name, Wave: rec.Wave, Stages: rec.Stages, Status: rec.Status,
					Reason: fmt.Sprintf("%s at %s; see %s", rec.Status, stamp(rec.Finished), last(rec.Records))}
				byName[name] = rs
			}
			rs.Kind = rec.Kind
			if rec.Status == state.RollbackRunning {
				continue // the plan's pending assets say more
			}
			rs.Assets = []AssetStatus{}
			for _, id := range policy.SortedKeys(rec.Assets) {
				as := AssetStatus{ID: id, Status: rec.Assets[id].Result, Error: rec.Assets[id].Error}
				rs.Assets = append(rs.Assets, as)
			}
		}
	}
	var out []RollbackStatus
	for _, name := range policy.SortedKeys(byName) {
		rs := byName[name]
		rs.Counts = map[string]int{}
		for _, a := range rs.Assets {
			rs.Counts[a.Status]++
		}
		out = append(out, *rs)
	}
	return out
}

func recordOf(rec *state.Stage, id string) *state.Asset {
	if rec == nil {
		return nil
	}
	return rec.Assets[id]
}
