package report_test

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/runner/audit/report"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// memoryHistory commits the quickstart's hosts and then the given state
// files, each commit at its time, to a repository in memory, in the
// folder dir ("" for the top).
func memoryHistory(t *testing.T, dir string, commits ...map[string]*state.Stage) *git.Repository {
	t.Helper()
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range []string{"policy.cue", "groups.cue", "patches.cue", "waves/2026-11-security.cue", "assets/hosts.cue"} {
		data, err := os.ReadFile(filepath.Join(quickstart, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		files[path.Join(dir, f)] = data
	}
	store := gitstore.NewStore(repo)
	who := object.Signature{Name: "t", Email: "t@example.com", When: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	head, err := store.Commit(context.Background(), gitstore.CommitRequest{Branch: "main", Files: files, Message: "fleet", Author: who})
	if err != nil {
		t.Fatal(err)
	}
	for _, stages := range commits {
		files := map[string][]byte{}
		for _, st := range stages {
			data, err := state.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			files[path.Join(dir, state.StagePath(st.Wave, st.Stage))] = data
			who.When = st.Finished
		}
		if head, err = store.Commit(context.Background(), gitstore.CommitRequest{Branch: "main", Parent: head, Files: files, Message: "state", Author: who}); err != nil {
			t.Fatal(err)
		}
	}
	return repo
}

func obs(pkgs ...string) *state.Observation {
	o := &state.Observation{Packages: map[string]string{}}
	for i := 0; i+1 < len(pkgs); i += 2 {
		o.Packages[pkgs[i]] = pkgs[i+1]
	}
	return o
}

func statuses(t *testing.T, repo *git.Repository, at time.Time) map[string]report.AssetRow {
	t.Helper()
	r, err := report.Compute(context.Background(), report.Options{Repo: repo, Branch: "main", At: at})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]report.AssetRow{}
	for _, a := range r.Assets {
		out[a.Asset+" "+a.Patch] = a
	}
	return out
}

// The cases the quickstart history does not reach, on state files written
// by hand.
func TestClassifyEdgeCases(t *testing.T) {
	t.Parallel()
	canaryAt := time.Date(2026, 11, 26, 22, 30, 0, 0, time.UTC)
	sudoOld, sudoNew := obs("sudo", "1.9.5p2-10.el9_3"), obs("sudo", "1.9.5p2-10.el9_6.1")
	repo := memoryHistory(t, "", map[string]*state.Stage{
		// The canary changed app-02 and then put it back (on_failure:
		// rollback): "rolled-back" is not installed.
		"canary": {Wave: "2026-11-security", Stage: "canary", Status: state.RolledBack, Started: canaryAt, Finished: canaryAt,
			Assets: map[string]*state.Asset{"app-02": {Result: "rolled-back", Before: sudoOld, After: sudoOld, At: canaryAt}}},
		// A wave whose file was removed after it ran: lb-01's openssl
		// went from u2 to u3 (the inventory was since rescanned, and
		// says u3): installed by that wave.
		"old": {Wave: "2026-10-old", Stage: "all", Status: state.Succeeded, Started: canaryAt, Finished: canaryAt,
			Assets: map[string]*state.Asset{
				"lb-01":  {Result: "succeeded", Before: obs("openssl", "3.0.17-1~deb12u2", "libssl3", "3.0.17-1~deb12u2"), After: obs("openssl", "3.0.17-1~deb12u3", "libssl3", "3.0.17-1~deb12u3"), At: canaryAt},
				"app-01": {Result: "succeeded", Before: sudoOld, After: sudoNew, At: canaryAt},
			}},
	})
	got := statuses(t, repo, canaryAt.Add(time.Hour))
	for key, want := range map[string]string{
		"app-02 RHSA-2025:9978": report.Overdue,
		"lb-01 DSA-6015-1":      report.WithinSLA,
		"app-01 RHSA-2025:9978": report.Late,
		"erp-01 RHSA-2025:9978": report.Excepted,
	} {
		if got[key].Status != want {
			t.Errorf("%s: %+v, want %s", key, got[key], want)
		}
	}
	if row := got["lb-01 DSA-6015-1"]; row.Wave != "2026-10-old" || row.Stage != "all" || !row.InstalledAt.Equal(canaryAt) {
		t.Errorf("lb-01: %+v", row)
	}

	// After the exception expires (2027-09-30), erp-01 is overdue.
	got = statuses(t, repo, time.Date(2027, 10, 1, 0, 0, 0, 0, time.UTC))
	if row := got["erp-01 RHSA-2025:9978"]; row.Status != report.Overdue || row.Exception != nil {
		t.Errorf("erp-01 after its exception: %+v", row)
	}
	// As of before the state commit, nothing is installed.
	got = statuses(t, repo, canaryAt.Add(-time.Minute))
	if row := got["app-01 RHSA-2025:9978"]; row.Status != report.Overdue {
		t.Errorf("app-01 before the stage: %+v", row)
	}
	if _, ok := got["lb-01 DSA-6015-1"]; ok {
		t.Errorf("lb-01 is in the report before the stage that patched it: %+v", got["lb-01 DSA-6015-1"])
	}
}

// A policy folder inside the repository (--dir fleet): policy and state
// are read from there.
func TestComputeInFolder(t *testing.T) {
	t.Parallel()
	canaryAt := time.Date(2026, 11, 26, 22, 30, 0, 0, time.UTC)
	repo := memoryHistory(t, "fleet", map[string]*state.Stage{
		"canary": {Wave: "2026-11-security", Stage: "canary", Status: state.Succeeded, Started: canaryAt, Finished: canaryAt,
			Assets: map[string]*state.Asset{"app-02": {Result: "succeeded", Before: obs("sudo", "1.9.5p2-10.el9_3"), After: obs("sudo", "1.9.5p2-10.el9_6.1"), At: canaryAt}}},
	})
	r, err := report.Compute(context.Background(), report.Options{Repo: repo, Dir: "fleet", Branch: "main", At: canaryAt})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Assets) != 10 || r.Overall.Late != 1 {
		t.Errorf("%d rows, %d late: %+v", len(r.Assets), r.Overall.Late, r.Overall)
	}
	if _, err := report.Compute(context.Background(), report.Options{Repo: repo, Dir: "elsewhere", Branch: "main", At: canaryAt}); err == nil {
		t.Error("a folder that does not exist: no error")
	}
}
