package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for patchwave when the demo runs
// it as the simulated hosts' command (os.Executable is the test binary).
func TestMain(m *testing.M) {
	if os.Getenv("PATCHWAVE_TEST_AS_CLI") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], streams{out: os.Stdout, err: os.Stderr}, os.Getenv))
	}
	os.Exit(m.Run())
}

func TestDemo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	t.Setenv("PATCHWAVE_TEST_AS_CLI", "1")
	dir := t.TempDir()
	r := runCLI(t, nil, "demo", "--demo-dir", dir)
	if r.code != 0 {
		t.Fatalf("demo: %s", r)
	}
	for _, want := range []string{"pull request pr/2026-11-security", "stage canary succeeded (3/3)", "stage pilot succeeded (3/3)",
		"stage broad succeeded (4/4)", "pull request pr/rollback-broad", "1 rollback due", "rollback broad-back of wave 2026-11-security rolled-back (4/4)",
		"Rollback broad-back (rollback) of wave 2026-11-security, stages broad", "audit trail intact: 26 commits, 23 runner commits (0 signed), 4 records", "# Patch compliance as of 2026-12-06 09:00 UTC",
		"| web-03 | DSA-6015-1 | high | overdue | 2026-12-04 | - |  |", "The repository: " + filepath.Join(dir, "fleet")} {
		if !strings.Contains(r.out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, r.out)
		}
	}
	fleet := filepath.Join(dir, "fleet")
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", fleet}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// Every stage commit carries the trailers; the tree is clean and sound.
	results := git("log", "--format=%(trailers:key=Patchwave-Stage,valueonly)%(trailers:key=Patchwave-Result,valueonly)", "--grep=succeeded (")
	for _, stage := range []string{"canary\nsucceeded", "pilot\nsucceeded", "broad\nsucceeded"} {
		if !strings.Contains(results, stage) {
			t.Errorf("no stage commit for %q in:\n%s", stage, results)
		}
	}
	if status := git("status", "--porcelain"); status != "" {
		t.Errorf("the demo left the work tree dirty:\n%s", status)
	}
	git("fsck", "--strict")
	if remote, err := exec.Command("git", "-C", filepath.Join(dir, "remote.git"), "rev-parse", "main").Output(); err != nil || strings.TrimSpace(string(remote)) != strings.TrimSpace(git("rev-parse", "main")) {
		t.Errorf("the remote's main (%s, %v) is not the fleet's", remote, err)
	}
	// The simulated hosts were patched, and those of the broad stage put
	// back: web-03 to what it ran before (3.0.15), which an older advisory
	// had left it at.
	for host, want := range map[string]string{"web-01": "3.0.17-1~deb12u3", "web-03": `"openssl": "3.0.15-1~deb12u1"`} {
		if data, err := os.ReadFile(filepath.Join(dir, "hosts", host+".json")); err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s lacks %s: %s %v", host, want, data, err)
		}
	}
	// The rollback's commit carries its trailers.
	last := git("log", "-1", "--format=%(trailers:key=Patchwave-Rollback,valueonly)%(trailers:key=Patchwave-Result,valueonly)")
	if strings.TrimSpace(last) != "broad-back\nrolled-back" {
		t.Errorf("the rollback commit's trailers: %q", last)
	}
}
