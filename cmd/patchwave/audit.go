package main

import (
	"github.com/go-git/go-git/v5"
	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/runner/audit/history"
	"github.com/patchwave/patchwave/runner/gitstore"
)

func newAuditCmd(g *globalOptions, s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the git history for auditors",
		Long: `Reads the audit trail the runner commits (SPEC §4) from git history:

  log      the audit records, with the commit, author, time and result
  verify   proves the trail was not changed after the fact (exit 1 if it was)
  report   compliance as of --at: SLAs met, late, overdue, excepted

They read git objects of a branch (default: the branch checked out in --dir),
never the working tree.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAuditLogCmd(g, s), newAuditVerifyCmd(g, s), newAuditReportCmd(g, s))
	for _, c := range cmd.Commands() {
		c.Args = usageArgs(c.Args)
	}
	return cmd
}

// historyOf opens the repository of --dir for reading the history of
// branch, or of the branch checked out there.
func historyOf(g *globalOptions, branch string) (history.Options, error) {
	repo, rel, err := gitstore.OpenDir(g.dir)
	if err != nil {
		return history.Options{}, err
	}
	if branch, err = branchOr(repo, g.dir, branch); err != nil {
		return history.Options{}, err
	}
	return history.Options{Repo: repo, Dir: rel, Branch: branch}, nil
}

// branchOr returns branch, or when it is empty the branch checked out in
// dir; with none checked out, a usage error asks for --branch.
func branchOr(repo *git.Repository, dir, branch string) (string, error) {
	if branch != "" {
		return branch, nil
	}
	head, err := repo.Head()
	if err != nil || !head.Name().IsBranch() {
		return "", usagef("no branch is checked out in %s: name one with --branch", dir)
	}
	return head.Name().Short(), nil
}
