package main

import (
	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/runner/audit/history"
)

type auditLogOptions struct {
	format       *enumValue
	branch       string
	asset, wave  string
	since, until timeValue
}

func newAuditLogCmd(g *globalOptions, s streams) *cobra.Command {
	o := &auditLogOptions{format: newEnum("text", "text", "json")}
	cmd := &cobra.Command{
		Use:   "log",
		Short: "List the audit records in history, with commit, author, time and result",
		Long: `Lists the audit records of the branch's history, oldest first: for each, the
commit that added it (its time, hash and whether it is signed), the wave and
stage or the rollback, the result, how many assets ended how, the actor, and
the record's path. The runner's commit trailers say which commits hold
records, so the log reads one record per such commit.

--asset keeps the records that touched an asset and shows what it ran before
and after; --wave keeps one wave's; --since and --until bound the commit time
(RFC 3339, or a date meaning midnight UTC). --format json writes an array of
{commit, author, committed, signed, path, record}, the record as stored.

Examples:
  patchwave audit log
  patchwave audit log --asset web-01 --since 2026-11-01
  patchwave audit log --wave 2026-11-security --format json

Exit codes: 0 success; 1 error; 3 usage.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := historyOf(g, o.branch)
			if err != nil {
				return err
			}
			entries, err := history.Log(cmd.Context(), history.LogOptions{Options: opts, Asset: o.asset, Wave: o.wave, Since: o.since.t, Until: o.until.t})
			if err != nil {
				return err
			}
			if o.format.value == "json" {
				return history.LogJSON(s.out, entries)
			}
			return history.LogText(s.out, entries, o.asset)
		},
	}
	f := cmd.Flags()
	f.Var(o.format, "format", "output format")
	f.StringVar(&o.branch, "branch", "", "the branch whose history to read (default: the branch checked out in --dir)")
	f.StringVar(&o.asset, "asset", "", "only records that touched this asset")
	f.StringVar(&o.wave, "wave", "", "only records of this wave")
	f.Var(&o.since, "since", "only records committed at or after this time")
	f.Var(&o.until, "until", "only records committed at or before this time")
	return cmd
}
