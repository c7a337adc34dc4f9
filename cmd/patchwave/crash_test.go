//go:build !race

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/patchwave/patchwave/internal/folderhost"
	"github.com/patchwave/patchwave/internal/testrepo"
)

// kill -9 at every named point of a stage run, then run apply again: each
// run resumes cleanly. No asset is changed twice (the simulated hosts log
// every change), no audit record is lost or written twice (the chain
// verifies and counts one record per stage), and git stays sound.
func TestCrashAndResume(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const canaryAt, pilotAt = "2026-11-26T22:30:00Z", "2026-11-30T22:00:00Z"
	type scenario struct {
		before  []string // apply runs that must succeed first
		at      string   // the run that crashes, then resumes
		crash   string
		stages  int      // audit records at the end
		changed []string // assets changed, once each ("ID" applied, "ID rollback" put back)
		// rollback, when set, makes the crashing run (and the resuming
		// ones) this break-glass rollback instead of apply.
		rollback []string
	}
	var scenarios []scenario
	// Canary and pilot run two batches of one asset each.
	for _, point := range []string{"stage-start#1", "observed#1", "observed#2", "pending-committed#1", "pending-committed#2",
		"applied#1", "applied#2", "batch-committed#1", "batch-committed#2", "record-committed#1"} {
		scenarios = append(scenarios,
			scenario{at: canaryAt, crash: point, stages: 1, changed: []string{"app-02", "cache-01"}},
			scenario{before: []string{canaryAt}, at: pilotAt, crash: point, stages: 2, changed: []string{"app-01", "app-02", "cache-01", "web-01"}})
	}
	// A break-glass rollback of cache-01 after the canary, killed at each
	// of its points and run again.
	for _, point := range []string{"rollback-pending-committed#1", "rolled-back#1", "rollback-record-committed#1"} {
		scenarios = append(scenarios, scenario{before: []string{canaryAt}, at: "2026-11-27T08:00:00Z", crash: point, stages: 2,
			changed: []string{"app-02", "cache-01", "cache-01 rollback"}, rollback: []string{"--wave", "2026-11-security", "--asset", "cache-01", "--reason", "INC-1"}})
	}
	if len(scenarios) < 20 {
		t.Fatalf("%d crash points, want at least 20", len(scenarios))
	}
	var crashed atomic.Int32
	for i, sc := range scenarios {
		t.Run(fmt.Sprintf("%02d-%s-%s", i, sc.at[:10], sc.crash), func(t *testing.T) {
			t.Parallel()
			dir, hosts := testrepo.Hosts(t, quickstart, self, "folder-host")
			run := func(at, crash string, args ...string) error {
				cmd := exec.Command(self, append(args, "--dir", dir, "--at", at)...)
				cmd.Env = append(os.Environ(), "PATCHWAVE_TEST_AS_CLI=1", "PATCHWAVE_HOSTS_DIR="+hosts, "PATCHWAVE_TEST_CRASH_AT="+crash)
				out, err := cmd.CombinedOutput()
				if err != nil {
					return fmt.Errorf("%w\n%s", err, out)
				}
				return nil
			}
			apply := func(at, crash string) error {
				if sc.rollback != nil && at == sc.at {
					return run(at, crash, append([]string{"rollback"}, sc.rollback...)...)
				}
				return run(at, crash, "apply", "--offline")
			}
			for _, at := range sc.before {
				if err := apply(at, ""); err != nil {
					t.Fatalf("apply at %s: %v", at, err)
				}
			}
			err := apply(sc.at, sc.crash)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("apply did not die at %s: %v", sc.crash, err)
			}
			crashed.Add(1)
			if err := apply(sc.at, ""); err != nil {
				t.Fatalf("resuming: %v", err)
			}
			if err := apply(sc.at, ""); err != nil { // and once more: nothing left to do
				t.Fatalf("again: %v", err)
			}
			log, _ := os.ReadFile(filepath.Join(hosts, folderhost.ChangeLog))
			var changes []string
			for _, l := range strings.Split(strings.TrimSpace(string(log)), "\n") {
				changes = append(changes, l)
			}
			want := make([]string, len(sc.changed))
			for i, id := range sc.changed {
				if !strings.Contains(id, " ") {
					id += " apply"
				}
				want[i] = id
			}
			if got := slices.Sorted(slices.Values(changes)); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("changes on the hosts: %v, want each of %v once", got, want)
			}
			records := testrepo.Records(t, dir)
			if len(records) != sc.stages {
				t.Fatalf("%d audit records, want %d", len(records), sc.stages)
			}
			for _, r := range records {
				if want := map[string]string{"stage": "succeeded"}[r.Record.Kind]; r.Record.Result != want && !(r.Record.Kind == "break-glass" && r.Record.Result == "rolled-back") {
					t.Errorf("%s: %s %s", r.Path, r.Record.Kind, r.Record.Result)
				}
			}
			testrepo.Git(t, dir, "fsck", "--strict")
		})
	}
	t.Cleanup(func() {
		if n := int(crashed.Load()); n != len(scenarios) && !t.Failed() {
			t.Errorf("apply died at %d of %d crash points", n, len(scenarios))
		}
	})
}
