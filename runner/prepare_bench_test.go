package runner_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/internal/repogen"
	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/render"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/gitstore"
)

var benchAt = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// BenchmarkPlan plans generated fleets from a folder, and with --base: the
// same fleet also read from a git commit and compared. Targets (issue 3):
// 100k assets <= 5 s and <= 1 GiB; --base <= 1.2x a single plan.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		dir := b.TempDir()
		if err := repogen.Write(dir, repogen.Options{Assets: n}); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("single/%dk", n/1000), func(b *testing.B) {
			for b.Loop() {
				prepare(b, runner.Source{FS: os.DirFS(dir)})
			}
		})
		committed := false
		for _, change := range []string{"none", "wave"} {
			b.Run(fmt.Sprintf("base/%s/%dk", change, n/1000), func(b *testing.B) {
				if _, err := exec.LookPath("git"); err != nil {
					b.Skip("git is not installed")
				}
				if !committed {
					gitCommit(b, dir)
					committed = true
				}
				if change == "wave" {
					// A typical pull request: the wave changes (it drops a
					// patch), the inventory does not.
					editFile(b, dir+"/config.cue", `patches: ["DSA-6015-1", "RHSA-2025:9978", "app-base-2026-11"]`, `patches: ["DSA-6015-1", "RHSA-2025:9978"]`)
				}
				repo, err := gitstore.Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				// x-single compares, in the same iterations, the whole
				// --base run (PrepareWithBase and Compare, as plan --base
				// runs them) with a single plan of the head: a ratio that
				// the machine's drift between benchmarks does not blur.
				var headTime, total time.Duration
				b.ResetTimer()
				for b.Loop() {
					start := time.Now()
					prepareWith(b, runner.Source{FS: os.DirFS(dir)}, nil, nil)
					headTime += time.Since(start)
					start = time.Now()
					fsys, err := gitstore.TreeFS(repo, "HEAD", "")
					if err != nil {
						b.Fatal(err)
					}
					head, base, err := runner.PrepareWithBase(context.Background(), runner.Source{FS: gitstore.WorkTreeFS(repo, dir, "")}, runner.Source{FS: fsys, Prefix: "HEAD:"},
						runner.PrepareOptions{At: benchAt})
					if err != nil {
						b.Fatal(err)
					}
					c := render.Compare(base.Plan, head.Plan)
					if change == "none" && !c.Empty() {
						b.Fatal("an unchanged repository changes the plan")
					}
					if change == "wave" && c.Empty() {
						b.Fatal("the edited wave does not change the plan")
					}
					total += time.Since(start)
				}
				b.ReportMetric(float64(total)/float64(headTime), "x-single")
			})
		}
	}
}

func gitCommit(b *testing.B, dir string) {
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "fleet"}, {"gc", "-q"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func editFile(b *testing.B, name, old, new string) {
	data, err := os.ReadFile(name)
	if err == nil && strings.Contains(string(data), new) {
		return // edited by an earlier run (-count)
	}
	if err != nil || !strings.Contains(string(data), old) {
		b.Fatalf("editing %s: %v (no %q)", name, err, old)
	}
	if err := os.WriteFile(name, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		b.Fatal(err)
	}
}

func prepare(b *testing.B, src runner.Source) *runner.Prepared { return prepareWith(b, src, nil, nil) }

func prepareWith(b *testing.B, src runner.Source, cache *policy.Cache, reuse *plan.Plan) *runner.Prepared {
	p, err := runner.Prepare(context.Background(), src, runner.PrepareOptions{At: benchAt, Cache: cache, Reuse: reuse})
	if err != nil {
		b.Fatalf("prepare: %v", err)
	}
	if p.Plan.Summary.Actions == 0 {
		b.Fatal("a plan without actions")
	}
	return p
}
