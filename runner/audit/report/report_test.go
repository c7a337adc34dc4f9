package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchwave/patchwave/internal/goldenfile"
	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/audit/report"
	"github.com/patchwave/patchwave/runner/gitstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const quickstart = "../../../examples/quickstart"

// The quickstart's history, built once for all tests of this package: the
// hosts of examples/quickstart (internal/testrepo: its images need a
// registry, whose random digests would change every run) committed on
// 2026-11-20, then apply at the times the demo applies (internal/demo's
// applyTimes): the canary on Thursday 2026-11-26 22:30 UTC (eu-night),
// the pilot on Monday 2026-11-30 22:00 UTC after the canary's 24h soak,
// and the broad stage on Saturday 2026-12-05 08:00 UTC (us-weekend).
var (
	historyOnce sync.Once
	historyDir  string
	historyErr  string
)

const fleetTime = "2026-11-20T09:00:00Z"

var applyTimes = []string{"2026-11-26T22:30:00Z", "2026-11-30T22:00:00Z", "2026-12-05T08:00:00Z"}

func history(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	historyOnce.Do(func() {
		// The history outlives the test that builds it first.
		base, err := os.MkdirTemp("", "patchwave-report-")
		if err != nil {
			historyErr = err.Error()
			return
		}
		ht := &holder{T: t, base: base}
		dir, hosts := testrepo.Hosts(ht, quickstart)
		// The fleet commit gets a fixed time, so that dates before the
		// canary find it whatever the clock says.
		cmd := exec.Command("git", "commit", "-q", "--amend", "--no-edit", "--date="+fleetTime)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE="+fleetTime)
		if out, err := cmd.CombinedOutput(); err != nil {
			historyErr = string(out) + err.Error()
			return
		}
		for _, at := range applyTimes {
			when, _ := policy.ParseTime(at)
			if res, err := testrepo.Apply(t, dir, hosts, when); err != nil || len(res.Stages) != 1 {
				historyErr = "apply at " + at + ": " + errString(err)
				return
			}
		}
		historyDir = dir
	})
	if historyErr != "" {
		t.Fatal(historyErr)
	}
	if historyDir == "" {
		t.Skip("the quickstart history could not be built (see the first test's log)")
	}
	return historyDir
}

// holder hands out temporary folders that outlive the test (the history
// is shared by the tests of this package); TestMain removes them.
type holder struct {
	*testing.T
	base string
	n    int
}

