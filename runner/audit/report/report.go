package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// FormatVersion is the version of the JSON shape of a report (doc.go).
const FormatVersion = 1

// Statuses of one asset and patch as of the report's time.
const (
	WithinSLA = "within-sla" // installed by its due date (or the severity has no SLA)
	Late      = "late"       // installed after its due date
	Overdue   = "overdue"    // still needed, past its due date, not excepted
	Excepted  = "excepted"   // still needed, covered by an unexpired exception
	NotDue    = "not-due"    // still needed, its due date not reached
)

// Options say which history to read and as of when.
type Options struct {
	Repo *git.Repository
	// Dir is the policy folder inside the repository, slash-separated,
	// "" for the top.
	Dir string
	// Branch names the history: a branch ("main"), a ref or a commit.
	Branch string
	// At is the time the report is as of.
	At time.Time
}

// Report is the compliance of a fleet as of a time.
type Report struct {
	FormatVersion int       `json:"format_version"`
	At            time.Time `json:"at"`
	Branch        string    `json:"branch"`
	// Commit is the commit the report was computed from: the branch as of
	// At; CommitTime is its committer time.
	Commit     string    `json:"commit"`
	CommitTime time.Time `json:"commit_time"`
	// Severities holds one row per severity, critical first; Overall
	// counts them all (an asset needing patches of two severities counts
	// once).
	Severities []SeverityRow `json:"severities"`
	Overall    Counts        `json:"overall"`
	Patches    []PatchRow    `json:"patches"`
	// Assets holds one row per asset and patch that applies to it, by
	// asset, then patch.
	Assets []AssetRow `json:"assets"`
}

// Counts are the numbers of a severity, or of all. AssetsNeeding counts
// assets; the others count (asset, patch) pairs.
type Counts struct {
	// AssetsNeeding counts assets with at least one patch not installed
	// (overdue, excepted or not yet due).
	AssetsNeeding int `json:"assets_needing"`
	WithinSLA     int `json:"installed_within_sla"`
	Late          int `json:"installed_late"`
	Overdue       int `json:"overdue"`
	Excepted      int `json:"excepted"`
	NotDue        int `json:"not_due"`
}

// SeverityRow is the counts of one severity.
type SeverityRow struct {
	Severity string `json:"severity"`
	Counts
}

// PatchRow is where one patch stands.
type PatchRow struct {
	ID       string    `json:"id"`
	Severity string    `json:"severity"`
	Released time.Time `json:"released"`
	// Due is released + the policy's SLA for the severity; zero (and
	// left out) when the policy sets none.
	Due time.Time `json:"due,omitzero"`
	// Assets counts the assets the patch applies to: installed or still
	// needed.
	Assets int `json:"assets"`
	// Missing counts assets needing the patch that no wave schedules
	// (excepted assets aside).
	Missing int `json:"missing"`
	// Scheduled counts assets that a wave carrying the patch will still
	// change; Waves names those waves.
	Scheduled int      `json:"scheduled"`
	Waves     []string `json:"waves"`
	// Tested is set when the first stage of a wave carrying the patch is
	// done (the canary), at TestedAt.
	Tested    bool      `json:"tested"`
	TestedAt  time.Time `json:"tested_at,omitzero"`
	Installed int       `json:"installed"`
	Counts
}

// AssetRow is one patch on one asset.
type AssetRow struct {
	Asset    string `json:"asset"`
	Patch    string `json:"patch"`
	Severity string `json:"severity"`
	// Status is one of "within-sla", "late", "overdue", "excepted",
	// "not-due".
	Status string    `json:"status"`
	Due    time.Time `json:"due,omitzero"`
	// InstalledAt, Wave and Stage say when and by which stage an
	// installed patch was installed.
	InstalledAt time.Time `json:"installed_at,omitzero"`
	Wave        string    `json:"wave,omitempty"`
	Stage       string    `json:"stage,omitempty"`
	// Exception is the exception covering an excepted pair.
	Exception *Exception `json:"exception,omitempty"`
}

// Exception is the policy exception behind an "excepted" row.
type Exception struct {
	Reason     string    `json:"reason"`
	ApprovedBy []string  `json:"approved_by"`
	Expires    time.Time `json:"expires"`
}

// Compute reads the repository as of o.At and classifies every patch on
// every asset it applies to. The policy, inventory and state come from the
// one commit the branch pointed at then (see doc.go).
func Compute(ctx context.Context, o Options) (*Report, error) {
	if o.Branch == "" {
		o.Branch = "main"
	}
	at := o.At.UTC()
	h, when, err := commitAsOf(o.Repo, o.Branch, at)
	if err != nil {
		return nil, fmt.Errorf("finding the commit of %q as of %s: %w", o.Branch, at.Format(time.RFC3339), err)
	}
	fsys, err := gitstore.TreeFS(o.Repo, h.String(), o.Dir)
	if err != nil {
		return nil, err
	}
	prefix := h.String()[:12] + ":"
	if o.Dir != "" {
		prefix += o.Dir + "/"
	}
	src := runner.Source{FS: fsys, Prefix: prefix}
	p, err := runner.Prepare(ctx, src, runner.PrepareOptions{At: at})
	if errors.Is(err, runner.ErrInvalid) && onlyExpired(p.Problems) {
		// An exception that expired by At makes the repository invalid
		// for plan and apply (renew it or remove it); for the report it is
		// a fact: it no longer covers its asset, which classify judges as
		// of At. Load the repository as of before any expiry, and plan as
		// of At as Prepare does.
		if p, err = runner.Prepare(ctx, src, runner.PrepareOptions{At: time.Unix(0, 0).UTC()}); err == nil {
			p.Plan = plan.Compute(plan.Input{Repo: p.Repo, State: p.State, At: at, Offline: true})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", prefix, runner.WithProblems(p, err))
	}
	r := classify(p, at)
	r.Branch, r.Commit, r.CommitTime = o.Branch, h.String(), when.UTC()
	return r, nil
}

// onlyExpired reports whether the only errors of a repository are
// exceptions expired as of the load's time.
func onlyExpired(probs policy.Problems) bool {
	expired := false
	for _, pr := range probs {
		if pr.Level != policy.LevelError {
			continue
		}
		if pr.Code != "exception-expired" {
			return false
		}
		expired = true
	}
	return expired
}
