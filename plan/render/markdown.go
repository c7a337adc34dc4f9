package render

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/patchwave/patchwave/plan"
)

// limits bound what one Markdown rendering lists. Markdown tries them in
// order, from everything to almost nothing, and keeps the first
// rendering that fits.
type limits struct {
	// rows is how many rows each list or action table shows (-1: all).
	rows int
	// stages is how many rows the summary table shows (-1: all).
	stages int
	// details renders each wave in a <details> block.
	details bool
}

var markdownLevels = []limits{
	{rows: -1, stages: -1, details: true},
	{rows: 200, stages: -1, details: true},
	{rows: 50, stages: -1, details: true},
	{rows: 10, stages: -1, details: true},
	{rows: 0, stages: -1, details: true},
	{rows: 0, stages: 50, details: false},
	{rows: 0, stages: 10, details: false},
	{rows: 0, stages: 0, details: false},
}

// Markdown writes the plan as a pull-request comment: the hidden Marker,
// a summary table of waves and stages, the findings (counts by code and
// level, then the list), the missing patches (counts by severity, then
// per patch), then each wave in a <details> block with a table of
// actions per stage. With opts.Change it starts with how the plan
// differs from the base.
//
// The output is at most opts.MaxMarkdown bytes. When everything does not
// fit, lists are shortened (to 200, 50, 10 and 0 rows), each ending with
// how many rows were left out and where to find the full plan; tables
// are never cut. The counts of findings by code and level are always
// there. Only when even the shortest rendering does not fit (thousands
// of distinct finding codes) is a short note written instead.
func Markdown(w io.Writer, p *plan.Plan, opts Options) error {
	if p == nil {
		return errNilPlan
	}
	limit := opts.maxMarkdown()
	c := countPlan(p)
	// Worked out once for all the attempts below.
	pre := &precomputed{findings: sortedFindings(p.Findings), stageAssets: map[*plan.Stage]int{}}
	for _, wv := range p.Waves {
		if wv != nil {
			for _, s := range wv.Stages {
				if s != nil {
					pre.stageAssets[s] = stageAssets(s)
				}
			}
		}
	}
	for _, lim := range markdownLevels {
		m := &mdWriter{max: limit, opts: opts, lim: lim, pre: pre}
		m.plan(p, c)
		if !m.over {
			_, err := io.WriteString(w, m.b.String())
			return err
		}
	}
	m := &mdWriter{max: limit, opts: opts}
	m.tooLarge(p, c)
	if m.over {
		return fmt.Errorf("render: the plan does not fit in %d bytes of Markdown, even as a note", limit)
	}
	_, err := io.WriteString(w, m.b.String())
	return err
}

// ChangeMarkdown writes how a plan changed against its base as a
// Markdown section, within opts.MaxMarkdown like Markdown.
func ChangeMarkdown(w io.Writer, c Change, opts Options) error {
	limit := opts.maxMarkdown()
	for _, lim := range markdownLevels {
		m := &mdWriter{max: limit, opts: opts, lim: lim}
		m.change(c)
		if !m.over {
			_, err := io.WriteString(w, m.b.String())
			return err
		}
	}
	return fmt.Errorf("render: the change does not fit in %d bytes of Markdown", limit)
}

// mdWriter builds one rendering and stops growing it as soon as it is
// over the limit, so that trying a 100k-action plan in full costs little.
type mdWriter struct {
	b    strings.Builder
	max  int
	over bool
	opts Options
	lim  limits
	pre  *precomputed
}

// precomputed is what every attempt at a rendering of one plan needs.
type precomputed struct {
	findings    []plan.Finding // errors first
	stageAssets map[*plan.Stage]int
}

func (m *mdWriter) w(parts ...string) {
	if m.over {
		return
	}
	for _, s := range parts {
		m.b.WriteString(s)
	}
	if m.b.Len() > m.max {
		m.over = true
	}
}

func (m *mdWriter) f(format string, args ...any) { m.w(fmt.Sprintf(format, args...)) }

// shown is how many of n rows the current limits show.
func (m *mdWriter) shown(n int) int {
	if m.lim.rows < 0 || m.lim.rows > n {
		return n
	}
	return m.lim.rows
}

// more ends a shortened list.
func (m *mdWriter) more(n int, noun string) {
	if n <= 0 {
		return
	}
	m.f("_… and %d more %s (see the full plan: %s)_\n\n", n, noun, m.fullPlan())
}

// fullPlan is where the full plan is: Options.FullPlanURL, or the
// command that prints it.
func (m *mdWriter) fullPlan() string {
	if m.opts.FullPlanURL != "" {
		return m.opts.FullPlanURL
	}
	return "`" + FullPlanHint + "`"
}