func (h *holder) TempDir() string {
	h.n++
	dir := filepath.Join(h.base, strings.Repeat("d", h.n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		h.Fatal(err)
	}
	return dir
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if historyDir != "" {
		os.RemoveAll(filepath.Dir(historyDir))
	}
	os.Exit(code)
}

func errString(err error) string {
	if err == nil {
		return "not one stage"
	}
	return err.Error()
}

func compute(t *testing.T, dir, at string) *report.Report {
	t.Helper()
	repo, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	when, err := policy.ParseTime(at)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Compute(context.Background(), report.Options{Repo: repo, Branch: "main", At: when})
	if err != nil {
		t.Fatalf("report as of %s: %v", at, err)
	}
	return r
}

// The report at four dates of the quickstart history, against numbers
// worked out by hand from examples/quickstart:
//
// RHSA-2025:9978 (sudo 1.9.5p2-10.el9_6.1 on rhel, rocky, almalinux) is
// critical, released 2026-11-18, SLA 7d: due 2026-11-25. Five assets run
// an older sudo there: app-02 (canary), app-01 (pilot), mail-01 and erp-01
// (broad), jump-01 (no group: "missing"). erp-01 has an exception until
// 2027-09-30. DSA-6015-1 (openssl, libssl3 3.0.17-1~deb12u3 on debian) is
// high, released 2026-11-20, SLA 14d: due 2026-12-04. Five debian hosts
// run an older one: cache-01 (canary), web-01 (pilot), web-02, web-03 and
// db-01 (broad); lb-01 has it already and ws-eng-07 runs ubuntu.
// shop-api-1.14.3 applies to images, which this history has none of.
func TestQuickstartByHand(t *testing.T) {
	dir := history(t)
	type counts struct{ needing, within, late, overdue, excepted, notDue int }
	type patchWant struct {
		missing, scheduled, installed int
		tested                        bool
	}
	for _, tc := range []struct {
		name, at                string
		critical, high, overall counts
		rhsa, dsa               patchWant
		statuses                map[string]string // "asset patch" -> status
	}{{
		// Before the canary: the fleet commit. sudo is overdue everywhere
		// but on erp-01 (excepted); openssl is not yet due.
		name: "before-canary", at: "2026-11-26T12:00:00Z",
		critical: counts{needing: 5, overdue: 4, excepted: 1},
		high:     counts{needing: 5, notDue: 5},
		overall:  counts{needing: 10, overdue: 4, excepted: 1, notDue: 5},
		rhsa:     patchWant{missing: 1, scheduled: 3},
		dsa:      patchWant{scheduled: 5},
		statuses: map[string]string{"app-02 RHSA-2025:9978": report.Overdue, "erp-01 RHSA-2025:9978": report.Excepted,
			"jump-01 RHSA-2025:9978": report.Overdue, "cache-01 DSA-6015-1": report.NotDue},
	}, {
		// After the canary (2026-11-26 22:30): app-02 got sudo a day
		// after its due date (late), cache-01 openssl in time; both
		// patches are tested.
		name: "after-canary", at: "2026-11-28T00:00:00Z",
		critical: counts{needing: 4, late: 1, overdue: 3, excepted: 1},
		high:     counts{needing: 4, within: 1, notDue: 4},
		overall:  counts{needing: 8, within: 1, late: 1, overdue: 3, excepted: 1, notDue: 4},
		rhsa:     patchWant{missing: 1, scheduled: 2, installed: 1, tested: true},
		dsa:      patchWant{scheduled: 4, installed: 1, tested: true},
		statuses: map[string]string{"app-02 RHSA-2025:9978": report.Late, "cache-01 DSA-6015-1": report.WithinSLA,
			"app-01 RHSA-2025:9978": report.Overdue, "web-01 DSA-6015-1": report.NotDue},
	}, {
		// After the pilot (2026-11-30 22:00): app-01 late, web-01 in time.
		name: "after-pilot", at: "2026-12-01T00:00:00Z",
		critical: counts{needing: 3, late: 2, overdue: 2, excepted: 1},
		high:     counts{needing: 3, within: 2, notDue: 3},
		overall:  counts{needing: 6, within: 2, late: 2, overdue: 2, excepted: 1, notDue: 3},
		rhsa:     patchWant{missing: 1, scheduled: 1, installed: 2, tested: true},
		dsa:      patchWant{scheduled: 3, installed: 2, tested: true},
		statuses: map[string]string{"app-01 RHSA-2025:9978": report.Late, "web-01 DSA-6015-1": report.WithinSLA,
			"web-02 DSA-6015-1": report.NotDue},
	}, {
		// After the broad stage (2026-12-05 08:00), past openssl's due
		// date (2026-12-04): web-02, web-03, db-01 and mail-01 are late;
		// jump-01 is still overdue, erp-01 still excepted.
		name: "after-broad", at: "2026-12-06T00:00:00Z",
		critical: counts{needing: 2, late: 3, overdue: 1, excepted: 1},
		high:     counts{needing: 0, within: 2, late: 3},
		overall:  counts{needing: 2, within: 2, late: 6, overdue: 1, excepted: 1},
		rhsa:     patchWant{missing: 1, scheduled: 0, installed: 3, tested: true},
		dsa:      patchWant{scheduled: 0, installed: 5, tested: true},
		statuses: map[string]string{"web-02 DSA-6015-1": report.Late, "db-01 DSA-6015-1": report.Late,
			"cache-01 DSA-6015-1": report.WithinSLA, "mail-01 RHSA-2025:9978": report.Late,
			"jump-01 RHSA-2025:9978": report.Overdue, "erp-01 RHSA-2025:9978": report.Excepted},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := compute(t, dir, tc.at)
			// The commit is the one git log finds as of the same time.
			want := strings.TrimSpace(testrepo.Git(t, dir, "log", "-1", "--first-parent", "--until="+tc.at, "--format=%H", "main"))
			if r.Commit != want {
				t.Errorf("commit %s, git log --until finds %s", r.Commit, want)
			}
			got := func(c report.Counts) counts {
				return counts{c.AssetsNeeding, c.WithinSLA, c.Late, c.Overdue, c.Excepted, c.NotDue}
			}
			sev := map[string]report.Counts{}
			for _, s := range r.Severities {
				sev[s.Severity] = s.Counts
			}
			if g := got(sev["critical"]); g != tc.critical {
				t.Errorf("critical: %+v, want %+v", g, tc.critical)
			}
			if g := got(sev["high"]); g != tc.high {
				t.Errorf("high: %+v, want %+v", g, tc.high)
			}
			if g := got(sev["medium"]); g != (counts{}) {
				t.Errorf("medium: %+v, want none", g)
			}
			if g := got(r.Overall); g != tc.overall {
				t.Errorf("overall: %+v, want %+v", g, tc.overall)
			}
			patches := map[string]patchWant{}
			for _, p := range r.Patches {
				patches[p.ID] = patchWant{p.Missing, p.Scheduled, p.Installed, p.Tested}
			}
			if g := patches["RHSA-2025:9978"]; g != tc.rhsa {
				t.Errorf("RHSA-2025:9978: %+v, want %+v", g, tc.rhsa)
			}
			if g := patches["DSA-6015-1"]; g != tc.dsa {
				t.Errorf("DSA-6015-1: %+v, want %+v", g, tc.dsa)
			}
			if g := patches["shop-api-1.14.3"]; g != (patchWant{}) {
				t.Errorf("shop-api-1.14.3: %+v, want nothing", g)
			}
			statuses := map[string]string{}
			for _, a := range r.Assets {
				statuses[a.Asset+" "+a.Patch] = a.Status
			}
			if len(statuses) != 10 {
				t.Errorf("%d asset rows, want 10: %v", len(statuses), statuses)
			}
			for k, want := range tc.statuses {
				if statuses[k] != want {
					t.Errorf("%s: %q, want %q", k, statuses[k], want)
				}
			}
		})
	}
}

