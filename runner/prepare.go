package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/resolve"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
)

// ErrInvalid is returned by Prepare when the repository has errors; the
// problems come back with it.
var ErrInvalid = errors.New("the repository is invalid: run patchwave validate")

// Source is a policy repository to plan from: a folder or a git tree.
type Source struct {
	FS fs.FS
	// Prefix names the source in positions: the folder, or "REV:path/".
	Prefix string
}

// PrepareOptions control Prepare.
type PrepareOptions struct {
	At time.Time
	// Resolver turns image tags into digests; nil plans offline.
	Resolver resolve.Resolver
	// Images are digests already resolved (by an earlier Prepare of the
	// same run); Prepare resolves only the refs missing from it.
	Images map[string]string
	// Cache, shared by the Prepares of one run, keeps inventory files
	// decoded: plan --base reads most of them twice.
	Cache *policy.Cache
	// Reuse is a plan of the same run whose parts with equal inputs the
	// new plan takes instead of computing them again (plan.Input.Reuse).
	Reuse *plan.Plan
}

// Prepared is a computed plan with what it was computed from.
type Prepared struct {
	Plan     *plan.Plan
	Repo     *policy.Repository
	State    *state.State
	Problems policy.Problems
}

// Prepare loads a repository and its recorded state and computes its plan.
// It returns ErrInvalid, with the problems, when the repository has errors.
func Prepare(ctx context.Context, src Source, opts PrepareOptions) (*Prepared, error) {
	p, err := load(ctx, src, opts)
	if err != nil {
		return p, err
	}
	return p, finish(ctx, p, opts)
}

// PrepareWithBase prepares the repository (head) and, as the pull-request
// view does (plan --base), the base it is compared with: a git revision.
// The base is loaded while the head is planned, from the inventory the
// head decoded (opts.Cache, made when nil), and planned beside it,
// reusing the head's plan where inputs are equal (plan.Start). The base
// takes the head's resolved image digests. An error from the base is
// wrapped with its Prefix.
func PrepareWithBase(ctx context.Context, head, base Source, opts PrepareOptions) (h, b *Prepared, err error) {
	if opts.Cache == nil {
		opts.Cache = policy.NewCache()
	}
	if h, err = load(ctx, head, opts); err != nil {
		return h, nil, err
	}
	type loaded struct {
		p   *Prepared
		err error
	}
	baseLoaded := make(chan loaded, 1)
	go func() {
		p, err := load(ctx, base, opts)
		baseLoaded <- loaded{p, err}
	}()
	in, err := planInput(ctx, h, opts)
	if err != nil {
		<-baseLoaded
		return h, nil, err
	}
	running := plan.Start(in)
	defer func() { h.Plan = running.Plan() }()
	bl := <-baseLoaded
	if bl.err != nil {
		return h, bl.p, fmt.Errorf("planning the base %s: %w", base.Prefix, WithProblems(bl.p, bl.err))
	}
	opts.Images = in.Images
	bin, err := planInput(ctx, bl.p, opts)
	if err != nil {
		return h, bl.p, fmt.Errorf("planning the base %s: %w", base.Prefix, err)
	}
	bin.Reuse = running
	bl.p.Plan = plan.Compute(bin)
	return h, bl.p, nil
}

// load is Prepare's first half: the repository and its state, checked.
func load(ctx context.Context, src Source, opts PrepareOptions) (*Prepared, error) {
	repo, probs, err := policy.Load(ctx, src.FS, policy.Options{Now: opts.At, Prefix: src.Prefix, Cache: opts.Cache})
	if err != nil {
		return nil, err
	}
	out := &Prepared{Repo: repo, Problems: probs}
	if probs.HasErrors() {
		return out, ErrInvalid
	}
	if out.State, err = state.Load(src.FS); err != nil {
		return out, err
	}
	return out, nil
}

// finish is Prepare's second half: image tags resolved, the plan computed.
func finish(ctx context.Context, out *Prepared, opts PrepareOptions) error {
	in, err := planInput(ctx, out, opts)
	if err != nil {
		return err
	}
	out.Plan = plan.Compute(in)
	return nil
}

// planInput is what out's plan is computed from: its repository and
// state, and its image tags resolved (those opts.Images lacks).
func planInput(ctx context.Context, out *Prepared, opts PrepareOptions) (plan.Input, error) {
	repo := out.Repo
	images := map[string]string{}
	for ref, d := range opts.Images {
		images[ref] = d
	}
	if opts.Resolver != nil {
		var refs []string
		for _, ref := range ImageTags(repo) {
			if _, ok := images[ref]; !ok {
				refs = append(refs, ref)
			}
		}
		resolved, err := resolve.All(ctx, opts.Resolver, refs, 0)
		if err != nil {
			return plan.Input{}, fmt.Errorf("resolving image tags (use --offline to plan without the registry): %w", err)
		}
		for ref, d := range resolved {
			images[ref] = d
		}
	}
	in := plan.Input{Repo: repo, State: out.State, At: opts.At, Images: images, Offline: opts.Resolver == nil}
	if opts.Reuse != nil {
		in.Reuse = opts.Reuse
	}
	return in, nil
}

// WithProblems folds the problems of an invalid repository into the
// error, so that callers without a place to list them still say what is
// wrong.
func WithProblems(p *Prepared, err error) error {
	if errors.Is(err, ErrInvalid) && p != nil {
		return fmt.Errorf("%w\n%v", err, p.Problems.Err())
	}
	return err
}

// ImageTags lists the "repository:tag" references of image patches given
// by tag, which the plan must pin to digests.
func ImageTags(repo *policy.Repository) []string {
	var refs []string
	for _, id := range policy.SortedKeys(repo.Patches) {
		if img := repo.Patches[id].Image; img != nil && img.Digest == "" && img.Tag != "" {
			refs = append(refs, img.Repository+":"+img.Tag)
		}
	}
	return slices.Compact(refs)
}