// head starts a table; row adds to it; end closes it with a blank line,
// since a line of text right after a table would be read as one more
// row.
func (m *mdWriter) head(header, align string) { m.w("| ", header, " |\n|", align, "|\n") }

func (m *mdWriter) row(cells ...string) { m.w("| ", strings.Join(cells, " | "), " |\n") }

func (m *mdWriter) end() { m.w("\n") }

func (m *mdWriter) table(header, align string, rows [][]string) {
	m.head(header, align)
	for _, r := range rows {
		m.row(r...)
	}
	m.end()
}

func (m *mdWriter) plan(p *plan.Plan, c counts) {
	m.w(Marker, "\n## patchwave plan\n\n")
	m.f("As of **%s**.", stamp(p.At))
	if p.Offline {
		m.w(" Image tags not resolved (`--offline`): image actions name the tag, and apply resolves it.")
	}
	m.w("\n\n")
	m.f("**%s** on **%s** in %s · %s due now · %s · %s",
		plural(c.actions, "action", "actions"), plural(c.assets, "asset", "assets"), plural(c.waves, "wave", "waves"),
		plural(c.dueStages, "stage", "stages"), boldIf(c.errors > 0, plural(c.errors, "error", "errors")),
		plural(c.warnings, "warning", "warnings"))
	if c.dueRollbacks > 0 {
		m.f(" · **%s due**", plural(c.dueRollbacks, "rollback", "rollbacks"))
	}
	if c.pairs > 0 {
		m.f(" · %d missing", c.pairs)
	}
	m.w("\n\n")
	if m.opts.Change != nil {
		m.change(*m.opts.Change)
		m.w("### Stages\n\n")
	}
	m.summaryTable(p)
	m.rollbacks(p.Rollbacks)
	m.findings(m.pre.findings, c)
	m.missing(p.Missing, c)
	if m.lim.details && len(p.Waves) > 0 {
		m.w("### Waves\n\n")
		for _, wv := range p.Waves {
			if wv != nil {
				m.wave(wv)
			}
		}
	} else if len(p.Waves) > 0 {
		m.f("_Wave details left out to fit: %s in %s (see the full plan: %s)_\n\n",
			plural(c.actions, "action", "actions"), plural(c.waves, "wave", "waves"), m.fullPlan())
	}
}

func (m *mdWriter) summaryTable(p *plan.Plan) {
	var rows [][]string
	total := 0
	for _, wv := range p.Waves {
		if wv == nil {
			continue
		}
		for _, s := range wv.Stages {
			if s == nil {
				continue
			}
			total++
			if m.lim.stages >= 0 && len(rows) >= m.lim.stages {
				continue
			}
			start, until := "—", "—"
			if !s.Start.IsZero() && s.Status != plan.StatusDone {
				start = stamp(s.Start)
			}
			if !s.Until.IsZero() {
				until = stamp(s.Until)
			}
			rows = append(rows, []string{mdText(wv.Name), mdText(s.Name), mdStatus(s.Status), mdText(s.Reason),
				fmt.Sprint(len(s.Actions)), fmt.Sprint(m.pre.stageAssets[s]), start, until})
		}
	}
	if total == 0 {
		m.w("No waves.\n\n")
		return
	}
	if len(rows) > 0 {
		m.table("wave | stage | status | reason | actions | assets | start | until", "---|---|---|---|--:|--:|---|---", rows)
	}
	m.more(total-len(rows), "stages")
}

func (m *mdWriter) findings(fs []plan.Finding, c counts) {
	m.w("### Findings\n\n")
	var rows [][]string
	for _, code := range c.codes() {
		n := c.byCode[code]
		rows = append(rows, []string{mdText(code), fmt.Sprint(n[0]), fmt.Sprint(n[1])})
	}
	rows = append(rows, []string{"**all**", fmt.Sprintf("**%d**", c.errors), fmt.Sprintf("**%d**", c.warnings)})
	m.table("code | errors | warnings", "---|--:|--:", rows)
	shown := m.shown(len(fs))
	for _, f := range fs[:shown] { // sorted errors first by the caller
		m.f("- **%s** %s: %s\n", mdText(f.Level), code(f.Code), mdText(f.Message))
		if m.over {
			return
		}
	}
	if shown > 0 {
		m.w("\n")
	}
	m.more(len(fs)-shown, "findings")
}

