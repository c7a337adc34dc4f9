package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// streams are where a command writes; tests pass buffers.
type streams struct {
	out, err io.Writer
}

// globalOptions are the flags every command takes.
type globalOptions struct {
	dir    string
	at     timeValue
	getenv func(string) string
}

// now is the time every time-dependent decision uses: --at, else
// PATCHWAVE_NOW, else the clock.
func (g *globalOptions) now() (time.Time, error) {
	if g.at.set {
		return g.at.t, nil
	}
	if env := g.getenv("PATCHWAVE_NOW"); env != "" {
		var v timeValue
		if err := v.Set(env); err != nil {
			return time.Time{}, usagef("PATCHWAVE_NOW: %v", err)
		}
		return v.t, nil
	}
	return time.Now().UTC().Truncate(time.Second), nil
}

func run(ctx context.Context, args []string, s streams, getenv func(string) string) int {
	root := newRootCmd(s, getenv)
	root.SetArgs(args)
	return exitCode(root.ExecuteContext(ctx), s.err)
}

func newRootCmd(s streams, getenv func(string) string) *cobra.Command {
	g := &globalOptions{getenv: getenv}
	root := &cobra.Command{
		Use:   "patchwave",
		Short: "Patch policy as code: plan, roll out in waves, audit from git",
		Long: `patchwave manages patches the GitOps way. Patch policy, the asset inventory,
groups, patches and rollout waves are CUE files in a git repository.

  validate   checks the repository: schema, references, policy rules
  plan       shows what the repository will do to the fleet, wave by wave
  status     shows where each wave, stage and asset stands
  apply      carries out what is due now and commits the record back
  rollback   puts assets back to what they ran before a wave (break-glass)
  audit      reads the git history for auditors: log, verify, report
  inventory  scan: collects hosts' facts through their drivers into assets/*.json
  demo       runs the whole loop on the embedded quickstart, on 127.0.0.1
  version    prints the version

Every command takes --dir (the repository folder) and --at (the time to
decide as of; also PATCHWAVE_NOW), so that every decision can be reproduced.

Exit codes: 0 success; 1 failure (invalid input, an error); 3 usage (bad
flags or arguments). Commands list the codes they add.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Runnable, so that cobra checks the root's arguments with Args
		// instead of its built-in check, whose error for an unknown command
		// is untyped and would exit 1 rather than 3 (usage).
		Args:                       unknownCommand,
		RunE:                       func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SuggestionsMinimumDistance: 2,
	}
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.PersistentFlags().StringVar(&g.dir, "dir", ".", "the policy repository folder")
	root.PersistentFlags().Var(&g.at, "at", "decide as of this time: RFC 3339, or a date meaning midnight UTC (default now; also PATCHWAVE_NOW)")
	root.AddCommand(
		newValidateCmd(g, s),
		newPlanCmd(g, s),
		newStatusCmd(g, s),
		newApplyCmd(g, s),
		newRollbackCmd(g, s),
		newAuditCmd(g, s),
		newInventoryCmd(g, s),
		newFolderHostCmd(s),
		newDemoCmd(s),
		newVersionCmd(s),
	)
	for _, c := range root.Commands() {
		c.Args = usageArgs(c.Args)
	}
	return root
}

// unknownCommand rejects arguments to the root: they name no command.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := ""
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return &usageError{fmt.Errorf("unknown command %q%s", args[0], hint)}
}

// usageArgs makes argument errors usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	if check == nil {
		check = cobra.NoArgs
	}
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{fmt.Errorf("%s: %w", cmd.CommandPath(), err)}
		}
		return nil
	}
}
