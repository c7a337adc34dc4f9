package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/internal/testrepo"
)

// audit report through the CLI, on a real repository after the canary
// (not parallel: the exec driver passes the process environment).
func TestAuditReportCLI(t *testing.T) {
	dir, hosts := testrepo.Hosts(t, quickstart)
	canary := time.Date(2026, 11, 26, 22, 30, 0, 0, time.UTC)
	if res, err := testrepo.Apply(t, dir, hosts, canary); err != nil || len(res.Stages) != 1 {
		t.Fatalf("canary: %v", err)
	}

	r := runCLI(t, nil, "audit", "report", "--dir", dir, "--at", "2026-11-28", "--format", "json")
	if r.code != exitOK {
		t.Fatalf("json: %s", r)
	}
	var doc struct {
		FormatVersion int    `json:"format_version"`
		Branch        string `json:"branch"`
		Overall       struct {
			Late      int `json:"installed_late"`
			WithinSLA int `json:"installed_within_sla"`
		} `json:"overall"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	// The canary installed sudo on app-02 after its due date and openssl
	// on cache-01 before it.
	if doc.FormatVersion != 1 || doc.Branch != "main" || doc.Overall.Late != 1 || doc.Overall.WithinSLA != 1 {
		t.Errorf("report: %+v", doc)
	}

	// PATCHWAVE_NOW sets the time as --at does; --out writes the file.
	out := filepath.Join(t.TempDir(), "report.html")
	r = runCLI(t, map[string]string{"PATCHWAVE_NOW": "2026-11-28T00:00:00Z"}, "audit", "report", "--dir", dir, "--format", "html", "--out", out, "--branch", "main")
	if r.code != exitOK || r.out != "" {
		t.Fatalf("html --out: %s", r)
	}
	if data, err := os.ReadFile(out); err != nil || !strings.Contains(string(data), `<svg id="chart-severity"`) {
		t.Errorf("report.html: %v\n%.300s", err, data)
	}

	r = runCLI(t, nil, "audit", "report", "--dir", dir, "--at", "2026-11-28")
	if r.code != exitOK || !strings.Contains(r.out, "| **all** | 8 | 1 | 1 | 3 | 1 | 4 |") {
		t.Errorf("markdown: %s", r)
	}
	if r := runCLI(t, nil, "audit", "report", "--dir", dir, "--at", "2026-11-28", "--format", "csv"); r.code != exitOK || !strings.HasPrefix(r.out, "table,severity,patch,asset,status,") {
		t.Errorf("csv: %s", r)
	}

	// Before the first commit there is nothing to report: exit 1.
	if r := runCLI(t, nil, "audit", "report", "--dir", dir, "--at", "2000-01-01"); r.code != exitFailure || !strings.Contains(r.err, "no commit") {
		t.Errorf("before history: %s", r)
	}
	if r := runCLI(t, nil, "audit", "report", "--dir", dir, "--format", "pdf"); r.code != exitUsage {
		t.Errorf("bad format: %s", r)
	}
	if r := runCLI(t, nil, "audit", "report", "--dir", dir, "extra"); r.code != exitUsage {
		t.Errorf("an argument: %s", r)
	}
	if r := runCLI(t, nil, "audit", "report", "--dir", t.TempDir()); r.code != exitFailure || !strings.Contains(r.err, "git repository") {
		t.Errorf("not a repository: %s", r)
	}
}

func TestAuditHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "--help")
	if r.code != exitOK || !strings.Contains(r.out, "Read the git history for auditors") {
		t.Errorf("--help: %s", r)
	}
	r = runCLI(t, nil, "audit", "--help")
	if r.code != exitOK || !strings.Contains(r.out, "Compliance as of --at") {
		t.Errorf("audit --help: %s", r)
	}
	r = runCLI(t, nil, "audit", "report", "--help")
	if r.code != exitOK || !strings.Contains(r.out, "Exit codes: 0") || !strings.Contains(r.out, "markdown|csv|json|html") {
		t.Errorf("audit report --help: %s", r)
	}
}
