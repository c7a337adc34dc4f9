package state_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchwave/patchwave/plan/state"
)

func TestLoadAndMarshal(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 21, 0, 0, 0, time.UTC)
	canary := &state.Stage{Wave: "w", Stage: "canary", Status: state.Succeeded, Started: at, Finished: at.Add(time.Hour),
		Assets: map[string]*state.Asset{
			"h1": {Result: "succeeded", Before: &state.Observation{Packages: map[string]string{"openssl": "1"}},
				After: &state.Observation{Packages: map[string]string{"openssl": "2"}}, At: at.Add(10 * time.Minute)},
		}}
	pilot := &state.Stage{Wave: "w", Stage: "pilot", Status: state.Running, Started: at.Add(48 * time.Hour),
		Assets: map[string]*state.Asset{
			"h1": {Result: "succeeded", After: &state.Observation{Packages: map[string]string{"openssl": "3"}}, At: at.Add(49 * time.Hour)},
			"h2": {Result: "pending"},
		}}
	fsys := fstest.MapFS{}
	for _, st := range []*state.Stage{canary, pilot} {
		data, err := state.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		fsys[state.StagePath(st.Wave, st.Stage)] = &fstest.MapFile{Data: data}
	}
	s, err := state.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Stage("w", "canary"); got == nil || got.Status != state.Succeeded || !got.Finished.Equal(at.Add(time.Hour)) || got.Assets["h1"].Before.Packages["openssl"] != "1" {
		t.Errorf("canary = %+v", got)
	}
	if s.Stage("w", "broad") != nil || s.Stage("x", "canary") != nil {
		t.Error("a stage that was never recorded")
	}
	// The latest observation wins: pilot saw h1 after canary did.
	if obs, when := s.Observed("h1"); obs == nil || obs.Packages["openssl"] != "3" || !when.Equal(at.Add(49*time.Hour)) {
		t.Errorf("Observed(h1) = %+v at %v", obs, when)
	}
	if obs, _ := s.Observed("h2"); obs != nil {
		t.Errorf("Observed(h2) = %+v, want none", obs)
	}
	if len(s.Files) != 2 || s.Files[0].Path != "state/waves/w/canary.json" || len(s.Files[0].SHA256) != 64 {
		t.Errorf("files = %+v", s.Files)
	}
}

func TestLoadEmptyAndBroken(t *testing.T) {
	t.Parallel()
	if s, err := state.Load(fstest.MapFS{"policy.cue": {Data: []byte("x: 1")}}); err != nil || len(s.Waves) != 0 {
		t.Errorf("a repository without state/: %v, %+v", err, s)
	}
	var nilState *state.State
	if nilState.Stage("w", "s") != nil {
		t.Error("nil state has a stage")
	}
	for name, tc := range map[string]struct{ path, data, want string }{
		"bad json":     {"state/waves/w/s.json", `{`, "unexpected end"},
		"newer format": {"state/waves/w/s.json", `{"format_version": 2, "wave": "w", "stage": "s"}`, "format_version 2"},
		"misplaced":    {"state/waves/w/s.json", `{"format_version": 1, "wave": "w", "stage": "other"}`, `belong in "state/waves/w/other.json"`},
	} {
		_, err := state.Load(fstest.MapFS{tc.path: {Data: []byte(tc.data)}})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: err = %v, want %q naming %s", name, err, tc.want, tc.path)
		}
	}
}
