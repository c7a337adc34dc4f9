package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/patchwave/patchwave/plan"
)

// Text writes the plan for a terminal: a header, each wave with its
// stages and their actions, the findings (errors first), the missing
// patches and a summary line. Colours only with opts.Color.
func Text(w io.Writer, p *plan.Plan, opts Options) error {
	if p == nil {
		return errNilPlan
	}
	bw := bufio.NewWriter(w)
	pt := painter(opts.Color)
	c := countPlan(p)

	fmt.Fprintf(bw, "%s %s\n", pt.paint(ansiBold, "patchwave plan as of"), pt.paint(ansiBold, stamp(p.At)))
	if p.Offline {
		fmt.Fprintf(bw, "%s: image actions name the tag; apply resolves it\n", pt.paint(ansiYellow, "image tags not resolved (--offline)"))
	}
	if opts.Change != nil {
		fmt.Fprintln(bw)
		writeChangeText(bw, *opts.Change, pt)
	}
	if len(p.Waves) == 0 {
		fmt.Fprintln(bw, "\nNo waves.")
	}
	for _, wv := range p.Waves {
		if wv != nil {
			textWave(bw, wv, pt)
		}
	}
	for _, rb := range p.Rollbacks {
		if rb != nil {
			textRollback(bw, rb, pt)
		}
	}
	textFindings(bw, p.Findings, c, pt)
	textMissing(bw, p.Missing, c, pt)

	fmt.Fprintf(bw, "\n%s %s on %s in %s, %s due now, %s, %s",
		pt.paint(ansiBold, "Summary:"), plural(c.actions, "action", "actions"), plural(c.assets, "asset", "assets"),
		plural(c.waves, "wave", "waves"), plural(c.dueStages, "stage", "stages"),
		pt.paint(levelColor(plan.LevelError, c.errors), plural(c.errors, "error", "errors")),
		pt.paint(levelColor(plan.LevelWarning, c.warnings), plural(c.warnings, "warning", "warnings")))
	if c.dueRollbacks > 0 {
		fmt.Fprintf(bw, ", %s due", plural(c.dueRollbacks, "rollback", "rollbacks"))
	}
	if c.pairs > 0 {
		fmt.Fprintf(bw, ", %d missing (%s)", c.pairs, c.missingCounts())
	}
	fmt.Fprintln(bw)
	return bw.Flush()
}

func textWave(w io.Writer, wv *plan.Wave, pt painter) {
	fmt.Fprintf(w, "\n%s %s  severity %s", pt.paint(ansiBold, "Wave"), pt.paint(ansiBold, wv.Name), wv.Severity)
	if wv.Emergency {
		fmt.Fprint(w, "  ", pt.paint(ansiRed, "emergency"))
	}
	if len(wv.ApprovedBy) > 0 {
		fmt.Fprintf(w, "  approved by %s", strings.Join(wv.ApprovedBy, ", "))
	} else {
		fmt.Fprint(w, "  ", pt.paint(ansiYellow, "not approved"))
	}
	fmt.Fprintln(w)
	info := table{indent: "  "}
	if wv.Reason != "" {
		info.add(plain("reason"), plain(oneLine(wv.Reason)))
	}
	info.add(plain("patches"), plain(strings.Join(wv.Patches, ", ")))
	for _, e := range wv.Exceptions {
		info.add(plain("exception"), plain(fmt.Sprintf("%s %s until %s: %s", e.Asset, e.Patch, e.Expires.UTC().Format("2006-01-02"), oneLine(e.Reason))))
	}
	if !wv.Forecast.IsZero() {
		info.add(plain("forecast"), plain("last stage starts "+stamp(wv.Forecast)+" at the earliest"))
	}
	info.write(w, pt)
	for _, s := range wv.Stages {
		if s != nil {
			textStage(w, s, pt)
		}
	}
}

