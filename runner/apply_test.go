package runner_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/driver"
	driverexec "github.com/patchwave/patchwave/runner/driver/exec"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// hostsRepo makes a git repository of the quickstart's hosts (no images:
// the oci driver is tested on its own), patched through the simulated
// folder host, and returns its folder and the hosts folder.
func hostsRepo(t *testing.T) (dir, hosts string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir, hosts = t.TempDir(), t.TempDir()
	folderhost := filepath.Join(t.TempDir(), "folderhost")
	if out, err := exec.Command("go", "build", "-o", folderhost, "../examples/quickstart/drivers/folderhost").CombinedOutput(); err != nil {
		t.Skipf("building the folder host: %v\n%s", err, out)
	}
	for _, f := range []string{"policy.cue", "groups.cue", "patches.cue", "waves/2026-11-security.cue", "assets/hosts.cue"} {
		data, err := os.ReadFile(filepath.Join("../examples/quickstart", f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		s = strings.Replace(s, `command: ["sh", "drivers/folder-host.sh"]`, `command: ["`+folderhost+`"]`, 1)
		s = strings.Replace(s, `patches: ["DSA-6015-1", "RHSA-2025:9978", "shop-api-1.14.3"]`, `patches: ["DSA-6015-1", "RHSA-2025:9978"]`, 1)
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fleet"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir, hosts
}

func apply(t *testing.T, dir, hosts, at string) (*runner.ApplyResult, error) {
	t.Helper()
	repo, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	when, _ := policy.ParseTime(at)
	var reg driver.Registry
	reg.Register("exec", func(d policy.Driver) (driver.Driver, error) {
		return driverexec.New(d, driverexec.Options{Dir: dir, Env: append(os.Environ(), "PATCHWAVE_HOSTS_DIR="+hosts)})
	})
	var log strings.Builder
	res, err := runner.Apply(context.Background(), runner.ApplyOptions{Repo: repo, Branch: "main", Now: func() time.Time { return when },
		Drivers: &reg, Author: object.Signature{Name: "patchwave", Email: "patchwave@example.com"}, Log: &log,
		Getenv: func(k string) string { return map[string]string{"CI": "true", "USER": "ci-bot"}[k] }})
	t.Logf("apply at %s:\n%s", at, log.String())
	return res, err
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestApplyStages(t *testing.T) {
	dir, hosts := hostsRepo(t)
	// Before the window: nothing due, nothing committed.
	res, err := apply(t, dir, hosts, "2026-11-26T12:00:00Z")
	if err != nil || len(res.Commits) != 0 {
		t.Fatalf("before the window: %v, %d commits", err, len(res.Commits))
	}
	// In the window: the canary (app-02, cache-01) runs; pilot must soak.
	res, err = apply(t, dir, hosts, "2026-11-26T22:30:00Z")
	if err != nil || len(res.Stages) != 1 || res.Stages[0].Stage != "canary" || res.Stages[0].Succeeded != 2 {
		t.Fatalf("canary: %v %+v", err, res)
	}
	trailers := gitOut(t, dir, "log", "-1", "--format=%(trailers:only,unfold)")
	for _, want := range []string{"Patchwave-Wave: 2026-11-security", "Patchwave-Stage: canary", "Patchwave-Result: succeeded", "Patchwave-Plan: sha256:", "Patchwave-Record: audit/2026/11/26/000001-2026-11-security-canary.json"} {
		if !strings.Contains(trailers, want) {
			t.Errorf("last commit lacks %q:\n%s", want, trailers)
		}
	}
	if subject := gitOut(t, dir, "log", "-1", "--format=%s"); !strings.HasPrefix(subject, "patchwave: wave 2026-11-security stage canary succeeded (2/2)") {
		t.Errorf("subject = %q", subject)
	}
	host, err := os.ReadFile(filepath.Join(hosts, "cache-01.json"))
	if err != nil || !strings.Contains(string(host), "3.0.17-1~deb12u3") {
		t.Errorf("cache-01 on the simulated host: %s %v", host, err)
	}
	// The state records the rollback state before the change.
	data := gitOut(t, dir, "show", "HEAD:state/waves/2026-11-security/canary.json")
	if !strings.Contains(data, `"before"`) || !strings.Contains(data, `"status": "done"`) || !strings.Contains(data, "3.0.17-1~deb12u2") {
		t.Errorf("state: %s", data)
	}
	if out := gitOut(t, dir, "fsck", "--strict"); strings.Contains(out, "error") {
		t.Errorf("fsck: %s", out)
	}
	// Again at once: the pilot soaks for 48h, nothing is due.
	if res, err = apply(t, dir, hosts, "2026-11-26T23:00:00Z"); err != nil || len(res.Commits) != 0 {
		t.Fatalf("during soak: %v, %d commits", err, len(res.Commits))
	}
	// Monday night: the pilot runs (app-01 and web-01; ws-eng-07 runs
	// Ubuntu, which the Debian advisory does not cover).
	res, err = apply(t, dir, hosts, "2026-11-30T22:00:00Z")
	if err != nil || len(res.Stages) != 1 || res.Stages[0].Stage != "pilot" {
		t.Fatalf("pilot: %v %+v", err, res)
	}
	if got := gitOut(t, dir, "show", "HEAD:audit/2026/11/30/000002-2026-11-security-pilot.json"); !strings.Contains(got, `"previous": "sha256:`) {
		t.Errorf("second record: %s", got)
	}
	// The state of both stages is read back as the planner reads it.
	fsys, err := gitstore.TreeFS(mustOpen(t, dir), "main", "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Load(fsys)
	if err != nil || st.Stage("2026-11-security", "pilot").Status != state.Succeeded || len(st.Files) != 2 {
		t.Errorf("state: %v %+v", err, st)
	}
}

func mustOpen(t *testing.T, dir string) *git.Repository {
	t.Helper()
	repo, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}
