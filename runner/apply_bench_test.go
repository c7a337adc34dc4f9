package runner_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/internal/repogen"
	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/driver"
)

// noop is a driver that changes nothing and answers at once: the runner's
// own cost per asset is what remains (a stand-in, named so: no real
// driver can be this fast).
type noop struct{}

func (noop) Observe(context.Context, driver.Target) (driver.Observation, error) {
	return driver.Observation{}, nil
}

func (noop) Apply(_ context.Context, _ driver.Target, changes []driver.Change) (driver.Result, error) {
	obs := driver.Observation{Packages: map[string]string{}}
	for _, c := range changes {
		if c.Kind == driver.KindImage {
			obs.Digest = c.To
		} else {
			obs.Packages[c.Name] = c.To
		}
	}
	return driver.Result{Observation: obs}, nil
}

// BenchmarkApplyOverhead rolls a wave out over a generated 10k-asset
// fleet, its canary, pilot and broad stages in three runs at the times
// they become due, through a no-op driver, and reports the runner's time
// per changed asset: loading and planning, state and audit commits
// included. Target (issue 4): <= 1 ms per asset.
func BenchmarkApplyOverhead(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git is not installed")
	}
	var reg driver.Registry
	for _, typ := range []string{"ssh", "oci"} {
		reg.Register(typ, func(policy.Driver) (driver.Driver, error) { return noop{}, nil })
	}
	var spent time.Duration
	total := 0
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		if err := repogen.Write(dir, repogen.Options{Assets: 10_000}); err != nil {
			b.Fatal(err)
		}
		testrepo.Git(b, dir, "init", "-q", "-b", "main")
		testrepo.Git(b, dir, "add", ".")
		testrepo.Git(b, dir, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "fleet")
		repo := mustOpen(b, dir)
		b.StartTimer()
		start := time.Now()
		changed := 0
		// Thursday 26 Nov 2026 in the eu-night window: the canary; Monday
		// 30 Nov after its soak: the pilot; Wednesday night in New York
		// after the pilot's soak: the broad stage.
		for _, at := range []string{"2026-11-26T22:30:00Z", "2026-11-30T22:00:00Z", "2026-12-03T04:30:00Z"} {
			when, _ := time.Parse(time.RFC3339, at)
			res, err := runner.Apply(context.Background(), runner.ApplyOptions{Repo: repo, Branch: "main",
				Now: func() time.Time { return when }, Drivers: &reg, Author: object.Signature{Name: "bench", Email: "bench@example.com"}})
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range res.Stages {
				changed += s.Succeeded
			}
		}
		spent += time.Since(start)
		if changed < 5000 {
			b.Fatalf("only %d assets changed", changed)
		}
		total += changed
	}
	b.ReportMetric(float64(spent.Microseconds())/1000/float64(total), "ms/asset")
	b.ReportMetric(float64(total)/float64(b.N), "assets/op")
}
