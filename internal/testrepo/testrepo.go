// Package testrepo builds real git repositories for tests of apply: the
// quickstart's hosts, patched through the simulated folder host
// (examples/quickstart/drivers/folderhost).
package testrepo

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/audit"
	"github.com/patchwave/patchwave/runner/driver"
	driverexec "github.com/patchwave/patchwave/runner/driver/exec"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// Hosts makes a git repository (branch main, one commit) of the
// quickstart's hosts, without its images, whose exec driver runs a freshly
// built folder host. It returns the repository's folder and the folder the
// simulated hosts keep their packages in (PATCHWAVE_HOSTS_DIR). quickstart
// is the path of examples/quickstart from the test. command, if given, is
// the simulated hosts' command instead of a fresh build. It skips the test
// when git, or go for the build, is missing.
func Hosts(t testing.TB, quickstart string, command ...string) (dir, hosts string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir, hosts = t.TempDir(), t.TempDir()
	if len(command) == 0 {
		folderhost := filepath.Join(t.TempDir(), "folderhost")
		if out, err := exec.Command("go", "build", "-o", folderhost, filepath.Join(quickstart, "drivers", "folderhost")).CombinedOutput(); err != nil {
			t.Skipf("building the folder host: %v\n%s", err, out)
		}
		command = []string{folderhost}
	}
	quoted := make([]string, len(command))
	for i, c := range command {
		quoted[i] = strconv.Quote(c)
	}
	for _, f := range []string{"policy.cue", "groups.cue", "patches.cue", "waves/2026-11-security.cue", "assets/hosts.cue"} {
		data, err := os.ReadFile(filepath.Join(quickstart, f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		s = strings.Replace(s, `command: ["patchwave", "folder-host"]`, "command: ["+strings.Join(quoted, ", ")+"]", 1)
		s = strings.Replace(s, `patches: ["DSA-6015-1", "RHSA-2025:9978", "shop-api-1.14.3"]`, `patches: ["DSA-6015-1", "RHSA-2025:9978"]`, 1)
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Git(t, dir, "init", "-q", "-b", "main")
	Git(t, dir, "add", ".")
	Git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fleet")
	return dir, hosts
}

// Git runs the git CLI in dir and returns its output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// Records reads the audit records on branch main of the repository in
// dir, from git objects, and fails the test when their chain is broken.
func Records(t testing.TB, dir string) []audit.File {
	t.Helper()
	records, err := audit.Load(mainTree(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if errs := audit.VerifyChain(records); len(errs) > 0 {
		t.Errorf("the audit chain of %s: %v", dir, errs)
	}
	return records
}

// Apply runs runner.Apply on branch main of the repository in dir as of
// at, with the exec driver serving the simulated hosts kept in hosts, as
// a CI job would (CI=true, USER=ci-bot), and logs what it did.
func Apply(t testing.TB, dir, hosts string, at time.Time) (*runner.ApplyResult, error) {
	t.Helper()
	repo, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	res, err := runner.Apply(context.Background(), runner.ApplyOptions{Repo: repo, Branch: "main", Now: func() time.Time { return at },
		Drivers: Drivers(dir, hosts), Author: object.Signature{Name: "patchwave", Email: "patchwave@example.com"}, Log: &log,
		Getenv: func(k string) string { return map[string]string{"CI": "true", "USER": "ci-bot"}[k] }})
	t.Logf("apply at %s:\n%s", at.Format(time.RFC3339), log.String())
	return res, err
}

// State reads the recorded state on branch main of the repository in
// dir, from git objects.
func State(t testing.TB, dir string) *state.State {
	t.Helper()
	st, err := state.Load(mainTree(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Drivers is the registry of the repository in dir whose exec driver
// serves the simulated hosts kept in hosts.
func Drivers(dir, hosts string) *driver.Registry {
	var reg driver.Registry
	reg.Register("exec", func(d policy.Driver) (driver.Driver, error) {
		return driverexec.New(d, driverexec.Options{Dir: dir, Env: append(os.Environ(), "PATCHWAVE_HOSTS_DIR="+hosts)})
	})
	return &reg
}

// mainTree is the tree of branch main of the repository in dir, read from
// git objects.
func mainTree(t testing.TB, dir string) fs.FS {
	t.Helper()
	repo, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := gitstore.TreeFS(repo, "main", "")
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}
