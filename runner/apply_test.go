package runner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/driver"
	driverexec "github.com/patchwave/patchwave/runner/driver/exec"
	"github.com/patchwave/patchwave/runner/gitstore"
)

func apply(t *testing.T, dir, hosts, at string) (*runner.ApplyResult, error) {
	t.Helper()
	when, _ := policy.ParseTime(at)
	return testrepo.Apply(t, dir, hosts, when)
}

func TestApplyStages(t *testing.T) {
	dir, hosts := testrepo.Hosts(t, "../examples/quickstart")
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
	trailers := testrepo.Git(t, dir, "log", "-1", "--format=%(trailers:only,unfold)")
	for _, want := range []string{"Patchwave-Wave: 2026-11-security", "Patchwave-Stage: canary", "Patchwave-Result: succeeded", "Patchwave-Plan: sha256:", "Patchwave-Record: audit/2026/11/26/000001-2026-11-security-canary.json"} {
		if !strings.Contains(trailers, want) {
			t.Errorf("last commit lacks %q:\n%s", want, trailers)
		}
	}
	if subject := testrepo.Git(t, dir, "log", "-1", "--format=%s"); !strings.HasPrefix(subject, "patchwave: wave 2026-11-security stage canary succeeded (2/2)") {
		t.Errorf("subject = %q", subject)
	}
	host, err := os.ReadFile(filepath.Join(hosts, "cache-01.json"))
	if err != nil || !strings.Contains(string(host), "3.0.17-1~deb12u3") {
		t.Errorf("cache-01 on the simulated host: %s %v", host, err)
	}
	// The state records the rollback state before the change.
	data := testrepo.Git(t, dir, "show", "HEAD:state/waves/2026-11-security/canary.json")
	if !strings.Contains(data, `"before"`) || !strings.Contains(data, `"status": "done"`) || !strings.Contains(data, "3.0.17-1~deb12u2") {
		t.Errorf("state: %s", data)
	}
	if out := testrepo.Git(t, dir, "fsck", "--strict"); strings.Contains(out, "error") {
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
	if got := testrepo.Git(t, dir, "show", "HEAD:audit/2026/11/30/000002-2026-11-security-pilot.json"); !strings.Contains(got, `"previous": "sha256:`) {
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

func mustOpen(t testing.TB, dir string) *git.Repository {
	t.Helper()
	repo, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// The window closes after the canary's first batch: the run stops without
// an error, leaving the stage running, and the next window's run finishes
// it with one record for the stage.
func TestApplyWindowClosesMidStage(t *testing.T) {
	dir, hosts := testrepo.Hosts(t, "../examples/quickstart")
	repo := mustOpen(t, dir)
	inWindow, _ := policy.ParseTime("2026-11-27T00:59:00Z")
	closed, _ := policy.ParseTime("2026-11-27T01:00:00Z") // eu-night ends at 02:00 Berlin
	now := inWindow
	opts := runner.ApplyOptions{Repo: repo, Branch: "main", Now: func() time.Time { return now }, Drivers: testrepo.Drivers(dir, hosts),
		Author: object.Signature{Name: "t", Email: "t@example.com"},
		// The clock passes the window's end while the first batch is committed.
		Crash: func(point string) {
			if point == "batch-committed" {
				now = closed
			}
		}}
	res, err := runner.Apply(context.Background(), opts)
	if err != nil || len(res.Stages) != 1 || res.Stages[0].Result != "" || res.Stages[0].Succeeded != 1 {
		t.Fatalf("first run: %v %+v", err, res)
	}
	if got := testrepo.Git(t, dir, "show", "main:state/waves/2026-11-security/canary.json"); !strings.Contains(got, `"status": "running"`) {
		t.Errorf("state after the window closed: %s", got)
	}
	monday, _ := policy.ParseTime("2026-11-30T21:30:00Z")
	opts.Now, opts.Crash = func() time.Time { return monday }, nil
	res, err = runner.Apply(context.Background(), opts)
	if err != nil || len(res.Stages) < 1 || res.Stages[0].Stage != "canary" || res.Stages[0].Result != "succeeded" || res.Stages[0].Succeeded != 2 {
		t.Fatalf("second run: %v %+v", err, res)
	}
	if got := testrepo.Git(t, dir, "ls-tree", "-r", "--name-only", "main", "audit/"); strings.Count(got, "canary") != 1 {
		t.Errorf("audit records:\n%s", got)
	}
}

// failingFor wraps a real driver and fails Apply for one asset: a stand-in
// for a host whose package manager breaks, named as such.
type failingFor struct {
	driver.Driver
	asset string
}

func (f failingFor) Apply(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Result, error) {
	if t.ID == f.asset {
		return driver.Result{}, errors.New("dpkg: error processing package openssl")
	}
	return f.Driver.Apply(ctx, t, changes)
}

func (f failingFor) Rollback(ctx context.Context, t driver.Target, previous driver.Observation) (driver.Result, error) {
	return f.Driver.(driver.Rollbacker).Rollback(ctx, t, previous)
}

// Past max_failures, on_failure decides: halt leaves the stage halted;
// rollback puts back what the stage changed. Either way the run fails
// (exit 1), the record says so, and the next stage stays blocked.
func TestApplyOnFailure(t *testing.T) {
	for _, onFailure := range []string{"halt", "rollback"} {
		t.Run(onFailure, func(t *testing.T) {
			dir, hosts := testrepo.Hosts(t, "../examples/quickstart")
			wave := filepath.Join(dir, "waves", "2026-11-security.cue")
			data, _ := os.ReadFile(wave)
			// cache-01 comes after app-02 in the canary: app-02 is changed first.
			edited := strings.Replace(string(data), `reboot:       "if-required"`, `reboot:       "if-required"
		on_failure:   "`+onFailure+`"`, 1)
			if err := os.WriteFile(wave, []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			testrepo.Git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-a", "-m", onFailure)
			var reg driver.Registry
			reg.Register("exec", func(d policy.Driver) (driver.Driver, error) {
				real, err := driverexec.New(d, driverexec.Options{Dir: dir, Env: append(os.Environ(), "PATCHWAVE_HOSTS_DIR="+hosts)})
				return failingFor{Driver: real, asset: "cache-01"}, err
			})
			when, _ := policy.ParseTime("2026-11-26T22:30:00Z")
			res, err := runner.Apply(context.Background(), runner.ApplyOptions{Repo: mustOpen(t, dir), Branch: "main",
				Now: func() time.Time { return when }, Drivers: &reg, Author: object.Signature{Name: "t", Email: "t@example.com"}})
			want := map[string]string{"halt": "halted", "rollback": "rolled-back"}[onFailure]
			if !errors.Is(err, runner.ErrStageFailed) || len(res.Stages) != 1 || res.Stages[0].Result != want {
				t.Fatalf("apply: %v %+v", err, res)
			}
			if got := testrepo.Git(t, dir, "log", "-1", "--format=%(trailers:key=Patchwave-Result,valueonly)"); strings.TrimSpace(got) != want {
				t.Errorf("Patchwave-Result: %q, want %q", got, want)
			}
			host, _ := os.ReadFile(filepath.Join(hosts, "app-02.json"))
			patched := strings.Contains(string(host), "1.9.5p2-10.el9_6.1")
			if patched != (onFailure == "halt") {
				t.Errorf("app-02 after %s: %s", onFailure, host)
			}
			// Nothing runs on: the next apply finds nothing due.
			res, err = runner.Apply(context.Background(), runner.ApplyOptions{Repo: mustOpen(t, dir), Branch: "main",
				Now: func() time.Time { return when.Add(96 * time.Hour) }, Drivers: &reg, Author: object.Signature{Name: "t", Email: "t@example.com"}})
			if err != nil || len(res.Stages) != 0 {
				t.Errorf("after the %s: %v %+v", want, err, res)
			}
		})
	}
}

// rebooting wraps a real driver: it says cache-01 needs a reboot after a
// change and counts the reboots it is asked for (a stand-in for a driver
// that reboots hosts, named as such).
type rebooting struct {
	driver.Driver
	mu       *sync.Mutex
	rebooted *[]string
}

func (r rebooting) Apply(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Result, error) {
	res, err := r.Driver.Apply(ctx, t, changes)
	res.RebootRequired = t.ID == "cache-01"
	return res, err
}

func (r rebooting) Reboot(_ context.Context, t driver.Target) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.rebooted = append(*r.rebooted, t.ID)
	return nil
}

// stage.reboot: never, if-required (when the driver says a change needs
// it), always; a driver that cannot reboot leaves it recorded as required.
func TestApplyReboots(t *testing.T) {
	for _, tc := range []struct {
		setting   string
		canReboot bool
		rebooted  string
		recorded  string
	}{
		{"never", true, "", ""},
		{"if-required", true, "cache-01", `"reboot": "done"`},
		{"always", true, "app-02 cache-01", `"reboot": "done"`},
		{"always", false, "", `"reboot": "required: the driver cannot reboot; reboot by hand"`},
	} {
		t.Run(fmt.Sprintf("%s-%v", tc.setting, tc.canReboot), func(t *testing.T) {
			dir, hosts := testrepo.Hosts(t, "../examples/quickstart")
			wave := filepath.Join(dir, "waves", "2026-11-security.cue")
			data, _ := os.ReadFile(wave)
			if err := os.WriteFile(wave, []byte(strings.Replace(string(data), `reboot:       "if-required"`, `reboot:       "`+tc.setting+`"`, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			testrepo.Git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-a", "--allow-empty", "-m", tc.setting)
			var mu sync.Mutex
			var rebooted []string
			var reg driver.Registry
			reg.Register("exec", func(d policy.Driver) (driver.Driver, error) {
				real, err := driverexec.New(d, driverexec.Options{Dir: dir, Env: append(os.Environ(), "PATCHWAVE_HOSTS_DIR="+hosts)})
				if !tc.canReboot {
					return real, err
				}
				return rebooting{Driver: real, mu: &mu, rebooted: &rebooted}, err
			})
			when, _ := policy.ParseTime("2026-11-26T22:30:00Z")
			res, err := runner.Apply(context.Background(), runner.ApplyOptions{Repo: mustOpen(t, dir), Branch: "main",
				Now: func() time.Time { return when }, Drivers: &reg, Author: object.Signature{Name: "t", Email: "t@example.com"}})
			if err != nil || len(res.Stages) != 1 || res.Stages[0].Result != "succeeded" {
				t.Fatalf("apply: %v %+v", err, res)
			}
			slices.Sort(rebooted)
			if got := strings.Join(rebooted, " "); got != tc.rebooted {
				t.Errorf("rebooted %q, want %q", got, tc.rebooted)
			}
			st := testrepo.Git(t, dir, "show", "main:state/waves/2026-11-security/canary.json")
			if (tc.recorded == "") == strings.Contains(st, `"reboot"`) || !strings.Contains(st, tc.recorded) {
				t.Errorf("state: want %q in\n%s", tc.recorded, st)
			}
		})
	}
}