func textStage(w io.Writer, s *plan.Stage, pt painter) {
	fmt.Fprintf(w, "\n  %s %s  %s", pt.paint(ansiBold, "Stage"), pt.paint(ansiBold, s.Name), pt.paint(statusColor(s.Status), s.Status))
	if s.Reason != "" {
		fmt.Fprint(w, " — ", oneLine(s.Reason))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "    members %d  actions %d  max_parallel %d  batches %d  max_failures %d  soak %s  reboots %d\n",
		s.Members, len(s.Actions), s.MaxParallel, s.Batches, s.MaxFailures, duration(s.Soak), s.Reboots)
	win := "window " + s.Window
	if s.Window == "" {
		win = "window any"
	}
	if s.WindowOpen != nil {
		win += ", open " + span(s.WindowOpen)
	}
	if !s.Start.IsZero() && s.Status != plan.StatusDone {
		win += "; starts " + stamp(s.Start)
		if s.Status == plan.StatusBlocked {
			win += " at the earliest"
		}
	}
	fmt.Fprintf(w, "    %s\n", win)
	textActions(w, s.Actions, pt)
}

// textRollback writes a rollback the way a stage is written.
func textRollback(w io.Writer, rb *plan.Rollback, pt painter) {
	fmt.Fprintf(w, "\n%s %s  of wave %s, stages %s  %s — %s\n", pt.paint(ansiBold, "Rollback"), pt.paint(ansiBold, rb.Name),
		rb.Wave, strings.Join(rb.Stages, ", "), pt.paint(statusColor(rb.Status), rb.Status), oneLine(rb.StatusReason))
	info := table{indent: "  "}
	info.add(plain("reason"), plain(oneLine(rb.Reason)))
	if len(rb.Assets) > 0 {
		info.add(plain("assets"), plain(strings.Join(rb.Assets, ", ")))
	}
	approved := cell{"not approved", ansiYellow}
	if len(rb.ApprovedBy) > 0 {
		approved = plain(strings.Join(rb.ApprovedBy, ", "))
	}
	info.add(plain("approved by"), approved)
	info.write(w, pt)
	textActions(w, rb.Actions, pt)
}

func textActions(w io.Writer, actions []plan.Action, pt painter) {
	if len(actions) == 0 {
		return
	}
	t := table{indent: "      "}
	for _, a := range actions {
		name, from, to := what(a)
		reboot := ""
		if a.Reboot {
			reboot = "reboot"
		}
		t.add(plain(a.Asset), plain(a.Patch), plain(name), cell{shortDigest(from), ansiRed}, plain("->"),
			cell{shortDigest(to), ansiGreen}, cell{reboot, ansiYellow})
	}
	t.write(w, pt)
}

func textFindings(w io.Writer, fs []plan.Finding, c counts, pt painter) {
	if len(fs) == 0 {
		fmt.Fprintf(w, "\n%s none\n", pt.paint(ansiBold, "Findings:"))
		return
	}
	fmt.Fprintf(w, "\n%s %s, %s\n", pt.paint(ansiBold, "Findings:"), plural(c.errors, "error", "errors"), plural(c.warnings, "warning", "warnings"))
	t := table{indent: "  "}
	for _, f := range sortedFindings(fs) {
		t.add(cell{f.Level, levelColor(f.Level, 1)}, plain(f.Code), plain(oneLine(f.Message)))
	}
	t.write(w, pt)
}

func textMissing(w io.Writer, ms []plan.Missing, c counts, pt painter) {
	if len(ms) == 0 {
		fmt.Fprintf(w, "\n%s none\n", pt.paint(ansiBold, "Missing patches:"))
		return
	}
	fmt.Fprintf(w, "\n%s %s\n", pt.paint(ansiBold, "Missing patches (needed, and no wave schedules them):"), c.missingCounts())
	t := table{indent: "  "}
	for _, m := range ms {
		t.add(plain(m.Patch), plain(m.Severity), plain(plural(len(m.Assets), "asset", "assets")+": "+strings.Join(m.Assets, ", ")))
	}
	t.write(w, pt)
}

func statusColor(s string) string {
	switch s {
	case plan.StatusDue, plan.StatusRunning:
		return ansiGreen
	case plan.StatusBlocked:
		return ansiYellow
	case plan.StatusFailed, plan.StatusHalted, plan.StatusRolledBack:
		return ansiRed
	case plan.StatusDone:
		return ansiDim
	}
	return ""
}

func levelColor(level string, n int) string {
	switch {
	case n == 0:
		return ""
	case level == plan.LevelError:
		return ansiRed
	default:
		return ansiYellow
	}
}

// oneLine keeps a free-text field on one line, so that a newline in a
// reason cannot break the layout.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
