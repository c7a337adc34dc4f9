// Package report computes the compliance report of `patchwave audit
// report`: how the fleet stood against the patch policy as of any time,
// computed from the repository's git history, with no retention limit,
// and renders it as Markdown, CSV, JSON or one self-contained HTML page.
//
// # As of a time, from history
//
// Compute finds the commit the branch pointed at as of Options.At: the
// newest commit on the branch's first-parent line whose committer time is
// not after At (the commit `git log -1 --first-parent --until=At` shows).
// At the head that is one object read. Further back it reads one commit
// object per step, and of it only the header lines (first parent and
// committer), never the message, a tree or a diff: PERF-NOTES.md measured
// go-git's full commit decoding at 7 times git log, and tree diffs at
// ~5 ms per commit. Where git wrote a commit-graph file (git gc, git
// commit-graph write: an auditor's clone), the walk reads commit times and
// parents from it instead, with no object reads; commits newer than the
// graph are read from their headers.
//
// Everything else comes from that one commit's tree, through
// gitstore.TreeFS and runner.Prepare (offline: no registry), as of At:
// the policy, inventory, waves and exceptions in force then, and
// the recorded state (state/waves/W/S.json, one file per stage, with each
// asset's result, before and after observations and time). The audit
// records are not read: the state files carry the same per-asset results,
// one small file per stage instead of one record per stage run, so the
// report's cost does not grow with the history's length.
//
// An exception that expired by At makes a repository invalid for validate,
// plan and apply (it must be renewed or removed). The report reads such a
// commit anyway: as of At the exception simply covers nothing, and its
// pair is overdue. Any other error makes Compute fail, naming the problems.
//
// # Classification
//
// Which assets need which patch is the planner's answer (plan.Compute),
// asked twice more of the same repository with its exceptions left out
// (so that excepted pairs are counted): with the recorded state (still
// needed at At) and without it (needed by the inventory before the runner
// changed anything). Every (asset, patch) pair that is still needed, or
// was installed, gets one status:
//
//   - within-sla: installed by a stage whose asset result is "succeeded",
//     at a time not after the due date (released + policy.sla[severity]),
//     or with no SLA set for the severity;
//   - late: installed so, after the due date;
//   - excepted: not installed, and an exception of policy.exceptions
//     unexpired at At covers the asset and patch;
//   - overdue: not installed, not excepted, and At is past the due date;
//   - not-due: not installed, not excepted, the due date not reached.
//
// "Installed" needs a stage of a wave carrying the patch whose result for
// the asset is "succeeded", and either the inventory said the asset
// needed the patch, or the stage changed a package (or the image) the
// patch targets. "rolled-back" is not installed. A pair the inventory
// needed and the runner's latest observation no longer needs, with no
// such stage (another patch of the same package installed a newer
// version), counts as installed at that observation.
//
// Per severity (critical first) and overall: assets_needing counts the
// assets with at least one pair not installed (overdue, excepted or
// not-due); the other counts are of pairs. Per patch: missing (assets
// needing it that no wave schedules, exceptions aside, as plan reports
// them), scheduled (assets a wave carrying it will still change), tested
// (the first stage of a wave carrying it is done), installed (pairs).
//
// # JSON, format_version 1
//
// Stable for scripts; fields may be added, none removed or changed
// without a new format_version. Times are RFC 3339 in UTC; a zero time is
// left out; lists are [] when empty.
//
//	{
//	  "format_version": 1,
//	  "at": time, "branch": string, "commit": hex, "commit_time": time,
//	  "severities": [{"severity": "critical"|"high"|"medium"|"low",
//	                  COUNTS}],          // always all four, critical first
//	  "overall": {COUNTS},
//	  "patches": [{"id", "severity", "released", "due"?, "assets",
//	               "missing", "scheduled", "waves": [string],
//	               "tested": bool, "tested_at"?, "installed", COUNTS}],
//	  "assets": [{"asset", "patch", "severity", "status", "due"?,
//	              "installed_at"?, "wave"?, "stage"?,
//	              "exception"?: {"reason", "approved_by", "expires"}}]
//	}
//
// COUNTS are "assets_needing", "installed_within_sla", "installed_late",
// "overdue", "excepted", "not_due". status is one of the five above.
// Patches are sorted by severity (highest first), then id; assets by
// asset id, then patch id.
//
// # CSV
//
// One RFC 4180 table with a header row, so that a spreadsheet filters it
// on its first column, "table": "severity" rows (one per severity, then
// severity "all"), "patch" rows and "asset" rows; a column that does not
// apply to a row's table is empty. The columns are those of the JSON.
//
// # HTML
//
// One page with no external resources (no scripts, style sheets, fonts
// or images; a test checks, and another renders it in headless Chromium):
// a stacked bar chart of the statuses per severity and one of each
// patch's assets (installed, scheduled, missing, excepted), both inline
// SVG with their numbers as text and in data-* attributes, then the
// tables of the Markdown form.
package report
