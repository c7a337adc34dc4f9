package history_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/audit/history"
	"github.com/patchwave/patchwave/runner/gitstore"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if honestDir != "" {
		os.RemoveAll(filepath.Dir(honestDir))
	}
	os.Exit(code)
}

var (
	honestOnce sync.Once
	honestDir  string
	keyA, keyB string // private keys: A is trusted, B is not
)

// honest builds, once, a quickstart repository whose policy trusts key A,
// with the canary and the pilot applied by the runner, signing with A,
// and a reviewed rollback of the pilot carried out.
func honest(t *testing.T) string {
	t.Helper()
	honestOnce.Do(func() {
		var pubA string
		keyA, pubA = testrepo.PGPKey(t, "runner")
		keyB, _ = testrepo.PGPKey(t, "mallory")
		tmp, err := os.MkdirTemp("", "patchwave-history-")
		if err != nil {
			t.Fatal(err)
		}
		dir, hosts := testrepo.Hosts(t, "../../../examples/quickstart")
		keys := "package patchwave\n\npolicy: trusted_keys: [" + strconv.Quote(pubA) + "]\n"
		write(t, dir, "keys.cue", keys)
		commit(t, dir, "alice", "Trust the runner's key")
		for _, at := range []string{"2026-11-26T22:30:00Z", "2026-11-30T22:00:00Z"} {
			apply(t, dir, hosts, at, keyA)
		}
		testrepo.Git(t, dir, "reset", "-q", "--hard")
		write(t, dir, "rollbacks.cue", `package patchwave

rollbacks: "pilot-back": {wave: "2026-11-security", stages: ["pilot"], reason: "TLS handshakes fail", approved_by: ["bob"]}
`)
		commit(t, dir, "bob", "Roll back the pilot")
		apply(t, dir, hosts, "2026-12-01T09:00:00Z", keyA)
		testrepo.Git(t, dir, "reset", "-q", "--hard")
		honestDir = filepath.Join(tmp, "honest")
		testrepo.Git(t, tmp, "clone", "-q", dir, honestDir)
	})
	if honestDir == "" {
		t.Fatal("building the honest history failed")
	}
	// Each caller tampers with a clone of its own.
	clone := filepath.Join(t.TempDir(), "repo")
	testrepo.Git(t, filepath.Dir(clone), "clone", "-q", honestDir, clone)
	return clone
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func commit(t *testing.T, dir, who, msg string) {
	t.Helper()
	testrepo.Git(t, dir, "add", "-A")
	testrepo.Git(t, dir, "-c", "user.name="+who, "-c", "user.email="+who+"@example.com", "commit", "-q", "-m", msg)
}

func apply(t *testing.T, dir, hosts, at, key string) {
	t.Helper()
	when, _ := policy.ParseTime(at)
	sign, err := gitstore.PGPSigner(key, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = runner.Apply(context.Background(), runner.ApplyOptions{Repo: open(t, dir), Branch: "main", Now: func() time.Time { return when },
		Drivers: testrepo.Drivers(dir, hosts), Author: object.Signature{Name: "patchwave", Email: "patchwave@example.com"}, Sign: sign})
	if err != nil {
		t.Fatalf("apply at %s: %v", at, err)
	}
}

func open(t *testing.T, dir string) *git.Repository {
	t.Helper()
	repo, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func verify(t *testing.T, dir string) ([]history.Problem, history.Summary) {
	t.Helper()
	problems, sum, err := history.Verify(context.Background(), history.Options{Repo: open(t, dir), Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	return problems, sum
}

func TestVerifyHonestHistory(t *testing.T) {
	dir := honest(t)
	problems, sum := verify(t, dir)
	if len(problems) > 0 {
		t.Fatalf("an honest history has problems: %v", problems)
	}
	// fleet, keys, canary and pilot (5 commits each: two batches of one
	// asset, a commit before and after each, and the record), the
	// rollback's request and its run (2 commits).
	if sum.Records != 3 || sum.RunnerCommits != 12 || sum.Signed != sum.RunnerCommits || sum.Commits != 15 {
		t.Errorf("summary %+v", sum)
	}
	// git agrees that the runner's commits carry a signature.
	if out := testrepo.Git(t, dir, "log", "--format=%H %G?", "-1"); strings.HasSuffix(strings.TrimSpace(out), " N") {
		t.Errorf("git sees no signature on the last runner commit: %s", out)
	}
}

// Each tampering kind, one commit after an honest history, is caught at
// that commit and file.
func TestVerifyCatchesTampering(t *testing.T) {
	const canary = "audit/2026/11/26/000001-2026-11-security-canary.json"
	const pilot = "audit/2026/11/30/000002-2026-11-security-pilot.json"
	const pilotState = "state/waves/2026-11-security/pilot.json"
	runnerTrailers := "\n\nPatchwave-Wave: 2026-11-security\nPatchwave-Stage: pilot"
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string) // makes one commit
		kind   string
		path   string
	}{
		{"record changed", func(t *testing.T, dir string) {
			edit(t, dir, canary, `"result": "succeeded"`, `"result": "failed"`)
			commit(t, dir, "mallory", "fix typo")
		}, history.KindRecordChanged, canary},
		{"record changed by a commit posing as the runner", func(t *testing.T, dir string) {
			edit(t, dir, canary, `"result": "succeeded"`, `"result": "failed"`)
			commit(t, dir, "mallory", "patchwave: wave 2026-11-security stage pilot: batch done"+runnerTrailers)
		}, history.KindRecordChanged, canary},
		{"record removed", func(t *testing.T, dir string) {
			testrepo.Git(t, dir, "rm", "-q", pilot)
			commit(t, dir, "mallory", "cleanup")
		}, history.KindRecordRemoved, pilot},
		{"records reordered", func(t *testing.T, dir string) {
			a, b := read(t, dir, canary), read(t, dir, pilot)
			write(t, dir, canary, b)
			write(t, dir, pilot, a)
			commit(t, dir, "mallory", "reorder")
		}, history.KindChain, canary},
		{"chain broken by a forged record", func(t *testing.T, dir string) {
			rec := strings.Replace(read(t, dir, pilot), `"sequence": 2`, `"sequence": 4`, 1)
			write(t, dir, "audit/2026/12/02/000004-2026-11-security-pilot.json", rec)
			commit(t, dir, "mallory", "patchwave: wave 2026-11-security stage pilot succeeded (2/2)"+runnerTrailers+
				"\nPatchwave-Record: audit/2026/12/02/000004-2026-11-security-pilot.json")
		}, history.KindChain, "audit/2026/12/02/000004-2026-11-security-pilot.json"},
		{"state changed by a person", func(t *testing.T, dir string) {
			edit(t, dir, pilotState, `"status": "rolled-back"`, `"status": "done"`)
			commit(t, dir, "mallory", "unblock the broad stage")
		}, history.KindNotRunner, pilotState},
		{"runner commit changes the policy", func(t *testing.T, dir string) {
			edit(t, dir, "policy.cue", `critical: ["alice", "bob"]`, `critical: ["alice", "bob", "mallory"]`)
			edit(t, dir, pilotState, `"status": "rolled-back"`, `"status": "done"`)
			commit(t, dir, "mallory", "patchwave: wave 2026-11-security stage pilot: batch done"+runnerTrailers)
		}, history.KindOutside, ""},
		{"runner commit unsigned", func(t *testing.T, dir string) {
			edit(t, dir, pilotState, `"status": "rolled-back"`, `"status": "done"`)
			commit(t, dir, "mallory", "patchwave: wave 2026-11-security stage pilot: batch done"+runnerTrailers)
		}, history.KindUnsigned, ""},
		{"runner commit signed by another key", func(t *testing.T, dir string) {
			forge(t, dir, keyB)
		}, history.KindUntrusted, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := honest(t)
			tc.tamper(t, dir)
			head := strings.TrimSpace(testrepo.Git(t, dir, "rev-parse", "HEAD"))
			problems, _ := verify(t, dir)
			if !slices.ContainsFunc(problems, func(p history.Problem) bool { return p.Kind == tc.kind && p.Commit == head && p.Path == tc.path }) {
				t.Errorf("no %s problem at the tampering commit %s and %q among %v", tc.kind, head, tc.path, problems)
			}
		})
	}
	// A runner commit signed by the trusted key (as the runner makes them)
	// passes: the signature check is not merely "signed or not".
	t.Run("signed by the trusted key", func(t *testing.T) {
		dir := honest(t)
		forge(t, dir, keyA)
		if problems, _ := verify(t, dir); len(problems) > 0 {
			t.Errorf("a state commit signed with the trusted key: %v", problems)
		}
	})
}

// forge commits a change of the pilot's state as a runner commit signed
// with key.
func forge(t *testing.T, dir, key string) {
	t.Helper()
	sign, err := gitstore.PGPSigner(key, "")
	if err != nil {
		t.Fatal(err)
	}
	repo := open(t, dir)
	store := gitstore.NewStore(repo)
	head, err := store.Head("main")
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Replace(read(t, dir, "state/waves/2026-11-security/pilot.json"), `"status": "rolled-back"`, `"status": "done"`, 1)
	_, err = store.Commit(context.Background(), gitstore.CommitRequest{Branch: "main", Parent: head,
		Files:    map[string][]byte{"state/waves/2026-11-security/pilot.json": []byte(data)},
		Message:  "patchwave: wave 2026-11-security stage pilot: batch done",
		Trailers: []gitstore.Trailer{{Key: "Patchwave-Wave", Value: "2026-11-security"}, {Key: "Patchwave-Stage", Value: "pilot"}},
		Author:   object.Signature{Name: "patchwave", Email: "patchwave@example.com", When: time.Now()}, Sign: sign})
	if err != nil {
		t.Fatal(err)
	}
	testrepo.Git(t, dir, "reset", "-q", "--hard")
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func edit(t *testing.T, dir, name, old, new string) {
	t.Helper()
	s := read(t, dir, name)
	if !strings.Contains(s, old) {
		t.Fatalf("%s lacks %q", name, old)
	}
	write(t, dir, name, strings.Replace(s, old, new, 1))
}

func TestLog(t *testing.T) {
	dir := honest(t)
	all, err := history.Log(context.Background(), history.LogOptions{Options: history.Options{Repo: open(t, dir), Branch: "main"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range all {
		got = append(got, e.Record.Stage+e.Record.Rollback+" "+e.Record.Result)
		if !e.Signed || e.Commit == "" || e.Author != "patchwave <patchwave@example.com>" {
			t.Errorf("entry %+v", e)
		}
	}
	if strings.Join(got, ", ") != "canary succeeded, pilot succeeded, pilot-back rolled-back" {
		t.Errorf("log: %v", got)
	}
	// The git CLI finds the same commits by their trailers.
	out := testrepo.Git(t, dir, "log", "--reverse", "--format=%H", "--grep=^Patchwave-Record:")
	if want := strings.Fields(out); len(want) != len(all) || want[0] != all[0].Commit || want[2] != all[2].Commit {
		t.Errorf("git log --grep finds %v", want)
	}
	filtered := func(o history.LogOptions) int {
		o.Options = history.Options{Repo: open(t, dir), Branch: "main"}
		es, err := history.Log(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	since, _ := policy.ParseTime("2026-11-30")
	until, _ := policy.ParseTime("2026-11-30T23:59:59Z")
	for name, tc := range map[string]struct {
		o    history.LogOptions
		want int
	}{
		"asset in the canary": {history.LogOptions{Asset: "cache-01"}, 1},
		"asset in the pilot":  {history.LogOptions{Asset: "web-01"}, 2},
		"other wave":          {history.LogOptions{Wave: "2026-12-other"}, 0},
		"since":               {history.LogOptions{Since: since}, 2},
		"since and until":     {history.LogOptions{Since: since, Until: until}, 1},
		"wave":                {history.LogOptions{Wave: "2026-11-security"}, 3},
	} {
		if got := filtered(tc.o); got != tc.want {
			t.Errorf("%s: %d records, want %d", name, got, tc.want)
		}
	}
}
