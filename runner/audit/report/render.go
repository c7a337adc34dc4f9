package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/patchwave/patchwave/runner/gitstore"
)

// JSON writes the report as indented JSON in the shape documented in
// doc.go, versioned by format_version. Lists are [] when empty, never
// null, and times are RFC 3339 in UTC.
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing the report as JSON: %w", err)
	}
	return nil
}

// statusWords are the statuses as people read them.
var statusWords = map[string]string{
	WithinSLA: "installed within SLA",
	Late:      "installed late",
	Overdue:   "overdue",
	Excepted:  "excepted",
	NotDue:    "not yet due",
}

// Markdown writes the report as a Markdown document: the counts by
// severity, the patches, and every asset's patches.
func Markdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Patch compliance as of %s\n\n", stamp(r.At))
	fmt.Fprintf(&b, "Computed from `%s` at commit `%s` (%s).\n\n", mdCell(r.Branch), gitstore.ShortHash(r.Commit), stamp(r.CommitTime))
	b.WriteString("## By severity\n\n")
	b.WriteString("Assets needing patches counts assets; the other columns count patches on assets.\n\n")
	b.WriteString("| Severity | Assets needing patches | Installed within SLA | Installed late | Overdue | Excepted | Not yet due |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range r.Severities {
		mdCounts(&b, s.Severity, s.Counts)
	}
	mdCounts(&b, "**all**", r.Overall)

	b.WriteString("\n## Patches\n\n")
	b.WriteString("| Patch | Severity | Released | Due | Assets | Missing | Scheduled | Tested | Installed | Overdue | Excepted |\n")
	b.WriteString("|---|---|---|---|--:|--:|--:|---|--:|--:|--:|\n")
	for _, p := range r.Patches {
		tested := "no"
		if p.Tested {
			tested = "yes, " + stamp(p.TestedAt)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %d | %s | %d | %d | %d |\n", mdCell(p.ID), p.Severity, day(p.Released), day(p.Due),
			p.Assets, p.Missing, p.Scheduled, tested, p.Installed, p.Overdue, p.Excepted)
	}
	if len(r.Patches) == 0 {
		b.WriteString("| (none) | | | | | | | | | | |\n")
	}

	b.WriteString("\n## Assets\n\n")
	b.WriteString("| Asset | Patch | Severity | Status | Due | Installed | By |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, a := range r.Assets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(a.Asset), mdCell(a.Patch), a.Severity, statusWords[a.Status],
			day(a.Due), stamp(a.InstalledAt), mdCell(by(a)))
	}
	if len(r.Assets) == 0 {
		b.WriteString("| (none) | | | | | | |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCounts(b *strings.Builder, name string, c Counts) {
	fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d |\n", name, c.AssetsNeeding, c.WithinSLA, c.Late, c.Overdue, c.Excepted, c.NotDue)
}

// by says which stage installed a patch, or which exception covers it.
func by(a AssetRow) string {
	switch {
	case a.Wave != "":
		return "wave " + a.Wave + " stage " + a.Stage
	case a.Exception != nil:
		return fmt.Sprintf("exception until %s: %s", day(a.Exception.Expires), a.Exception.Reason)
	case a.Status == WithinSLA || a.Status == Late:
		return "observed by the runner"
	}
	return ""
}

// mdCell keeps a value inside its table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// csvHeader is the header of the CSV form: one table whose first column
// says which part of the report a row belongs to (doc.go).
var csvHeader = []string{"table", "severity", "patch", "asset", "status",
	"assets_needing", "installed_within_sla", "installed_late", "overdue", "excepted", "not_due",
	"assets", "missing", "scheduled", "tested", "tested_at", "installed",
	"released", "due", "installed_at", "wave", "stage", "exception_expires", "exception_reason"}

// CSV writes the report as one CSV table (RFC 4180) with a header row:
// rows "severity" (one per severity, then severity "all"), "patch" and
// "asset", as doc.go describes.
func CSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	rows := [][]string{csvHeader}
	counts := func(c Counts) []string {
		return []string{itoa(c.AssetsNeeding), itoa(c.WithinSLA), itoa(c.Late), itoa(c.Overdue), itoa(c.Excepted), itoa(c.NotDue)}
	}
	blank := func(n int) []string { return make([]string, n) }
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, s := range r.Severities {
		rows = append(rows, cat([]string{"severity", s.Severity, "", "", ""}, counts(s.Counts), blank(13)))
	}
	rows = append(rows, cat([]string{"severity", "all", "", "", ""}, counts(r.Overall), blank(13)))
	for _, p := range r.Patches {
		rows = append(rows, cat([]string{"patch", p.Severity, p.ID, "", ""}, counts(p.Counts),
			[]string{itoa(p.Assets), itoa(p.Missing), itoa(p.Scheduled), strconv.FormatBool(p.Tested), rfc(p.TestedAt), itoa(p.Installed),
				rfc(p.Released), rfc(p.Due), "", strings.Join(p.Waves, " "), "", "", ""}))
	}
	for _, a := range r.Assets {
		var expires, reason string
		if a.Exception != nil {
			expires, reason = rfc(a.Exception.Expires), a.Exception.Reason
		}
		rows = append(rows, cat([]string{"asset", a.Severity, a.Patch, a.Asset, a.Status}, blank(12),
			[]string{"", rfc(a.Due), rfc(a.InstalledAt), a.Wave, a.Stage, expires, reason}))
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("writing the report as CSV: %w", err)
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

func rfc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}
