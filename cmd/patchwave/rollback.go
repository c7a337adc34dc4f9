package main

import (
	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
)

type rollbackOptions struct {
	apply  applyOptions
	wave   string
	stages []string
	assets []string
	reason string
}

func newRollbackCmd(g *globalOptions, s streams) *cobra.Command {
	o := &rollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback --wave W [--stage S]... [--asset A]... --reason TEXT",
		Short: "Put assets back to what they ran before a wave (break-glass)",
		Long: `The break-glass path, for when waiting for a reviewed rollback would hurt:
puts the assets that a wave changed (all its stages, or those named with
--stage; all their assets, or those named with --asset) back to what they ran
before, as recorded in state/ before each asset was changed. It goes through
the same drivers' rollback and writes the same records as a reviewed
rollback (a "rollbacks" entry merged through a pull request, which apply
carries out), marked "break-glass", with the reason and the actor, on the
branch the policy trusts. The stages it touches become "rolled-back", so the
wave does not patch those assets again until someone decides.

Assets that already run what they ran before are left alone; with nothing
to put back, rollback says so and exits 0. --push, --remote, --force-unlock
and --lock-ttl work as for apply.

Examples:
  patchwave rollback --wave 2026-11-security --reason "TLS handshakes fail"
  patchwave rollback --wave 2026-11-security --stage pilot --asset web-01 --reason "INC-4711" --push

Exit codes: 0 put back, or nothing to put back; 1 an asset could not be put
back, or an error (unknown wave, stage or asset; wrong branch; lock held);
3 usage.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.wave == "" || o.reason == "" {
				return usagef("rollback needs --wave and --reason")
			}
			at, err := g.now()
			if err != nil {
				return err
			}
			// An outage of the registry must not hold up a rollback: image
			// tags are not resolved (the oci driver still moves images).
			o.apply.offline = true
			opts, err := o.apply.runnerOptions(g, s)
			if err != nil {
				return err
			}
			fixed := g.at.set || g.getenv("PATCHWAVE_NOW") != ""
			opts.Now = clock(at, fixed)
			_, err = runner.Rollback(cmd.Context(), opts, policy.Rollback{Wave: o.wave, Stages: o.stages, Assets: o.assets, Reason: o.reason})
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.wave, "wave", "", "the wave to put back (required)")
	f.StringSliceVar(&o.stages, "stage", nil, "only these stages of the wave (repeat, or comma-separated)")
	f.StringSliceVar(&o.assets, "asset", nil, "only these assets (repeat, or comma-separated)")
	f.StringVar(&o.reason, "reason", "", "why: recorded in state and audit (required)")
	o.apply.remoteFlags(cmd)
	return cmd
}
