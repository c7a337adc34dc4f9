package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/resolve"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/audit"
	"github.com/patchwave/patchwave/runner/gitstore"
)

type applyOptions struct {
	push        bool
	remote      string
	forceUnlock bool
	lockTTL     string
	branch      string
	planFile    string
	dryRun      bool
	offline     bool
	author      string
	insecure    []string
}

func newApplyCmd(g *globalOptions, s streams) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Carry out what is due now and commit the record back",
		Long: `Plans the branch's head with its recorded state, carries out the stages
that are due now through the drivers (batches of max_parallel assets,
failures against max_failures, on_failure halt or rollback, stopping new
batches when the window closes), and commits state/ and one audit record per
stage run back to the branch, with trailers git log can read. Several stages
run in one go when nothing (soak, window) holds the next; a later run (a CI
schedule) continues where this one stopped.

Before an asset changes, the commit records what it ran (the rollback state);
a run that died is safe to start again: assets recorded as done are not
changed again, and drivers treat an asset already at its target as done.

The repository is read from git objects (the branch, not the working tree).
With --push, the run first takes a lock on the remote (a lease on the ref
refs/patchwave/lock, so that two runners never run the same stage), starts
from the remote's branch, pushes after every stage (when someone merged
meanwhile, the runner's commits are rebuilt on the new head: never a force
push), and releases the lock.

On a terminal each stage shows one live line (batch, assets done, failures,
time); elsewhere (CI logs) a line per asset and per batch. Reviewed rollbacks
(policy "rollbacks" entries) that are due run first. With
PATCHWAVE_SIGNING_KEY (an ASCII-armored OpenPGP private key; its passphrase in
PATCHWAVE_SIGNING_PASSPHRASE) every runner commit is signed, for audit verify
to check against the policy's trusted_keys.

Examples:
  patchwave apply --dir fleet --dry-run
  patchwave apply --plan plan.json
  patchwave apply --push --remote origin
  PATCHWAVE_NOW=2026-11-30T22:00:00Z patchwave apply

Exit codes: 0 done or nothing due; 1 a stage failed or halted, or an error;
3 usage; 4 refused (wrong branch, stale --plan, lock held).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			at, err := g.now()
			if err != nil {
				return err
			}
			opts, err := o.runnerOptions(g, s)
			if err != nil {
				return err
			}
			fixed := g.at.set || g.getenv("PATCHWAVE_NOW") != ""
			opts.Now = clock(at, fixed)
			_, err = runner.Apply(cmd.Context(), opts)
			switch {
			case errors.Is(err, runner.ErrRefused):
				return &exitError{code: exitRefused, err: err}
			case err != nil:
				return err
			}
			return nil
		},
	}
	o.remoteFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.planFile, "plan", "", "refuse unless the plan saved in `FILE` (plan --out) is still current")
	f.BoolVar(&o.offline, "offline", false, "do not resolve image tags through the registry")
	f.StringSliceVar(&o.insecure, "insecure-registry", nil, "registries to reach over plain HTTP")
	return cmd
}

// remoteFlags are the flags apply and rollback share: where to commit,
// as whom, and how to push.
func (o *applyOptions) remoteFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.push, "push", false, "take the remote's lock, start from the remote's branch and push every stage's commits (never by force)")
	f.StringVar(&o.remote, "remote", "origin", "the git remote of --push")
	f.BoolVar(&o.forceUnlock, "force-unlock", false, "with --push: take the lock even from a runner whose lease has not expired (one known to be dead)")
	f.StringVar(&o.lockTTL, "lock-ttl", "1h", "with --push: how long the lock's lease lasts")
	f.StringVar(&o.branch, "branch", "", "the branch to commit to (default: the branch checked out in --dir)")
	f.BoolVar(&o.dryRun, "dry-run", false, "say what would run, change nothing")
	f.StringVar(&o.author, "author", "patchwave <patchwave@localhost>", "author and committer of the runner's commits, `\"Name <email>\"`")
}

func (o *applyOptions) runnerOptions(g *globalOptions, s streams) (runner.ApplyOptions, error) {
	author, err := mail.ParseAddress(o.author)
	if err != nil {
		return runner.ApplyOptions{}, usagef("--author %q: want \"Name <email>\"", o.author)
	}
	repo, rel, err := gitstore.OpenDir(g.dir)
	if err != nil {
		return runner.ApplyOptions{}, fmt.Errorf("apply needs --dir in a git repository: %w", err)
	}
	abs, err := filepath.Abs(g.dir)
	if err != nil {
		return runner.ApplyOptions{}, err
	}
	branch, err := branchOr(repo, g.dir, o.branch)
	if err != nil {
		return runner.ApplyOptions{}, err
	}
	opts := runner.ApplyOptions{Repo: repo, Dir: rel, Branch: branch, Drivers: drivers(abs, os.Environ()),
		Author: object.Signature{Name: author.Name, Email: author.Address}, Getenv: g.getenv, DryRun: o.dryRun, Log: s.out,
		Live: isTerminal(s.out) && g.getenv("CI") == ""}
	if !o.offline {
		opts.Planning.Resolver = resolve.NewRegistry(resolve.RegistryOptions{Insecure: o.insecure})
	}
	if o.push {
		ttl, err := policy.ParseDuration(o.lockTTL)
		if err != nil {
			return opts, usagef("--lock-ttl: %v", err)
		}
		actor := audit.ActorFromEnv(g.getenv)
		opts.Remote = &runner.RemoteOptions{Name: o.remote, LockTTL: ttl, ForceUnlock: o.forceUnlock, Owner: actor.Name + " (" + actor.Via + ")"}
		// An https remote takes a token from the environment, never from
		// the repository: PATCHWAVE_GIT_TOKEN, else GITHUB_TOKEN.
		if token := cmp.Or(g.getenv("PATCHWAVE_GIT_TOKEN"), g.getenv("GITHUB_TOKEN")); token != "" {
			opts.Remote.Auth = &githttp.BasicAuth{Username: "x-access-token", Password: token}
		}
	}
	// Runner commits are signed when the environment holds a key: the
	// policy's trusted_keys let audit verify check them.
	if key := g.getenv("PATCHWAVE_SIGNING_KEY"); key != "" {
		if opts.Sign, err = gitstore.PGPSigner(key, g.getenv("PATCHWAVE_SIGNING_PASSPHRASE")); err != nil {
			return opts, fmt.Errorf("PATCHWAVE_SIGNING_KEY: %w", err)
		}
	}
	if at := g.getenv("PATCHWAVE_TEST_CRASH_AT"); at != "" {
		opts.Crash = crashAt(at)
	}
	if o.planFile != "" {
		data, err := os.ReadFile(o.planFile)
		if err != nil {
			return opts, fmt.Errorf("--plan: %w", err)
		}
		var saved plan.Plan
		if err := json.Unmarshal(data, &saved); err != nil {
			return opts, fmt.Errorf("--plan %q: not a saved plan: %w", o.planFile, err)
		}
		opts.Saved = &saved.Inputs
	}
	return opts, nil
}
