package state

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// FormatVersion is the version of the state files this package writes.
const FormatVersion = 1

// Dir is the folder of the state in a policy repository.
const Dir = "state"

// Stage statuses, as SPEC §2 names them for plans.
const (
	Running    = "running"
	Succeeded  = "done"
	Failed     = "failed"
	Halted     = "halted"
	RolledBack = "rolled-back"
)

// State is everything recorded under state/.
type State struct {
	// Stages by wave, then stage name.
	Waves map[string]map[string]*Stage
	// Rollbacks by name: reviewed ones (policy rollbacks) and break-glass
	// ones (patchwave rollback).
	Rollbacks map[string]*Rollback
	// Files lists the state files read, with their digests, for plans to
	// name their inputs.
	Files []File
}

// File is one state file read.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Stage is the record of one stage of a wave.
type Stage struct {
	FormatVersion int       `json:"format_version"`
	Wave          string    `json:"wave"`
	Stage         string    `json:"stage"`
	Status        string    `json:"status"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished,omitzero"`
	// Plan is the digest of the plan that was executed.
	Plan string `json:"plan,omitempty"`
	// Records lists the audit records of this stage's runs.
	Records []string `json:"records,omitempty"`
	// Assets holds what happened to each asset of the stage.
	Assets map[string]*Asset `json:"assets"`
}

// Asset is what a stage did to one asset.
type Asset struct {
	Result string `json:"result"` // "pending" | "succeeded" | "failed" | "rolled-back" | "skipped"
	// Before is what the asset ran before it was changed: the rollback
	// state, recorded before the change starts.
	Before *Observation `json:"before,omitempty"`
	// After is what it ran when the stage was done with it.
	After *Observation `json:"after,omitempty"`
	Error string       `json:"error,omitempty"`
	At    time.Time    `json:"at,omitzero"`
	// Reboot says what became of a reboot the stage asked for: "done", or
	// why not ("required: ..." when the driver cannot reboot).
	Reboot string `json:"reboot,omitempty"`
}

// Observation is what a driver observed on an asset, in the shape of the
// exec driver's answer (SPEC §3).
type Observation struct {
	Packages map[string]string `json:"packages,omitempty"`
	Digest   string            `json:"digest,omitempty"`
}

// Rollback statuses.
const (
	RollbackRunning = "running"
	RollbackDone    = "done"
	RollbackFailed  = "failed"
)

