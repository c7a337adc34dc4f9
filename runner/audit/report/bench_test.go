package report_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"strconv"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/examples"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/runner/audit"
	"github.com/patchwave/patchwave/runner/audit/report"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// benchCommits is how many runner commits the benchmark history holds
// (PATCHWAVE_BENCH_COMMITS overrides it, for a quick look).
func benchCommits(b *testing.B) int {
	if s := os.Getenv("PATCHWAVE_BENCH_COMMITS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 10_000
}

var benchStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// benchHistory writes a repository like a runner's after a long time: the
// quickstart committed once, then n runner commits ten minutes apart, each
// adding one audit record (a real hash chain) and rewriting one stage's
// state file, like apply. The runner's commits spread over 100 waves of 3
// stages (state/ ends with 300 files; audit/ with n records in day
// folders). The objects are then packed (gitstore.Repack), as a runner
// does, so that the git CLI is not slowed by loose objects.
func benchHistory(b *testing.B, n int) string {
	b.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git is not installed")
	}
	dir := b.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}, Bare: true})
	if err != nil {
		b.Fatal(err)
	}
	store := gitstore.NewStore(repo)
	files := map[string][]byte{}
	err = fs.WalkDir(examples.Quickstart(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) == ".go" {
			return err
		}
		files[p], err = fs.ReadFile(examples.Quickstart(), p)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	who := object.Signature{Name: "patchwave", Email: "patchwave@example.com", When: benchStart}
	head, err := store.Commit(ctx, gitstore.CommitRequest{Branch: "main", Files: files, Message: "fleet", Author: who})
	if err != nil {
		b.Fatal(err)
	}
	stages := []string{"canary", "pilot", "broad"}
	var previous string
	before := &state.Observation{Packages: map[string]string{"openssl": "3.0.17-1~deb12u2", "libssl3": "3.0.17-1~deb12u2"}}
	after := &state.Observation{Packages: map[string]string{"openssl": "3.0.17-1~deb12u3", "libssl3": "3.0.17-1~deb12u3"}}
	records := map[string][]string{}
	for i := range n {
		when := benchStart.Add(time.Duration(i+1) * 10 * time.Minute)
		wave := fmt.Sprintf("bench-%03d", i*100/n)
		stage := stages[i%3]
		r := &audit.Record{Sequence: i + 1, Kind: audit.KindStage, Wave: wave, Stage: stage, Result: "succeeded",
			Plan: audit.Digest([]byte(wave)), ApprovedBy: []string{"alice"}, Actor: audit.Actor{Name: "ci-bot", Via: "ci"},
			Started: when, Finished: when, Previous: previous,
			Assets: []audit.Asset{{ID: "cache-01", Before: before, After: after, Result: "succeeded", DurationMS: 1200}}}
		data, err := audit.Encode(r)
		if err != nil {
			b.Fatal(err)
		}
		previous = audit.Digest(data)
		key := wave + "/" + stage
		records[key] = append(records[key], audit.Path(r))
		st, err := state.Marshal(&state.Stage{Wave: wave, Stage: stage, Status: state.Succeeded, Started: when, Finished: when,
			Plan: r.Plan, Records: records[key],
			Assets: map[string]*state.Asset{"cache-01": {Result: "succeeded", Before: before, After: after, At: when}}})
		if err != nil {
			b.Fatal(err)
		}
		who.When = when
		head, err = store.Commit(ctx, gitstore.CommitRequest{Branch: "main", Parent: head,
			Files:   map[string][]byte{audit.Path(r): data, state.StagePath(wave, stage): st},
			Message: fmt.Sprintf("patchwave: wave %s stage %s succeeded (1/1)", wave, stage),
			Trailers: []gitstore.Trailer{{Key: "Patchwave-Wave", Value: wave}, {Key: "Patchwave-Stage", Value: stage},
				{Key: "Patchwave-Result", Value: "succeeded"}, {Key: "Patchwave-Record", Value: audit.Path(r)}},
			Author: who})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := store.Repack(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkReport times the report over a history of 10,000 runner
// commits against `git log --format=%H%x00%B` over the same history, in
// the same run: at the head (the commit is found at once) and as of the
// first day (the walk goes back ~9,900 commits), then both again with a
// commit-graph file. x-gitlog is the report's time over git log's; the
// target is at most 2.
//
//	go test -run '^$' -bench BenchmarkReport -benchtime 5x ./runner/audit/report/
func BenchmarkReport(b *testing.B) {
	n := benchCommits(b)
	dir := benchHistory(b, n)
	head, early := benchStart.Add(time.Duration(n+10)*10*time.Minute), benchStart.Add(24*time.Hour)
	for _, tc := range []struct {
		name string
		at   time.Time
		// graph writes a commit-graph file first (git gc does on an
		// auditor's clone); the runner's own repository has none.
		graph bool
	}{
		{"head", head, false},
		{"early", early, false},
		{"head-commitgraph", head, true},
		{"early-commitgraph", early, true},
	} {
		if tc.graph {
			cmd := exec.Command("git", "commit-graph", "write", "--reachable")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("git commit-graph write: %v\n%s", err, out)
			}
		}
		b.Run(tc.name, func(b *testing.B) {
			var gitLog, rep time.Duration
			for b.Loop() {
				t0 := time.Now()
				cmd := exec.Command("git", "log", "--format=%H%x00%B", "main")
				cmd.Dir, cmd.Stdout = dir, io.Discard
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				// Opening the repository is part of the report's cost,
				// as it is of git log's.
				repo, err := gitstore.Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				r, err := report.Compute(context.Background(), report.Options{Repo: repo, Branch: "main", At: tc.at})
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Assets) == 0 {
					b.Fatal("an empty report")
				}
				gitLog += t1.Sub(t0)
				rep += time.Since(t1)
			}
			b.ReportMetric(float64(rep.Milliseconds())/float64(b.N), "report-ms/op")
			b.ReportMetric(float64(gitLog.Milliseconds())/float64(b.N), "gitlog-ms/op")
			b.ReportMetric(float64(rep)/float64(gitLog), "x-gitlog")
		})
	}
}
