package report

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/runner/gitstore"
)

// gitAt runs the git CLI in dir with its clock at t.
func gitAt(t *testing.T, dir string, at time.Time, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	stamp := fmt.Sprintf("@%d +0000", at.Unix())
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+stamp, "GIT_COMMITTER_DATE="+stamp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commitAsOf finds the commit git log -1 --first-parent --until finds, by
// reading commit headers, from a commit-graph file, and from a graph that
// lacks the newest commits; side branches merged in do not count.
func TestCommitAsOf(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	hour := func(n int) time.Time { return base.Add(time.Duration(n) * time.Hour) }
	gitAt(t, dir, base, "init", "-q", "-b", "main")
	commit := func(n int) { gitAt(t, dir, hour(n), "commit", "-q", "--allow-empty", "-m", fmt.Sprint(n)) }
	for n := 1; n <= 10; n++ {
		commit(n)
	}
	// A side branch with commits newer than main's, merged at hour 12.
	gitAt(t, dir, hour(10), "checkout", "-q", "-b", "side")
	for n := 100; n <= 102; n++ {
		commit(n)
	}
	gitAt(t, dir, hour(11), "checkout", "-q", "main")
	commit(11)
	gitAt(t, dir, hour(12), "merge", "-q", "--no-ff", "-m", "merge side", "side")
	for n := 13; n <= 20; n++ {
		commit(n)
	}

	check := func(name string, graph bool) {
		repo, err := gitstore.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if g := openCommitGraph(repo); (g != nil) != graph {
			t.Fatalf("%s: commit graph %v, want %v", name, g != nil, graph)
		} else if g != nil {
			g.Close()
		}
		for half := -1; half <= 2*22; half++ {
			at := base.Add(time.Duration(half) * 30 * time.Minute)
			want := gitAt(t, dir, at, "log", "-1", "--first-parent", "--until="+at.Format(time.RFC3339), "--format=%H", "main")
			got, when, err := commitAsOf(repo, "main", at)
			switch {
			case want == "":
				if err == nil {
					t.Errorf("%s, as of %s: %s, want no commit", name, at, got)
				}
			case err != nil || got.String() != want || when.After(at):
				t.Errorf("%s, as of %s: %s %s %v, want %s", name, at, got, when, err, want)
			}
		}
	}
	check("headers", false)
	gitAt(t, dir, hour(30), "commit-graph", "write", "--reachable")
	if _, err := os.Stat(dir + "/.git/objects/info/commit-graph"); err != nil {
		t.Fatalf("git wrote no commit-graph: %v", err)
	}
	check("commit-graph", true)
	for n := 21; n <= 22; n++ {
		commit(n)
	}
	check("stale commit-graph", true)
}
