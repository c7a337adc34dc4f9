package runner_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/patchwave/patchwave/internal/repogen"
	"github.com/patchwave/patchwave/plan/render"
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
		b.Run(fmt.Sprintf("base/%dk", n/1000), func(b *testing.B) {
			if _, err := exec.LookPath("git"); err != nil {
				b.Skip("git is not installed")
			}
			for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "fleet"}, {"gc", "-q"}} {
				cmd := exec.Command("git", args...)
				cmd.Dir = dir
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			repo, err := gitstore.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				fsys, err := gitstore.TreeFS(repo, "HEAD", "")
				if err != nil {
					b.Fatal(err)
				}
				head := prepare(b, runner.Source{FS: os.DirFS(dir)})
				base := prepare(b, runner.Source{FS: fsys, Prefix: "HEAD:"})
				render.Compare(base.Plan, head.Plan)
			}
		})
	}
}

func prepare(b *testing.B, src runner.Source) *runner.Prepared {
	p, err := runner.Prepare(context.Background(), src, runner.PrepareOptions{At: benchAt})
	if err != nil {
		b.Fatalf("prepare: %v", err)
	}
	if p.Plan.Summary.Actions == 0 {
		b.Fatal("a plan without actions")
	}
	return p
}
