package audit

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/patchwave/patchwave/plan/state"
)

// chain writes n records the way the runner does and returns the files.
func chain(t *testing.T, n int) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	var files []File
	start := time.Date(2026, 11, 26, 21, 0, 0, 0, time.UTC)
	for i := range n {
		seq, prev := Next(files)
		r := &Record{Sequence: seq, Kind: KindStage, Wave: "2026-11-security", Stage: []string{"canary", "pilot", "broad"}[i%3],
			Result: "succeeded", Plan: "sha256:" + strings.Repeat("a", 64), PolicyCommit: strings.Repeat("b", 40), ApprovedBy: []string{"alice"},
			Actor: Actor{Name: "ci-bot", Via: "ci"}, Started: start.Add(time.Duration(i) * 24 * time.Hour), Finished: start.Add(time.Duration(i)*24*time.Hour + time.Hour),
			Assets: []Asset{{ID: "web-02", Result: "succeeded", DurationMS: 1200, After: &state.Observation{Packages: map[string]string{"openssl": "2"}}},
				{ID: "web-01", Result: "succeeded", DurationMS: 900, Before: &state.Observation{Packages: map[string]string{"openssl": "1"}}}},
			Previous: prev}
		data, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		fsys[Path(r)] = &fstest.MapFile{Data: data}
		files = append(files, File{Path: Path(r), Data: data, Record: *r})
	}
	return fsys
}

func TestChainHonest(t *testing.T) {
	t.Parallel()
	fsys := chain(t, 5)
	files, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 5 || files[0].Path != "audit/2026/11/26/000001-2026-11-security-canary.json" || files[4].Record.Sequence != 5 {
		t.Fatalf("files: %d, first %s", len(files), files[0].Path)
	}
	if files[0].Record.Assets[0].ID != "web-01" {
		t.Errorf("assets not in id order: %+v", files[0].Record.Assets)
	}
	if errs := VerifyChain(files); len(errs) != 0 {
		t.Errorf("an honest chain: %v", errs)
	}
	if seq, prev := Next(files); seq != 6 || prev != Digest(files[4].Data) {
		t.Errorf("Next = %d, %s", seq, prev)
	}
	if empty, err := Load(fstest.MapFS{}); err != nil || len(empty) != 0 {
		t.Errorf("no audit/: %v, %d", err, len(empty))
	}
}

func TestChainTampered(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		tamper func(fstest.MapFS)
		want   string
	}{
		"changed": {func(fs fstest.MapFS) {
			p := "audit/2026/11/27/000002-2026-11-security-pilot.json"
			fs[p].Data = []byte(strings.Replace(string(fs[p].Data), `"result": "succeeded"`, `"result": "failed"`, 1))
		}, "000003-2026-11-security-broad.json: previous is"},
		"removed": {func(fs fstest.MapFS) {
			delete(fs, "audit/2026/11/27/000002-2026-11-security-pilot.json")
		}, "sequence 3 where 2 was expected"},
		"moved": {func(fs fstest.MapFS) {
			fs["audit/2026/11/30/000002-2026-11-security-pilot.json"] = fs["audit/2026/11/27/000002-2026-11-security-pilot.json"]
			delete(fs, "audit/2026/11/27/000002-2026-11-security-pilot.json")
		}, "belongs at audit/2026/11/27/000002-2026-11-security-pilot.json"},
	} {
		t.Run(name, func(t *testing.T) {
			fsys := chain(t, 4)
			tc.tamper(fsys)
			files, err := Load(fsys)
			if err != nil {
				t.Fatal(err)
			}
			errs := VerifyChain(files)
			if len(errs) == 0 || !strings.Contains(errors.Join(errs...).Error(), tc.want) {
				t.Errorf("errors %v, want one with %q", errs, tc.want)
			}
		})
	}
}

func TestActorFromEnv(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	gh := ActorFromEnv(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octo", "GITHUB_REPOSITORY": "acme/fleet",
		"GITHUB_RUN_ID": "42", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_TOKEN": "ghs_secret", "GITHUB_WORKFLOW": "apply"}))
	if gh.Name != "octo" || gh.Via != "github-actions" || gh.RunURL != "https://github.com/acme/fleet/actions/runs/42" || strings.Contains(gh.RunURL+gh.Name+gh.Workflow, "secret") {
		t.Errorf("github actor = %+v", gh)
	}
	if a := ActorFromEnv(env(map[string]string{"CI": "true", "USER": "runner"})); a != (Actor{Name: "runner", Via: "ci"}) {
		t.Errorf("ci actor = %+v", a)
	}
	if a := ActorFromEnv(env(nil)); a != (Actor{Name: "unknown", Via: "local"}) {
		t.Errorf("local actor = %+v", a)
	}
}

// Last finds the record Next needs without reading the others.
func TestLastIsNewest(t *testing.T) {
	fsys := chain(t, 12)
	all, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	last, err := Last(fsys)
	if err != nil || len(last) != 1 || last[0].Path != all[11].Path {
		t.Fatalf("Last: %v %v, want %s", err, last, all[11].Path)
	}
	s1, p1 := Next(all)
	s2, p2 := Next(last)
	if s1 != s2 || p1 != p2 {
		t.Errorf("Next after Last is %d %s, after Load %d %s", s2, p2, s1, p1)
	}
	if none, err := Last(fstest.MapFS{}); err != nil || none != nil {
		t.Errorf("Last of no records: %v %v", none, err)
	}
}
