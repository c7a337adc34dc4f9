package main

import (
	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/runner/audit/history"
)

type auditVerifyOptions struct {
	format *enumValue
	branch string
}

func newAuditVerifyCmd(g *globalOptions, s streams) *cobra.Command {
	o := &auditVerifyOptions{format: newEnum("text", "text", "json")}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Prove the audit trail was not changed after the fact",
		Long: `Walks the branch's first-parent history and reports, naming the commit and the
file, every sign of tampering:

  record-changed, record-removed   an audit record changed or removed after its commit
  chain-broken                     the records' hash chain breaks: one changed, removed or reordered
  not-a-runner-commit              state/ or audit/ changed by a commit that is not the runner's
  runner-commit-outside            a runner commit changed files outside state/ and audit/
  record-not-in-trailer,
  trailer-record-missing           a runner commit's Patchwave-Record trailer and its files disagree
  unsigned, untrusted-signature    where the policy lists trusted_keys: a runner commit not
                                   signed by one of them (the runner signs with
                                   PATCHWAVE_SIGNING_KEY)
  policy-unreadable                the keys a runner commit's policy trusts cannot be read

An honest history prints a one-line summary and exits 0. --format json writes
{"intact", "problems": [{"commit", "path", "kind", "message"}], "summary"}.

Examples:
  patchwave audit verify
  patchwave audit verify --branch main --format json

Exit codes: 0 intact; 1 tampered, or an error; 3 usage.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := historyOf(g, o.branch)
			if err != nil {
				return err
			}
			problems, sum, err := history.Verify(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if o.format.value == "json" {
				err = history.VerifyJSON(s.out, problems, sum)
			} else {
				err = history.VerifyText(s.out, problems, sum)
			}
			if err == nil && len(problems) > 0 {
				return &exitError{code: exitFailure}
			}
			return err
		},
	}
	cmd.Flags().Var(o.format, "format", "output format")
	cmd.Flags().StringVar(&o.branch, "branch", "", "the branch whose history to verify (default: the branch checked out in --dir)")
	return cmd
}
