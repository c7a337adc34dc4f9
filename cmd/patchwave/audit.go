package main

import "github.com/spf13/cobra"

func newAuditCmd(g *globalOptions, s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the git history for auditors",
		Long: `Reads what the runner committed (state/ and the hash-chained records under
audit/) from the repository's git history, for auditors.

  log      the runner's commits and records
  verify   checks the hash chain of the audit records
  report   compliance as of --at: per severity, per patch, per asset

Exit codes: see each command.`,
	}
	cmd.AddCommand(
		newAuditReportCmd(g, s),
	)
	return cmd
}