func (m *mdWriter) missing(ms []plan.Missing, c counts) {
	m.w("### Missing patches\n\nPatches that assets need and no wave schedules for them.\n\n")
	var rows [][]string
	for _, s := range c.severities() {
		rows = append(rows, []string{mdText(s), fmt.Sprint(c.missing[s])})
	}
	rows = append(rows, []string{"**all**", fmt.Sprintf("**%d**", c.pairs)})
	m.table("severity | assets", "---|--:", rows)
	shown := m.shown(len(ms))
	if shown > 0 {
		m.head("patch | severity | assets | which", "---|---|--:|---")
		for _, x := range ms[:shown] {
			names := m.shown(len(x.Assets))
			list := make([]string, names)
			for i, a := range x.Assets[:names] {
				list[i] = code(a)
			}
			which := strings.Join(list, ", ")
			if names < len(x.Assets) {
				which += fmt.Sprintf(" and %d more", len(x.Assets)-names)
			}
			m.row(code(x.Patch), mdText(x.Severity), fmt.Sprint(len(x.Assets)), which)
			if m.over {
				return
			}
		}
		m.end()
	}
	m.more(len(ms)-shown, "missing patches")
}

func (m *mdWriter) wave(wv *plan.Wave) {
	actions, stages := 0, 0
	for _, s := range wv.Stages {
		if s != nil {
			stages++
			actions += len(s.Actions)
		}
	}
	approved := "<b>not approved</b>"
	if len(wv.ApprovedBy) > 0 {
		approved = "approved by " + html.EscapeString(strings.Join(wv.ApprovedBy, ", "))
	}
	emergency := ""
	if wv.Emergency {
		emergency = " · <b>emergency</b>"
	}
	m.f("<details><summary><b>%s</b> · %s%s · %s in %s · %s</summary>\n\n", html.EscapeString(wv.Name),
		html.EscapeString(wv.Severity), emergency, plural(actions, "action", "actions"), plural(stages, "stage", "stages"), approved)
	if wv.Reason != "" {
		m.w(mdText(wv.Reason), "\n\n")
	}
	patches := make([]string, len(wv.Patches))
	for i, pid := range wv.Patches {
		patches[i] = code(pid)
	}
	if len(patches) == 0 {
		patches = []string{"none"}
	}
	m.w("Patches: ", strings.Join(patches, ", "))
	if !wv.Forecast.IsZero() {
		m.f(" · last stage starts %s at the earliest", stamp(wv.Forecast))
	}
	m.w("\n\n")
	if len(wv.Exceptions) > 0 {
		shown := m.shown(len(wv.Exceptions))
		var rows [][]string
		for _, e := range wv.Exceptions[:shown] {
			rows = append(rows, []string{code(e.Asset), code(e.Patch), e.Expires.UTC().Format("2006-01-02"), mdText(e.Reason)})
		}
		m.w("Exceptions applied:\n\n")
		if len(rows) > 0 {
			m.table("asset | patch | expires | reason", "---|---|---|---", rows)
		}
		m.more(len(wv.Exceptions)-shown, "exceptions")
	}
	for _, s := range wv.Stages {
		if s != nil {
			m.stage(s)
		}
	}
	m.w("</details>\n\n")
}

func (m *mdWriter) stage(s *plan.Stage) {
	m.f("#### %s · %s\n\n", mdText(s.Name), mdStatus(s.Status))
	if s.Reason != "" {
		m.w(mdText(s.Reason), "\n\n")
	}
	win := "window " + mdText(s.Window)
	if s.Window == "" {
		win = "window any"
	}
	if s.WindowOpen != nil {
		win += ", open " + span(s.WindowOpen)
	}
	m.f("members %d · actions %d · max_parallel %d · batches %d · max_failures %d · soak %s · reboots %d · %s\n\n",
		s.Members, len(s.Actions), s.MaxParallel, s.Batches, s.MaxFailures, mdText(duration(s.Soak)), s.Reboots, win)
	m.actions(s.Actions)
}

// rollbacks writes the plan's rollbacks: a table, then each one's actions
// in <details> when there is room.
func (m *mdWriter) rollbacks(rbs []*plan.Rollback) {
	if len(rbs) == 0 {
		return
	}
	m.w("### Rollbacks\n\n")
	var rows [][]string
	for _, rb := range rbs {
		if rb == nil {
			continue
		}
		approved := "**not approved**"
		if len(rb.ApprovedBy) > 0 {
			approved = mdText(strings.Join(rb.ApprovedBy, ", "))
		}
		rows = append(rows, []string{code(rb.Name), code(rb.Wave), mdText(strings.Join(rb.Stages, ", ")), mdStatus(rb.Status),
			fmt.Sprint(len(rb.Actions)), approved, mdText(rb.Reason)})
	}
	m.table("rollback | wave | stages | status | actions | approved by | reason", "---|---|---|---|--:|---|---", rows)
	if !m.lim.details {
		return
	}
	for _, rb := range rbs {
		if rb == nil || len(rb.Actions) == 0 {
			continue
		}
		m.f("<details><summary><b>rollback %s</b> · %s · %s</summary>\n\n", html.EscapeString(rb.Name), html.EscapeString(rb.Status),
			plural(len(rb.Actions), "action", "actions"))
		m.w(mdText(rb.StatusReason), "\n\n")
		m.actions(rb.Actions)
		m.w("</details>\n\n")
	}
}

