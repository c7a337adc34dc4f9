package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/internal/atomicfile"
	"github.com/patchwave/patchwave/runner/audit/report"
	"github.com/patchwave/patchwave/runner/gitstore"
)

type auditReportOptions struct {
	format *enumValue
	out    string
	branch string
}

// reportFormats are the renderers of --format.
var reportFormats = map[string]func(io.Writer, *report.Report) error{
	"markdown": report.Markdown,
	"csv":      report.CSV,
	"json":     report.JSON,
	"html":     report.HTML,
}

func newAuditReportCmd(g *globalOptions, s streams) *cobra.Command {
	o := &auditReportOptions{format: newEnum("markdown", "markdown", "csv", "json", "html")}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Compliance as of --at, computed from the git history",
		Long: `Computes how the fleet stood against the patch policy as of --at (default
now), from the branch's git history: any past date, no retention limit. The
policy, inventory, waves, exceptions and recorded state are those of the
branch's commit as of --at (the newest first-parent commit not after it).

Per severity and overall: assets needing patches, and patches installed
within SLA (released + policy.sla), installed late, overdue, excepted and
not yet due. Per patch: missing (no wave schedules it), scheduled, tested
(the first stage of a wave carrying it is done), installed. Per asset: each
patch's status, due date, and the stage that installed it. A stage result
"rolled-back" is not installed. Image tags are not resolved (no registry).

--format json is stable (format_version 1; see runner/audit/report/doc.go);
html is one self-contained page with inline SVG charts, for the archive.

Examples:
  patchwave audit report --dir fleet
  patchwave audit report --at 2026-12-06 --format html --out report.html
  patchwave audit report --at 2026-11-28T00:00:00Z --format csv --branch main

Exit codes: 0 report written; 1 error (no git repository, no commit as old
as --at, invalid repository at that commit); 3 usage.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			at, err := g.now()
			if err != nil {
				return err
			}
			repo, rel, err := gitstore.OpenDir(g.dir)
			if err != nil {
				return fmt.Errorf("audit report needs --dir in a git repository: %w", err)
			}
			branch := o.branch
			if branch == "" {
				branch = "main"
				if head, err := repo.Head(); err == nil && head.Name().IsBranch() {
					branch = head.Name().Short()
				}
			}
			r, err := report.Compute(cmd.Context(), report.Options{Repo: repo, Dir: rel, Branch: branch, At: at})
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := reportFormats[o.format.value](&buf, r); err != nil {
				return err
			}
			if o.out == "" {
				_, err = s.out.Write(buf.Bytes())
				return err
			}
			return atomicfile.WriteFile(o.out, buf.Bytes(), 0o644)
		},
	}
	cmd.Args = usageArgs(cobra.NoArgs)
	cmd.Flags().Var(o.format, "format", "output format")
	cmd.Flags().StringVar(&o.out, "out", "", "write the report to `FILE` (whole or not at all) instead of standard output")
	cmd.Flags().StringVar(&o.branch, "branch", "", "the branch (or ref) whose history to read (default: the branch checked out in --dir, else main)")
	return cmd
}