// Rollback is the record of one rollback: it puts the assets of some
// stages of a wave back to what they ran before the wave (their Before).
type Rollback struct {
	FormatVersion int    `json:"format_version"`
	Name          string `json:"name"`
	// Kind is "rollback" (reviewed, from policy rollbacks) or
	// "break-glass" (patchwave rollback).
	Kind     string    `json:"kind"`
	Wave     string    `json:"wave"`
	Stages   []string  `json:"stages"`
	Reason   string    `json:"reason"`
	Status   string    `json:"status"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Records  []string  `json:"records,omitempty"`
	// Assets holds each asset put back: Before is what it ran when the
	// rollback started, After what it runs after.
	Assets map[string]*Asset `json:"assets"`
}

// Rollback kinds.
const (
	KindRollback   = "rollback"    // reviewed: a policy rollback, applied by apply
	KindBreakGlass = "break-glass" // patchwave rollback, without review
)

// Changed returns the assets that the given stages of a wave changed (or
// began to change) and have not been put back, each with what it ran
// before: the rollback state. An asset in several of the stages gets the
// Before of the earliest.
func (s *State) Changed(wave string, stages []string) map[string]*Observation {
	out := map[string]*Observation{}
	if s == nil {
		return out
	}
	for _, name := range stages {
		rec := s.Stage(wave, name)
		if rec == nil {
			continue
		}
		for id, a := range rec.Assets {
			if _, seen := out[id]; !seen && a.Before != nil && a.Result != "rolled-back" {
				out[id] = a.Before
			}
		}
	}
	return out
}

// RollbackPath is where a rollback's record lives in the repository.
func RollbackPath(name string) string {
	return path.Join(Dir, "rollbacks", name+".json")
}

// RollbackRecord returns the record of a rollback, or nil.
func (s *State) RollbackRecord(name string) *Rollback {
	if s == nil {
		return nil
	}
	return s.Rollbacks[name]
}

// Stage returns the record of a stage, or nil.
func (s *State) Stage(wave, stage string) *Stage {
	if s == nil {
		return nil
	}
	return s.Waves[wave][stage]
}

// Observed returns the latest observation of an asset that any stage
// recorded, and when: it is newer than the inventory, which a scan
// updates later.
func (s *State) Observed(asset string) (*Observation, time.Time) {
	if s == nil {
		return nil, time.Time{}
	}
	var best *Observation
	var at time.Time
	for _, stages := range s.Waves {
		for _, st := range stages {
			if a, ok := st.Assets[asset]; ok && a.After != nil && a.At.After(at) {
				best, at = a.After, a.At
			}
		}
	}
	return best, at
}

// StagePath is where a stage's record lives in the repository.
func StagePath(wave, stage string) string {
	return path.Join(Dir, "waves", wave, stage+".json")
}

// Load reads state/ from a repository. A repository without state/ has an
// empty state.
func Load(fsys fs.FS) (*State, error) {
	s := &State{Waves: map[string]map[string]*Stage{}, Rollbacks: map[string]*Rollback{}}
	err := readAll(fsys, path.Join(Dir, "waves"), s, func(p string, data []byte) error {
		var st Stage
		if err := decode(p, data, &st, &st.FormatVersion); err != nil {
			return err
		}
		if want := StagePath(st.Wave, st.Stage); want != p {
			return fmt.Errorf("reading %q: it records wave %q stage %q, which belong in %q", p, st.Wave, st.Stage, want)
		}
		if s.Waves[st.Wave] == nil {
			s.Waves[st.Wave] = map[string]*Stage{}
		}
		s.Waves[st.Wave][st.Stage] = &st
		return nil
	})
	if err == nil {
		err = readAll(fsys, path.Join(Dir, "rollbacks"), s, func(p string, data []byte) error {
			var rb Rollback
			if err := decode(p, data, &rb, &rb.FormatVersion); err != nil {
				return err
			}
			if want := RollbackPath(rb.Name); want != p {
				return fmt.Errorf("reading %q: it records rollback %q, which belongs in %q", p, rb.Name, want)
			}
			s.Rollbacks[rb.Name] = &rb
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("loading recorded state: %w", err)
	}
	slices.SortFunc(s.Files, func(a, b File) int { return cmp.Compare(a.Path, b.Path) })
	return s, nil
}

// readAll calls fn with every JSON file under dir, and lists each in
// s.Files. A missing dir holds nothing.
func readAll(fsys fs.FS, dir string, s *State, fn func(p string, data []byte) error) error {
	return fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("reading %q: %w", p, err)
		}
		if err := fn(p, data); err != nil {
			return err
		}
		s.Files = append(s.Files, File{Path: p, SHA256: sha256Hex(data)})
		return nil
	})
}

// decode reads one state file into v, whose format version is at version.
func decode(p string, data []byte, v any, version *int) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("reading %q: %w", p, err)
	}
	if *version != FormatVersion {
		return fmt.Errorf("reading %q: format_version %d, this patchwave reads %d", p, *version, FormatVersion)
	}
	return nil
}

// Marshal encodes a stage record the way it is stored: indented, with
// sorted keys, so that diffs in git stay small and readable.
func Marshal(st *Stage) ([]byte, error) {
	st.FormatVersion = FormatVersion
	return encode(st, fmt.Sprintf("wave %q stage %q", st.Wave, st.Stage))
}

// MarshalRollback encodes a rollback record the way it is stored.
func MarshalRollback(rb *Rollback) ([]byte, error) {
	rb.FormatVersion = FormatVersion
	return encode(rb, fmt.Sprintf("rollback %q", rb.Name))
}

func encode(v any, what string) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding state of %s: %w", what, err)
	}
	return append(data, '\n'), nil
}
