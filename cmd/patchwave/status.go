package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/render"
	"github.com/patchwave/patchwave/runner"
)

type statusOptions struct {
	format *enumValue
	assets bool
}

func newStatusCmd(g *globalOptions, s streams) *cobra.Command {
	o := &statusOptions{format: newEnum("text", "text", "json")}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show where each wave, stage and asset stands",
		Long: `Reads the repository and its recorded state (state/) and shows, for every
wave and stage, its status and reason (as plan computes them) and how many of
its assets are done, failed, rolled back, pending or already up to date;
--assets lists every asset. Status does not ask the registry: image tags are
not resolved.

Examples:
  patchwave status --dir examples/quickstart
  patchwave status --assets --format json

Exit codes: 0 success; 1 error or invalid repository; 3 usage.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			at, err := g.now()
			if err != nil {
				return err
			}
			p, err := runner.Prepare(cmd.Context(), runner.Source{FS: os.DirFS(g.dir), Prefix: prefix(g.dir)}, runner.PrepareOptions{At: at})
			if err != nil {
				return problemsOr(s.err, p, err)
			}
			st := plan.StatusOf(p.Repo, p.Plan, p.State)
			if o.format.value == "json" {
				return render.StatusJSON(s.out, st)
			}
			return render.StatusText(s.out, st, o.assets)
		},
	}
	cmd.Flags().Var(o.format, "format", "output format")
	cmd.Flags().BoolVar(&o.assets, "assets", false, "list every asset of every stage")
	return cmd
}
