package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/internal/folderhost"
	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/driver"
	driverexec "github.com/patchwave/patchwave/runner/driver/exec"
)

// remoteSetup makes a bare remote of the hosts repository and n clones of
// it, each a runner's checkout.
func remoteSetup(t *testing.T, n int) (remote string, clones []string, hosts string) {
	dir, hosts := testrepo.Hosts(t, "../examples/quickstart")
	remote = filepath.Join(t.TempDir(), "remote.git")
	testrepo.Git(t, dir, "clone", "-q", "--bare", dir, remote)
	for i := range n {
		c := filepath.Join(t.TempDir(), "clone"+string(rune('a'+i)))
		testrepo.Git(t, dir, "clone", "-q", remote, c)
		clones = append(clones, c)
	}
	return remote, clones, hosts
}

func remoteApply(t *testing.T, dir, hosts, owner string, crash func(string), log *strings.Builder) (*runner.ApplyResult, error) {
	var reg driver.Registry
	reg.Register("exec", func(d policy.Driver) (driver.Driver, error) {
		return driverexec.New(d, driverexec.Options{Dir: dir, Env: append(os.Environ(), "PATCHWAVE_HOSTS_DIR="+hosts)})
	})
	when, _ := policy.ParseTime("2026-11-26T22:30:00Z")
	return runner.Apply(context.Background(), runner.ApplyOptions{Repo: mustOpen(t, dir), Branch: "main", Now: func() time.Time { return when },
		Drivers: &reg, Author: object.Signature{Name: owner, Email: owner + "@example.com"}, Crash: crash, Log: log,
		Remote: &runner.RemoteOptions{Name: "origin", Owner: owner}})
}

// Two runners on one remote at once: the lock lets one run the stage; the
// other is refused or finds it done. The stage runs exactly once.
func TestApplyTwoRunnersOneRemote(t *testing.T) {
	remote, clones, hosts := remoteSetup(t, 2)
	var wg sync.WaitGroup
	results := make([]*runner.ApplyResult, 2)
	errs := make([]error, 2)
	for i, c := range clones {
		wg.Go(func() {
			results[i], errs[i] = remoteApply(t, c, hosts, "runner-"+string(rune('a'+i)), nil, &strings.Builder{})
		})
	}
	wg.Wait()
	ran := 0
	for i := range clones {
		if errs[i] != nil && !errors.Is(errs[i], runner.ErrRefused) {
			t.Fatalf("runner %d: %v", i, errs[i])
		}
		if results[i] != nil {
			ran += len(results[i].Stages)
		}
	}
	if ran != 1 {
		t.Errorf("the canary ran %d times: %+v %v", ran, results, errs)
	}
	if n := len(testrepo.Records(t, remote)); n != 1 {
		t.Errorf("%d records on the remote, want 1", n)
	}
	log, _ := os.ReadFile(filepath.Join(hosts, folderhost.ChangeLog))
	if got := strings.Fields(string(log)); strings.Join(got, " ") != "app-02 apply cache-01 apply" {
		t.Errorf("changes: %q", log)
	}
	if out := testrepo.Git(t, remote, "for-each-ref", "refs/patchwave/"); out != "" {
		t.Errorf("the lock was not released: %s", out)
	}
}

// Someone merges while the runner works: its push is refused, it rebuilds
// its commits on the new head (runner files only) and pushes; nothing is
// forced, nothing lost.
func TestApplyRemoteMovesMeanwhile(t *testing.T) {
	remote, clones, hosts := remoteSetup(t, 2)
	human := clones[1]
	merged := false
	crash := func(point string) {
		if point == "batch-committed" && !merged {
			merged = true
			p := filepath.Join(human, "groups.cue")
			data, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(data), "everything else", "all the rest", 1)), 0o644)
			testrepo.Git(t, human, "-c", "user.name=alice", "-c", "user.email=alice@example.com", "commit", "-q", "-a", "-m", "groups: reword")
			testrepo.Git(t, human, "push", "-q", "origin", "main")
		}
	}
	var runLog strings.Builder
	res, err := remoteApply(t, clones[0], hosts, "runner", crash, &runLog)
	if err != nil || len(res.Stages) != 1 || res.Stages[0].Result != "succeeded" {
		t.Fatalf("apply: %v %+v", err, res)
	}
	if !strings.Contains(runLog.String(), "push refused") {
		t.Errorf("the push was never refused, so the rebuild was not tested:\n%s", runLog.String())
	}
	log := testrepo.Git(t, remote, "log", "--format=%an %s", "main")
	if !strings.Contains(log, "alice groups: reword") || !strings.HasPrefix(log, "runner patchwave: wave 2026-11-security stage canary succeeded (2/2)") {
		t.Errorf("the remote's history:\n%s", log)
	}
	if got := testrepo.Git(t, remote, "show", "main:groups.cue"); !strings.Contains(got, "all the rest") {
		t.Errorf("the human's change was lost")
	}
	if n := len(testrepo.Records(t, remote)); n != 1 {
		t.Errorf("%d records on the remote, want 1", n)
	}
	testrepo.Git(t, remote, "fsck", "--strict")
}

// losesRemote wraps a real driver and, at its first Rollback, moves the
// remote away: a stand-in for a remote that goes down while a
// break-glass rollback runs, named as such.
type losesRemote struct {
	driver.Driver
	remote string
	once   *sync.Once
}

func (l losesRemote) Rollback(ctx context.Context, t driver.Target, previous driver.Observation) (driver.Result, error) {
	l.once.Do(func() {
		if err := os.Rename(l.remote, l.remote+".gone"); err != nil {
			panic(err)
		}
	})
	return l.Driver.(driver.Rollbacker).Rollback(ctx, t, previous)
}

// A break-glass rollback with a remote pushes what it committed as apply
// does after each run, and fails when that push fails, instead of only
// saying so in the log.
func TestBreakGlassRollbackFailsWhenItsPushFails(t *testing.T) {
	remote, clones, hosts := remoteSetup(t, 1)
	dir := clones[0]
	if _, err := remoteApply(t, dir, hosts, "runner-a", nil, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	var reg driver.Registry
	once := &sync.Once{}
	reg.Register("exec", func(d policy.Driver) (driver.Driver, error) {
		x, err := driverexec.New(d, driverexec.Options{Dir: dir, Env: append(os.Environ(), "PATCHWAVE_HOSTS_DIR="+hosts)})
		return losesRemote{Driver: x, remote: remote, once: once}, err
	})
	when := time.Date(2026, 11, 27, 3, 4, 5, 0, time.UTC)
	var log strings.Builder
	_, err := runner.Rollback(context.Background(), runner.ApplyOptions{Repo: mustOpen(t, dir), Branch: "main", Now: func() time.Time { return when },
		Drivers: &reg, Author: object.Signature{Name: "oncall", Email: "oncall@example.com"}, Log: &log,
		Remote: &runner.RemoteOptions{Name: "origin", Owner: "oncall"}},
		policy.Rollback{Wave: "2026-11-security", Assets: []string{"cache-01"}, Reason: "cache-01 crashes at start"})
	if err == nil {
		t.Fatalf("the rollback's push failed and Rollback returned no error; log:\n%s", log.String())
	}
	if v := hostPackage(t, hosts, "cache-01", "openssl"); v != "3.0.17-1~deb12u2" {
		t.Errorf("cache-01 runs %s: the rollback did not run", v)
	}
}
