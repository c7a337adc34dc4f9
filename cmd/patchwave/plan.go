package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/internal/atomicfile"
	"github.com/patchwave/patchwave/plan/render"
	"github.com/patchwave/patchwave/plan/resolve"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/gitstore"
)

type planOptions struct {
	format           *enumValue
	base             string
	out              string
	detailedExitCode bool
	offline          bool
	fullPlanURL      string
	insecure         []string
}

func newPlanCmd(g *globalOptions, s streams) *cobra.Command {
	o := &planOptions{format: newEnum("text", "text", "markdown", "json", "diff")}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what the repository will do to the fleet",
		Long: `Computes the rollout from the repository and its recorded state (state/):
for every wave and stage, the assets, one action per asset and patch (from ->
to), and the stage's status with its reason (done; due now; blocked by the
previous stage, soak, a closed window, a freeze or not_before, until when).
Findings list forecast SLA breaches, patches no wave schedules, assets two
waves target for the same package, and exceptions that expire mid-wave.

Image tags are resolved to digests through the registry (credentials from
the docker config and credential helpers), so that the reviewed plan pins
what will be deployed; --offline skips that and says so.

Formats: text (terminals), markdown (pull-request comments, at most 65,000
characters), json (for machines; shape in plan/render/JSON.md), diff (the
fleet's packages and images before and after, as a unified diff).

Examples:
  patchwave plan --dir examples/quickstart --offline
  patchwave plan --base origin/main --format markdown > plan.md
  patchwave plan --out plan.json --detailed-exitcode

Exit codes: 0 success (no changes, with --detailed-exitcode); 1 error or
invalid repository; 2 changes pending (with --detailed-exitcode); 3 usage.`,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPlan(cmd, g, o, s) },
	}
	f := cmd.Flags()
	f.Var(o.format, "format", "output format")
	f.StringVar(&o.base, "base", "", "also show how this change alters the plan against the git revision `REF` (the pull-request view)")
	f.StringVar(&o.out, "out", "", "save the plan, with digests of all its inputs, to `FILE` for apply --plan")
	f.BoolVar(&o.detailedExitCode, "detailed-exitcode", false, "exit 2 when the plan has changes")
	f.BoolVar(&o.offline, "offline", false, "do not resolve image tags through the registry")
	f.StringVar(&o.fullPlanURL, "full-plan-url", "", "where markdown sends readers when it shortens a list (e.g. the CI artifact)")
	f.StringSliceVar(&o.insecure, "insecure-registry", nil, "registries to reach over plain HTTP (tests, local registries)")
	return cmd
}

func runPlan(cmd *cobra.Command, g *globalOptions, o *planOptions, s streams) error {
	ctx := cmd.Context()
	at, err := g.now()
	if err != nil {
		return err
	}
	popts := runner.PrepareOptions{At: at}
	if !o.offline {
		popts.Resolver = resolve.NewRegistry(resolve.RegistryOptions{Insecure: o.insecure})
	}
	src := runner.Source{FS: os.DirFS(g.dir), Prefix: prefix(g.dir)}
	ropts := render.Options{Color: isTerminal(s.out) && os.Getenv("NO_COLOR") == "", FullPlanURL: o.fullPlanURL}
	var head *runner.Prepared
	if o.base == "" {
		if head, err = runner.Prepare(ctx, src, popts); err != nil {
			return problemsOr(s.err, head, err)
		}
	} else {
		baseSrc, headFS, err := baseSource(g, o.base)
		if err != nil {
			return err
		}
		src.FS = headFS
		var base *runner.Prepared
		head, base, err = runner.PrepareWithBase(ctx, src, baseSrc, popts)
		if head == nil || head.Plan == nil {
			return problemsOr(s.err, head, err) // the working tree's own problems
		}
		if err != nil {
			return err
		}
		change := render.Compare(base.Plan, head.Plan)
		ropts.Change = &change
	}
	if o.out != "" {
		if err := savePlan(o.out, head); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	switch o.format.value {
	case "markdown":
		ropts.Color = false
		err = render.Markdown(&buf, head.Plan, ropts)
	case "json":
		err = render.JSON(&buf, head.Plan, ropts)
	case "diff":
		err = render.Diff(&buf, head.Plan, ropts)
	default:
		err = render.Text(&buf, head.Plan, ropts)
	}
	if err != nil {
		return fmt.Errorf("rendering the plan: %w", err)
	}
	if _, err := s.out.Write(buf.Bytes()); err != nil {
		return err
	}
	if o.detailedExitCode && head.Plan.HasChanges() {
		return &exitError{code: exitChanges}
	}
	return nil
}

// baseSource is the repository as it was at a git revision, read from
// git objects without a checkout, and the working tree's folder as an FS
// that tells the blob hashes git's index knows, so that files unchanged
// since the revision are decoded once.
func baseSource(g *globalOptions, ref string) (runner.Source, fs.FS, error) {
	repo, rel, err := gitstore.OpenDir(g.dir)
	if err != nil {
		return runner.Source{}, nil, fmt.Errorf("--base needs --dir in a git repository: %w", err)
	}
	fsys, err := gitstore.TreeFS(repo, ref, rel)
	if err != nil {
		return runner.Source{}, nil, fmt.Errorf("--base: %w", err)
	}
	return runner.Source{FS: fsys, Prefix: ref + ":"}, gitstore.WorkTreeFS(repo, g.dir, rel), nil
}

// savePlan writes the plan as JSON, whole or not at all, and says where.
func savePlan(name string, p *runner.Prepared) error {
	var buf bytes.Buffer
	if err := render.JSON(&buf, p.Plan, render.Options{}); err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	if err := atomicfile.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	_, err := fmt.Fprintf(os.Stderr, "saved the plan to %s (sha256:%s)\n", name, hex.EncodeToString(sum[:]))
	return err
}

// problemsOr prints the problems of an invalid repository, or passes on
// another error.
func problemsOr(w io.Writer, p *runner.Prepared, err error) error {
	if errors.Is(err, runner.ErrInvalid) && p != nil {
		for _, prob := range p.Problems {
			fmt.Fprintln(w, prob)
		}
	}
	return err
}

func prefix(dir string) string {
	if filepath.Clean(dir) == "." {
		return ""
	}
	return dir
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