// actions writes a table of actions, as many as the level allows.
func (m *mdWriter) actions(actions []plan.Action) {
	shown := m.shown(len(actions))
	if shown > 0 {
		m.head("asset | patch | change | from | to | reboot", "---|---|---|---|---|---")
		for _, a := range actions[:shown] {
			name, from, to := what(a)
			reboot := ""
			if a.Reboot {
				reboot = "yes"
			}
			m.row(code(a.Asset), code(a.Patch), code(name), code(from), code(to), reboot)
			if m.over {
				return
			}
		}
		m.end()
	}
	m.more(len(actions)-shown, "actions")
}

func (m *mdWriter) change(c Change) {
	m.w("### Against the base\n\n")
	m.table("change | count", "---|--:", [][]string{
		{"actions added", fmt.Sprint(len(c.Added))},
		{"actions removed", fmt.Sprint(len(c.Removed))},
		{"actions changed", fmt.Sprint(len(c.Changed))},
		{"findings new", fmt.Sprint(len(c.NewFindings))},
		{"findings resolved", fmt.Sprint(len(c.ResolvedFindings))},
	})
	placedTable := func(title string, list []PlacedAction) {
		if len(list) == 0 {
			return
		}
		m.f("**%s**\n\n", title)
		shown := m.shown(len(list))
		if shown > 0 {
			m.head("asset | patch | wave | stage | from | to", "---|---|---|---|---|---")
			for _, a := range list[:shown] {
				m.row(code(a.Action.Asset), code(a.Action.Patch), mdText(a.Wave), mdText(a.Stage), code(a.Action.From), code(a.Action.To))
				if m.over {
					return
				}
			}
			m.end()
		}
		m.more(len(list)-shown, strings.ToLower(title))
	}
	placedTable("Actions added", c.Added)
	placedTable("Actions removed", c.Removed)
	if len(c.Changed) > 0 {
		m.w("**Actions changed**\n\n")
		shown := m.shown(len(c.Changed))
		if shown > 0 {
			m.head("asset | patch | what changed", "---|---|---")
			for _, ch := range c.Changed[:shown] {
				m.row(code(ch.Head.Action.Asset), code(ch.Head.Action.Patch), mdText(strings.Join(ch.differences(identity), "; ")))
				if m.over {
					return
				}
			}
			m.end()
		}
		m.more(len(c.Changed)-shown, "changed actions")
	}
	findingList := func(title string, list []plan.Finding) {
		if len(list) == 0 {
			return
		}
		m.f("**%s**\n\n", title)
		shown := m.shown(len(list))
		for _, f := range list[:shown] {
			m.f("- **%s** %s: %s\n", mdText(f.Level), code(f.Code), mdText(f.Message))
			if m.over {
				return
			}
		}
		if shown > 0 {
			m.w("\n")
		}
		m.more(len(list)-shown, strings.ToLower(title))
	}
	findingList("New findings", c.NewFindings)
	findingList("Resolved findings", c.ResolvedFindings)
}

// tooLarge is the last resort: totals and where to find the plan.
func (m *mdWriter) tooLarge(p *plan.Plan, c counts) {
	m.w(Marker, "\n## patchwave plan\n\n")
	m.f("As of **%s**: %s on %s, %s, %s, %d missing. The plan is too large to show here", stamp(p.At),
		plural(c.actions, "action", "actions"), plural(c.assets, "asset", "assets"),
		plural(c.errors, "error", "errors"), plural(c.warnings, "warning", "warnings"), c.pairs)
	m.f(": see the full plan (%s).\n", m.fullPlan())
}

func identity(s string) string { return s }

func stageAssets(s *plan.Stage) int {
	seen := map[string]bool{}
	for _, a := range s.Actions {
		seen[a.Asset] = true
	}
	return len(seen)
}

func mdStatus(s string) string {
	switch s {
	case plan.StatusFailed, plan.StatusHalted, plan.StatusRolledBack:
		return "**" + mdText(s) + "**"
	}
	return mdText(s)
}

func boldIf(b bool, s string) string {
	if b {
		return "**" + s + "**"
	}
	return s
}

// mdEscaper escapes what Markdown or GitHub would read as markup in
// free text from the repository: emphasis, links, HTML (a "<!--" in a
// reason would hide the rest of the comment), strikethrough (versions
// hold "~"), table pipes and entities.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "&", `\&`,
)

// mdText escapes free text and keeps it on one line, which is also what
// a table cell needs.
func mdText(s string) string { return mdEscaper.Replace(oneLine(s)) }

// code writes s as a code span that is also safe in a table cell: GFM
// splits cells on "|" even inside code spans unless escaped.
func code(s string) string {
	s = strings.ReplaceAll(oneLine(s), "|", `\|`)
	if s == "" {
		return ""
	}
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}
