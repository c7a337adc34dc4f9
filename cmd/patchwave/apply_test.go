package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchwave/patchwave/internal/testrepo"
)

// apply through the CLI on a real repository (not parallel: the exec
// driver passes the process environment, which holds PATCHWAVE_HOSTS_DIR).
func TestApplyCLI(t *testing.T) {
	dir, hosts := testrepo.Hosts(t, quickstart)
	t.Setenv("PATCHWAVE_HOSTS_DIR", hosts)
	inWindow := "2026-11-26T22:30:00Z"

	r := runCLI(t, nil, "apply", "--dir", dir, "--offline", "--at", inWindow, "--dry-run")
	if r.code != 0 || !strings.Contains(r.out, "would run wave 2026-11-security stage canary: 2 actions on 2 assets") {
		t.Fatalf("dry run: %s", r)
	}
	if log := testrepo.Git(t, dir, "log", "--oneline"); strings.Count(log, "\n") != 1 {
		t.Errorf("the dry run committed:\n%s", log)
	}

	// A saved plan goes stale when the repository changes after it.
	saved := filepath.Join(t.TempDir(), "plan.json")
	if r := runCLI(t, nil, "plan", "--dir", dir, "--offline", "--at", inWindow, "--out", saved); r.code != 0 {
		t.Fatalf("plan --out: %s", r)
	}
	edit(t, dir, "groups.cue", `description: "everything else"`, `description: "all the rest"`)
	testrepo.Git(t, dir, "commit", "-q", "-a", "-m", "reword", "--author", "t <t@example.com>")
	if r := runCLI(t, nil, "apply", "--dir", dir, "--offline", "--at", inWindow, "--plan", saved); r.code != 4 || !strings.Contains(r.err, "stale") {
		t.Errorf("stale plan: %s", r)
	}

	r = runCLI(t, nil, "apply", "--dir", dir, "--offline", "--at", inWindow, "--author", "Fleet Bot <bot@example.com>")
	if r.code != 0 || !strings.Contains(r.out, "stage canary succeeded (2/2)") {
		t.Fatalf("apply: %s", r)
	}
	last := testrepo.Git(t, dir, "log", "-1", "--format=%an <%ae>%n%(trailers:key=Patchwave-Result,valueonly)")
	if !strings.HasPrefix(last, "Fleet Bot <bot@example.com>\nsucceeded") {
		t.Errorf("last commit: %q", last)
	}
	if data, err := os.ReadFile(filepath.Join(hosts, "app-02.json")); err != nil || !strings.Contains(string(data), "1.9.5p2-10.el9_6.1") {
		t.Errorf("app-02: %s %v", data, err)
	}

	// The policy trusts main: another branch is refused.
	testrepo.Git(t, dir, "branch", "side")
	if r := runCLI(t, nil, "apply", "--dir", dir, "--offline", "--at", inWindow, "--branch", "side"); r.code != 4 || !strings.Contains(r.err, `trusts branch "main"`) {
		t.Errorf("wrong branch: %s", r)
	}
	if r := runCLI(t, nil, "apply", "--dir", dir, "--author", "nobody"); r.code != 3 {
		t.Errorf("bad --author: %s", r)
	}
}

// apply --push: the stage's commits reach the remote, and the lock is gone
// afterwards; a lock another runner holds refuses the run (exit 4).
func TestApplyPush(t *testing.T) {
	dir, hosts := testrepo.Hosts(t, quickstart)
	t.Setenv("PATCHWAVE_HOSTS_DIR", hosts)
	remote := filepath.Join(t.TempDir(), "remote.git")
	testrepo.Git(t, dir, "clone", "-q", "--bare", dir, remote)
	clone := filepath.Join(t.TempDir(), "clone")
	testrepo.Git(t, dir, "clone", "-q", remote, clone)

	// Another runner holds the lock, until far in the future.
	testrepo.Git(t, clone, "-c", "user.name=x", "-c", "user.email=x@example.com", "commit", "-q", "--allow-empty", "-m",
		"patchwave lock\n\nPatchwave-Lock-Owner: other (ci)\nPatchwave-Lock-Expires: 2999-01-01T00:00:00Z")
	testrepo.Git(t, clone, "push", "-q", "origin", "HEAD:refs/patchwave/lock")
	testrepo.Git(t, clone, "reset", "-q", "--hard", "HEAD~1")
	r := runCLI(t, nil, "apply", "--dir", clone, "--offline", "--at", "2026-11-26T22:30:00Z", "--push")
	if r.code != 4 || !strings.Contains(r.err, "held by other (ci) until 2999-01-01T00:00:00Z") {
		t.Fatalf("lock held: %s", r)
	}
	r = runCLI(t, nil, "apply", "--dir", clone, "--offline", "--at", "2026-11-26T22:30:00Z", "--push", "--force-unlock")
	if r.code != 0 || !strings.Contains(r.out, "took over the lock of other (ci)") {
		t.Fatalf("apply --push --force-unlock: %s", r)
	}
	if subject := testrepo.Git(t, remote, "log", "-1", "--format=%s", "main"); !strings.HasPrefix(subject, "patchwave: wave 2026-11-security stage canary succeeded") {
		t.Errorf("the remote's main: %q", subject)
	}
	if refs := testrepo.Git(t, remote, "for-each-ref", "refs/patchwave/"); refs != "" {
		t.Errorf("the lock is still there: %s", refs)
	}
}
