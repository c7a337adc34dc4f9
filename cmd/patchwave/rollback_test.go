package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchwave/patchwave/internal/testrepo"
)

// rollback (break-glass), audit log and audit verify through the CLI, on
// a real repository signed by the runner's key.
func TestRollbackAndAuditCLI(t *testing.T) {
	dir, hosts := testrepo.Hosts(t, quickstart)
	t.Setenv("PATCHWAVE_HOSTS_DIR", hosts)
	private, public := testrepo.PGPKey(t, "runner")
	if err := os.WriteFile(filepath.Join(dir, "keys.cue"), []byte("package patchwave\n\npolicy: trusted_keys: ["+jsonString(public)+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testrepo.Git(t, dir, "add", ".")
	testrepo.Git(t, dir, "-c", "user.name=alice", "-c", "user.email=alice@example.com", "commit", "-q", "-m", "trust the runner's key")
	env := map[string]string{"PATCHWAVE_SIGNING_KEY": private, "USER": "oncall"}

	if r := runCLI(t, env, "apply", "--dir", dir, "--offline", "--at", "2026-11-26T22:30:00Z"); r.code != 0 {
		t.Fatalf("apply: %s", r)
	}
	if r := runCLI(t, env, "rollback", "--dir", dir, "--at", "2026-11-27T08:00:00Z", "--wave", "2026-11-security"); r.code != 3 || !strings.Contains(r.err, "--reason") {
		t.Errorf("rollback without --reason: %s", r)
	}
	if r := runCLI(t, env, "rollback", "--dir", dir, "--at", "2026-11-27T08:00:00Z", "--wave", "2026-11-nope", "--reason", "x"); r.code != 1 || !strings.Contains(r.err, `wave "2026-11-nope"`) {
		t.Errorf("rollback of an unknown wave: %s", r)
	}
	r := runCLI(t, env, "rollback", "--dir", dir, "--at", "2026-11-27T08:00:00Z", "--wave", "2026-11-security", "--asset", "cache-01", "--reason", "INC-4711: cache-01 crashes")
	if r.code != 0 || !strings.Contains(r.out, "break-glass break-glass-20261127-080000 of wave 2026-11-security rolled-back (1/1)") {
		t.Fatalf("rollback: %s", r)
	}
	if data, err := os.ReadFile(filepath.Join(hosts, "cache-01.json")); err != nil || !strings.Contains(string(data), "3.0.17-1~deb12u2") {
		t.Errorf("cache-01 after the rollback: %s %v", data, err)
	}

	testrepo.Git(t, dir, "reset", "-q", "--hard") // status reads the work tree: bring it to the runner's commits
	r = runCLI(t, nil, "status", "--dir", dir, "--at", "2026-11-27T09:00:00Z", "--assets")
	if r.code != 0 || !strings.Contains(r.out, "Rollback break-glass-20261127-080000 (break-glass) of wave 2026-11-security, stages canary, pilot, broad") ||
		!strings.Contains(r.out, "1 rolled-back") || !strings.Contains(r.out, "canary       rolled-back") {
		t.Errorf("status after the rollback: %s", r)
	}
	r = runCLI(t, nil, "audit", "log", "--dir", dir, "--asset", "cache-01")
	if r.code != 0 || strings.Count(r.out, " signed ") != 2 || !strings.Contains(r.out, "break-glass break-glass-20261127-080000 of wave 2026-11-security (canary, pilot, broad)  rolled-back  [1 rolled-back]  by oncall (local)") ||
		!strings.Contains(r.out, "cache-01 rolled-back: libssl3 3.0.17-1~deb12u3 -> 3.0.17-1~deb12u2, openssl 3.0.17-1~deb12u3 -> 3.0.17-1~deb12u2\n") {
		t.Errorf("audit log --asset:\n%s", r)
	}
	r = runCLI(t, nil, "audit", "log", "--dir", dir, "--format", "json", "--since", "2026-11-27")
	var entries []struct {
		Commit string
		Record struct{ Kind, Reason string }
	}
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil || len(entries) != 1 || entries[0].Record.Kind != "break-glass" || entries[0].Record.Reason != "INC-4711: cache-01 crashes" {
		t.Errorf("audit log --format json --since: %v %s", err, r)
	}

	r = runCLI(t, nil, "audit", "verify", "--dir", dir)
	if r.code != 0 || !strings.Contains(r.out, "audit trail intact") {
		t.Fatalf("verify of an honest history: %s", r)
	}
	// A person edits the state to unblock the wave: verify names the
	// commit and the file, and exits 1.
	testrepo.Git(t, dir, "reset", "-q", "--hard")
	edit(t, dir, "state/waves/2026-11-security/canary.json", `"status": "rolled-back"`, `"status": "done"`)
	testrepo.Git(t, dir, "-c", "user.name=mallory", "-c", "user.email=m@example.com", "commit", "-q", "-a", "-m", "unblock")
	head := strings.TrimSpace(testrepo.Git(t, dir, "rev-parse", "--short=12", "HEAD"))
	r = runCLI(t, nil, "audit", "verify", "--dir", dir)
	if r.code != 1 || !strings.Contains(r.out, head+" state/waves/2026-11-security/canary.json: not-a-runner-commit") || !strings.Contains(r.out, "TAMPERED: 1 problems") {
		t.Errorf("verify after tampering: %s", r)
	}
}

func jsonString(s string) string {
	data, _ := json.Marshal(s)
	return string(data)
}