// The three dates of the acceptance test, in every text format, against
// golden files (go test -update rewrites them). The commit hash differs
// from run to run (the simulated hosts' command is a fresh build's path):
// the goldens name it <commit>; TestQuickstartByHand checks it.
func TestQuickstartGolden(t *testing.T) {
	dir := history(t)
	for _, at := range []string{"2026-11-26T12:00:00Z", "2026-11-28T00:00:00Z", "2026-12-06T00:00:00Z"} {
		r := compute(t, dir, at)
		r.Commit = "<commit>"
		name := "quickstart-" + at[:10]
		for _, f := range []struct {
			ext    string
			render func(*bytes.Buffer, *report.Report) error
		}{
			{"md", func(b *bytes.Buffer, r *report.Report) error { return report.Markdown(b, r) }},
			{"csv", func(b *bytes.Buffer, r *report.Report) error { return report.CSV(b, r) }},
			{"json", func(b *bytes.Buffer, r *report.Report) error { return report.JSON(b, r) }},
		} {
			t.Run(name+"."+f.ext, func(t *testing.T) {
				var b bytes.Buffer
				if err := f.render(&b, r); err != nil {
					t.Fatal(err)
				}
				golden(t, name+"."+f.ext, b.String())
			})
		}
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

// The JSON keeps the documented shape: format_version 1, the top-level
// fields, and lists that are never null.
func TestJSONShape(t *testing.T) {
	r := compute(t, history(t), "2026-12-06T00:00:00Z")
	var b bytes.Buffer
	if err := report.JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["format_version"] != float64(1) {
		t.Errorf("format_version = %v", doc["format_version"])
	}
	for _, k := range []string{"at", "branch", "commit", "commit_time", "severities", "overall", "patches", "assets"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %q in %s", k, b.String())
		}
	}
	for _, k := range []string{"severities", "patches", "assets"} {
		if _, ok := doc[k].([]any); !ok {
			t.Errorf("%q is not a list", k)
		}
	}
}

// Before the first commit there is nothing to report on.
func TestBeforeHistory(t *testing.T) {
	repo, err := gitstore.Open(history(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = report.Compute(context.Background(), report.Options{Repo: repo, Branch: "main", At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err == nil || !strings.Contains(err.Error(), "first commit") {
		t.Errorf("err = %v", err)
	}
}
