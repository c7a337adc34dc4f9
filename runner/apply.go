package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/render"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/audit"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// ErrRefused is wrapped by Apply's error when it will not run: the branch
// is not the one the policy trusts, or the saved plan is stale.
var ErrRefused = errors.New("apply refused")

// ErrStageFailed is wrapped by Apply's error when a stage failed, halted
// or was rolled back.
var ErrStageFailed = errors.New("a stage did not succeed")

// ApplyOptions control Apply.
type ApplyOptions struct {
	// Repo is the git repository, Dir the policy folder inside it
	// (slash-separated, "" for the top).
	Repo *git.Repository
	Dir  string
	// Branch is the branch to read and commit to; it must be the policy's.
	Branch string
	// Now is the clock: every decision uses it (the CLI fixes it with --at).
	Now func() time.Time
	// Drivers builds the drivers the policy names.
	Drivers *driver.Registry
	// Planning holds how plans are prepared (resolver, cache); its At is
	// set from Now for every plan.
	Planning PrepareOptions
	// Author signs the runner's commits; Getenv reads the actor.
	Author object.Signature
	Getenv func(string) string
	// DryRun says what would run and changes nothing.
	DryRun bool
	// Crash, for tests only, is called at named points of a stage run
	// ("stage-start", "observed", "pending-committed", "applied",
	// "batch-committed", "record-committed"); the crash tests make it kill
	// the process to prove that a run can resume from any of them.
	Crash func(point string)
	// Remote, when set, makes the run take the remote's lock, start from
	// the remote's branch and push every stage's commits.
	Remote *RemoteOptions
	// Saved, when set, holds the inputs of a plan saved by plan --out:
	// Apply refuses when the repository or its state no longer match.
	Saved *plan.Inputs
	// Log receives one line per event (stage start, batch, result).
	Log io.Writer
	// Live says Log is a terminal: each stage's progress is one line
	// rewritten in place, instead of a line per asset and batch.
	Live bool
	// Sign, when set, signs every runner commit (gitstore.PGPSigner).
	Sign func(payload []byte) (signature string, err error)
}

// ApplyResult says what one run did.
type ApplyResult struct {
	Stages  []StageRun
	Commits []plumbing.Hash
}

// StageRun is one stage, or one rollback, carried out by this run.
type StageRun struct {
	Wave, Stage, Result string
	// Rollback names the rollback when the run was one (Stage is empty).
	Rollback          string
	Succeeded, Failed int
	Record            string
}

// err is ErrStageFailed, naming the run, unless the stage succeeded or
// the rollback rolled back.
func (r StageRun) err() error {
	if r.Result == "succeeded" || r.Rollback != "" && r.Result == "rolled-back" {
		return nil
	}
	return fmt.Errorf("%w: %s %s (%d failed)", ErrStageFailed, r.what(), r.Result, r.Failed)
}

// finished adds a run to the result and, with a remote, pushes what it
// committed.
func (a *applier) finished(ctx context.Context, run StageRun) error {
	a.res.Stages = append(a.res.Stages, run)
	if a.o.Remote != nil {
		return a.pushBranch(ctx)
	}
	return nil
}

// observeBefore records in assets what an asset runs before it changes,
// its rollback state, unless recorded already, and marks it pending. When
// the driver cannot observe it, the asset is marked failed, the error
// after what, and ok is false.
func (a *applier) observeBefore(ctx context.Context, repo *policy.Repository, assets map[string]*state.Asset, id string, asset *policy.Asset, what string) (ar *state.Asset, ok bool) {
	ar = assets[id]
	if ar == nil {
		ar = &state.Asset{}
		assets[id] = ar
	}
	if ar.Before == nil {
		obs, err := a.driverFor(repo, asset).Observe(ctx, driver.Target{ID: id, Asset: asset})
		if err != nil {
			ar.Result, ar.Error, ar.At = "failed", what+err.Error(), a.o.Now().UTC()
			return ar, false
		}
		ar.Before = &obs
	}
	ar.Result = "pending"
	return ar, true
}

func (r StageRun) what() string {
	if r.Rollback != "" {
		return fmt.Sprintf("rollback %s of wave %s", r.Rollback, r.Wave)
	}
	return fmt.Sprintf("wave %s stage %s", r.Wave, r.Stage)
}

// Apply carries out what is due now, stage after stage, like a controller
// reconciling: it plans the branch's head (with state/), runs the first due
// stage batch by batch, commits state and the audit record, plans again,
// and stops when nothing is due. A later run continues where it stopped.
//
// Crash safety: before a batch changes any asset, the state commit records
// what each asset ran (the rollback state) and marks it pending; after the
// batch, a commit records the results. A run that died in between finds
// the pending assets and applies again, which drivers make a no-op for an
// asset already at the target; an asset recorded as succeeded is never
// changed again by its stage.
func Apply(ctx context.Context, o ApplyOptions) (*ApplyResult, error) {
	a := newApplier(o)
	return a.res, a.locked(ctx, a.loop)
}

func newApplier(o ApplyOptions) *applier {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Crash == nil {
		o.Crash = func(string) {}
	}
	if o.Planning.Cache == nil {
		// The runner commits only state/ and audit/: between its plans the
		// inventory is the same, and decoded once.
		o.Planning.Cache = policy.NewCache()
	}
	return &applier{o: o, store: gitstore.NewStore(o.Repo), drivers: map[string]driver.Driver{}, res: &ApplyResult{}}
}

// locked runs fn, under the remote's lock and pushing what it committed
// when the options name a remote.
func (a *applier) locked(ctx context.Context, fn func(context.Context) error) error {
	o := a.o
	if r := o.Remote; r != nil && !o.DryRun {
		if r.LockTTL <= 0 {
			r.LockTTL = time.Hour
		}
		if r.Clock == nil {
			r.Clock = time.Now
		}
		lock, err := a.acquire(ctx)
		if err != nil {
			return err
		}
		defer func() {
			if err := a.release(context.WithoutCancel(ctx), lock); err != nil {
				fmt.Fprintf(o.Log, "%v\n", err)
			}
		}()
		if err := a.syncRemote(ctx); err != nil {
			return err
		}
		defer func() {
			if err := a.pushBranch(context.WithoutCancel(ctx)); err != nil {
				fmt.Fprintf(o.Log, "%v\n", err)
			}
		}()
	}
	return fn(ctx)
}

// head plans the branch's head, refusing when the policy trusts another
// branch.
func (a *applier) head(ctx context.Context) (plumbing.Hash, *Prepared, error) {
	head, err := a.store.Head(a.o.Branch)
	if err != nil {
		return head, nil, err
	}
	if head.IsZero() {
		return head, nil, fmt.Errorf("%w: branch %q does not exist", ErrRefused, a.o.Branch)
	}
	prepared, err := a.prepare(ctx, head)
	if err != nil {
		return head, prepared, err
	}
	if b := prepared.Repo.Policy.Branch; b != branchName(a.o.Branch) {
		return head, prepared, fmt.Errorf("%w: the policy trusts branch %q, this is %q", ErrRefused, b, branchName(a.o.Branch))
	}
	return head, prepared, nil
}

func (a *applier) loop(ctx context.Context) error {
	o := a.o
	for {
		head, prepared, err := a.head(ctx)
		if err != nil {
			return err
		}
		if o.Saved != nil && len(a.res.Stages) == 0 {
			if why := stale(o.Saved, &prepared.Plan.Inputs); why != "" {
				return fmt.Errorf("%w: the saved plan is stale: %s; plan again", ErrRefused, why)
			}
		}
		var run StageRun
		if rb := nextRollback(prepared.Plan); rb != nil {
			// Undoing comes first: a rollback does not wait.
			if o.DryRun {
				fmt.Fprintf(o.Log, "would run rollback %s of wave %s: %d actions\n", rb.Name, rb.Wave, len(rb.Actions))
				return nil
			}
			if run, err = a.runRollback(ctx, head, prepared, rb, state.KindRollback); err != nil {
				return err
			}
		} else {
			w, s := nextStage(prepared.Plan)
			if s == nil {
				fmt.Fprintln(o.Log, "nothing due")
				return nil
			}
			if o.DryRun {
				fmt.Fprintf(o.Log, "would run wave %s stage %s: %d actions on %d assets, %d at once\n", w.Name, s.Name, len(s.Actions), plan.CountAssets(s.Actions), s.MaxParallel)
				return nil
			}
			if run, err = a.runStage(ctx, head, prepared, w, s); err != nil {
				return err
			}
		}
		if err := a.finished(ctx, run); err != nil {
			return err
		}
		if run.Result == "" {
			return nil // the window closed mid-stage: a later run continues
		}
		if err := run.err(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// stale says how the inputs of a saved plan differ from the current ones,
// or "" when they do not. The time may differ: the plan says what is due
// when apply runs.
func stale(saved, now *plan.Inputs) string {
	if !slices.Equal(saved.Files, now.Files) {
		return "the repository's files changed"
	}
	if !slices.Equal(saved.State, now.State) {
		return "the recorded state changed"
	}
	for ref, d := range saved.Images {
		if got, ok := now.Images[ref]; ok && got != d {
			return fmt.Sprintf("image %s now resolves to %s, the plan pinned %s", ref, got, d)
		}
	}
	return ""
}

type applier struct {
	o       ApplyOptions
	store   *gitstore.Store
	drivers map[string]driver.Driver
	res     *ApplyResult
}

func branchName(b string) string { return strings.TrimPrefix(b, "refs/heads/") }

func (a *applier) prepare(ctx context.Context, head plumbing.Hash) (*Prepared, error) {
	fsys, err := gitstore.TreeFS(a.o.Repo, head.String(), a.o.Dir)
	if err != nil {
		return nil, err
	}
	opts := a.o.Planning
	opts.At = a.o.Now()
	p, err := Prepare(ctx, Source{FS: fsys, Prefix: branchName(a.o.Branch) + ":"}, opts)
	if err != nil {
		return p, WithProblems(p, err)
	}
	return p, nil
}

// nextStage is the first stage, in wave order, that is due or still
// running (a run that stopped in the middle, or died).
func nextStage(p *plan.Plan) (*plan.Wave, *plan.Stage) {
	for _, w := range p.Waves {
		for _, s := range w.Stages {
			// A running stage may have nothing left to change: a run that
			// died before recording its end; it still needs its record.
			if (s.Status == plan.StatusDue && len(s.Actions) > 0) || s.Status == plan.StatusRunning {
				return w, s
			}
		}
	}
	return nil, nil
}

// work is one asset's part of a stage.
type work struct {
	id      string
	asset   *policy.Asset
	changes []driver.Change
}

func (a *applier) runStage(ctx context.Context, head plumbing.Hash, p *Prepared, w *plan.Wave, s *plan.Stage) (StageRun, error) {
	planDigest, err := digestPlan(p.Plan)
	if err != nil {
		return StageRun{}, err
	}
	pw := p.Repo.Waves[w.Name]
	ps := pw.Stages[slices.IndexFunc(pw.Stages, func(st *policy.Stage) bool { return st.Name == s.Name })]
	rec := p.State.Stage(w.Name, s.Name)
	if rec == nil {
		rec = &state.Stage{Wave: w.Name, Stage: s.Name, Status: state.Running, Started: a.o.Now().UTC(), Plan: planDigest, Assets: map[string]*state.Asset{}}
	}
	rec.Status = state.Running
	works := groupWork(p.Repo, s)
	total := len(works) + countDone(rec)
	run := StageRun{Wave: w.Name, Stage: s.Name}
	started := a.o.Now().UTC()
	fmt.Fprintf(a.o.Log, "wave %s stage %s: %d assets to change, %d at once\n", w.Name, s.Name, len(works), s.MaxParallel)
	prog := a.progress(fmt.Sprintf("wave %s stage %s", w.Name, s.Name), len(works), (len(works)+s.MaxParallel-1)/max(s.MaxParallel, 1))
	defer prog.end()
	a.o.Crash("stage-start")
	var results []audit.Asset
	for len(works) > 0 {
		if s.Window != "any" && !inWindow(p.Repo.Policy.Windows[s.Window], a.o.Now()) {
			prog.say("wave %s stage %s: window %s closed; the next run continues", w.Name, s.Name, s.Window)
			break
		}
		n := min(s.MaxParallel, len(works))
		batch := works[:n]
		works = works[n:]
		// Record what each asset runs before it changes: the rollback state.
		for _, wk := range batch {
			a.observeBefore(ctx, p.Repo, rec.Assets, wk.id, wk.asset, "")
		}
		a.o.Crash("observed")
		if head, err = a.commitState(ctx, head, rec, nil, fmt.Sprintf("patchwave: wave %s stage %s: %s about to change", w.Name, s.Name, plural(n, "asset", "assets")), planDigest); err != nil {
			return run, err
		}
		a.o.Crash("pending-committed")
		lim := limits{reboot: ps.Reboot, maxParallel: s.MaxParallel, failBudget: s.MaxFailures - countResult(rec, "failed")}
		results = append(results, a.applyBatch(ctx, p.Repo, rec, batch, lim, prog)...)
		prog.batchDone()
		a.o.Crash("applied")
		if head, err = a.commitState(ctx, head, rec, nil, fmt.Sprintf("patchwave: wave %s stage %s: batch done", w.Name, s.Name), planDigest); err != nil {
			return run, err
		}
		a.o.Crash("batch-committed")
		if failed := countResult(rec, "failed"); failed > s.MaxFailures {
			prog.say("wave %s stage %s: %d failures, over max_failures %d: %s", w.Name, s.Name, failed, s.MaxFailures, ps.OnFailure)
			if ps.OnFailure == "rollback" {
				prog.end()
				results = append(results, a.rollbackStage(ctx, p.Repo, rec)...)
				rec.Status = state.RolledBack
			} else {
				rec.Status = state.Halted
			}
			break
		}
	}
	if rec.Status == state.Running && len(works) == 0 {
		rec.Status = state.Succeeded // failures within max_failures let the stage go on
	}
	run.Succeeded, run.Failed = countResult(rec, "succeeded"), countResult(rec, "failed")
	if rec.Status == state.Running {
		return run, nil // window closed: no record until the stage's run ends
	}
	rec.Finished = a.o.Now().UTC()
	run.Result = map[string]string{state.Succeeded: "succeeded", state.Halted: "halted", state.RolledBack: "rolled-back", state.Failed: "failed"}[rec.Status]
	r := &audit.Record{Kind: audit.KindStage, Wave: w.Name, Stage: s.Name, Result: run.Result, Plan: planDigest,
		PolicyCommit: head.String(), ApprovedBy: w.ApprovedBy, Actor: audit.ActorFromEnv(a.o.Getenv),
		Started: started, Finished: rec.Finished, Assets: results}
	subject := fmt.Sprintf("patchwave: wave %s stage %s %s (%d/%d)", w.Name, s.Name, run.Result, run.Succeeded, total)
	if _, err := a.commitState(ctx, head, rec, r, subject, planDigest); err != nil {
		return run, err
	}
	run.Record = path.Join(a.o.Dir, audit.Path(r))
	fmt.Fprintln(a.o.Log, subject)
	a.o.Crash("record-committed")
	return run, nil
}

// groupWork turns a stage's actions into one unit of work per asset, in
// asset order, leaving out assets already recorded as succeeded.
func groupWork(repo *policy.Repository, s *plan.Stage) []work {
	var out []work
	for _, act := range s.Actions {
		if len(out) == 0 || out[len(out)-1].id != act.Asset {
			out = append(out, work{id: act.Asset, asset: repo.Assets[act.Asset]})
		}
		wk := &out[len(out)-1]
		for _, ch := range act.Changes {
			wk.changes = append(wk.changes, driver.Change{Patch: act.Patch, Kind: act.Kind, Name: ch.Name, From: ch.From, To: ch.To})
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func countDone(rec *state.Stage) int { return countResult(rec, "succeeded") }

func countResult(rec *state.Stage, result string) int { return countAssetResult(rec.Assets, result) }

func inWindow(w *policy.Window, t time.Time) bool {
	o, ok := w.Next(t)
	return ok && o.Contains(t)
}

func (a *applier) driverFor(repo *policy.Repository, asset *policy.Asset) driver.Driver {
	if d, ok := a.drivers[asset.Driver]; ok {
		return d
	}
	d, err := a.o.Drivers.New(repo.Policy.Drivers[asset.Driver])
	if err != nil {
		d = failing{err}
	}
	a.drivers[asset.Driver] = d
	return d
}

// failing is the driver of an asset whose driver could not be built: every
// call fails with why.
type failing struct{ err error }

func (f failing) Observe(context.Context, driver.Target) (driver.Observation, error) {
	return driver.Observation{}, f.err
}

func (f failing) Apply(context.Context, driver.Target, []driver.Change) (driver.Result, error) {
	return driver.Result{}, f.err
}

// limits are what a stage's settings say about how a batch runs.
type limits struct {
	reboot      string // "never" | "if-required" | "always"
	maxParallel int
	// failBudget is how many more assets may fail before the stage is
	// over max_failures.
	failBudget int
}

// applyBatch applies a batch in parallel and records each result,
// rebooting as the stage's reboot setting says ("never", "if-required":
// when the driver reports that the change needs one, "always"). Assets
// whose driver applies batches itself (driver.BatchApplier: Ansible) go
// to it in one call per driver, with the stage's limits.
func (a *applier) applyBatch(ctx context.Context, repo *policy.Repository, rec *state.Stage, batch []work, lim limits, prog *progress) []audit.Asset {
	out := make([]audit.Asset, len(batch))
	var wg sync.WaitGroup
	var mu sync.Mutex
	type item struct {
		i  int
		wk work
		ar *state.Asset
		d  driver.Driver
	}
	finish := func(it item, res driver.Result, err error, start time.Time) {
		t := driver.Target{ID: it.wk.id, Asset: it.wk.asset}
		var rebooted string
		if err == nil && (lim.reboot == "always" || (lim.reboot == "if-required" && res.RebootRequired)) {
			if rb, ok := it.d.(driver.Rebooter); ok {
				if err = rb.Reboot(ctx, t); err == nil {
					rebooted = "done"
				} else {
					err = fmt.Errorf("reboot: %w", err)
				}
			} else {
				rebooted = "required: the driver cannot reboot; reboot by hand"
			}
		}
		after := &res.Observation
		if v, ok := it.d.(driver.Verifier); ok && err == nil {
			var obs driver.Observation
			obs, err = v.Verify(ctx, t, it.wk.changes)
			after = &obs
		}
		mu.Lock()
		defer mu.Unlock()
		ar := it.ar
		ar.At, ar.Reboot = a.o.Now().UTC(), rebooted
		switch {
		case errors.Is(err, driver.ErrNotAttempted):
			ar.Result, ar.Error = "skipped", err.Error() // unchanged: the batch stopped first
		case err != nil:
			ar.Result, ar.Error = "failed", err.Error()
		default:
			ar.Result, ar.Error, ar.After = "succeeded", "", after
		}
		out[it.i] = audit.Asset{ID: it.wk.id, Before: ar.Before, After: ar.After, Result: ar.Result, Error: ar.Error, Reboot: ar.Reboot,
			DurationMS: time.Since(start).Milliseconds()}
		prog.asset(it.wk.id, ar.Result)
	}
	batchers := map[driver.BatchApplier][]item{}
	var order []driver.BatchApplier
	for i, wk := range batch {
		ar := rec.Assets[wk.id]
		if ar.Result != "pending" {
			out[i] = audit.Asset{ID: wk.id, Before: ar.Before, Result: ar.Result, Error: ar.Error}
			continue
		}
		it := item{i: i, wk: wk, ar: ar, d: a.driverFor(repo, wk.asset)}
		if ba, ok := it.d.(driver.BatchApplier); ok {
			if batchers[ba] == nil {
				order = append(order, ba)
			}
			batchers[ba] = append(batchers[ba], it)
			continue
		}
		wg.Go(func() {
			start := time.Now()
			res, err := it.d.Apply(ctx, driver.Target{ID: wk.id, Asset: wk.asset}, wk.changes)
			finish(it, res, err, start)
		})
	}
	for _, ba := range order {
		items := batchers[ba]
		wg.Go(func() {
			start := time.Now()
			in := make([]driver.BatchItem, len(items))
			for k, it := range items {
				in[k] = driver.BatchItem{Target: driver.Target{ID: it.wk.id, Asset: it.wk.asset}, Changes: it.wk.changes}
			}
			// Ansible stops once the failed share is above the percentage:
			// rounded up, it lets exactly the budget fail.
			pct := 100
			if lim.failBudget < len(items) {
				pct = (max(0, lim.failBudget)*100 + len(items) - 1) / len(items)
			}
			results, err := ba.ApplyBatch(ctx, in, driver.BatchOptions{Serial: max(1, lim.maxParallel), MaxFailPercentage: pct})
			if err == nil && len(results) != len(items) {
				err = fmt.Errorf("the driver answered for %d of %d assets", len(results), len(items))
			}
			var inner sync.WaitGroup
			for k, it := range items {
				r := driver.BatchResult{Err: err}
				if err == nil {
					r = results[k]
				}
				inner.Go(func() { finish(it, r.Result, r.Err, start) })
			}
			inner.Wait()
		})
	}
	wg.Wait()
	return out
}

// rollbackStage puts back every asset this stage changed (on_failure
// "rollback"): to what it ran before the stage, recorded in Before.
func (a *applier) rollbackStage(ctx context.Context, repo *policy.Repository, rec *state.Stage) []audit.Asset {
	var items []putBack
	for _, id := range policy.SortedKeys(rec.Assets) {
		if ar := rec.Assets[id]; ar.Before != nil && ar.Result != "rolled-back" {
			items = append(items, putBack{id: id, asset: repo.Assets[id], rec: ar, previous: *ar.Before})
		}
	}
	return a.putBack(ctx, repo, items, fmt.Sprintf("wave %s stage %s: rollback", rec.Wave, rec.Stage))
}

// commitState commits the stage's state, and the audit record when the
// stage's run ends, on top of head.
func (a *applier) commitState(ctx context.Context, head plumbing.Hash, rec *state.Stage, r *audit.Record, subject, planDigest string) (plumbing.Hash, error) {
	trailers := []gitstore.Trailer{{Key: "Patchwave-Wave", Value: rec.Wave}, {Key: "Patchwave-Stage", Value: rec.Stage}}
	return a.commit(ctx, head, commitRequest{subject: subject, trailers: trailers, record: r, planDigest: planDigest,
		files: func(recPath string) (map[string][]byte, error) {
			name, data, err := a.stageFile(rec, recPath)
			if err != nil {
				return nil, err
			}
			return map[string][]byte{name: data}, nil
		}})
}

// stageFile encodes a stage's state file, adding the audit record of the
// commit (recPath, "" when there is none) to the stage's records, and
// returns its path in the repository.
func (a *applier) stageFile(rec *state.Stage, recPath string) (string, []byte, error) {
	if recPath != "" {
		rec.Records = append(rec.Records, recPath)
	}
	data, err := state.Marshal(rec)
	return path.Join(a.o.Dir, state.StagePath(rec.Wave, rec.Stage)), data, err
}

// commitRequest is one runner commit.
type commitRequest struct {
	subject  string
	trailers []gitstore.Trailer
	// record, when set, is the audit record the commit adds: it gets its
	// sequence and the digest of its predecessor here.
	record     *audit.Record
	planDigest string
	// files encodes the state files to commit, given the record's path
	// ("" when there is none), which state lists.
	files func(recordPath string) (map[string][]byte, error)
}

// commit commits state files, and the audit record with its trailers, on
// top of head.
func (a *applier) commit(ctx context.Context, head plumbing.Hash, req commitRequest) (plumbing.Hash, error) {
	recPath := ""
	var rdata []byte
	trailers := req.trailers
	if r := req.record; r != nil {
		fsys, err := gitstore.TreeFS(a.o.Repo, head.String(), a.o.Dir)
		if err != nil {
			return head, err
		}
		records, err := audit.Last(fsys) // the chain needs only the newest
		if err != nil {
			return head, err
		}
		r.Sequence, r.Previous = audit.Next(records)
		if rdata, err = audit.Encode(r); err != nil {
			return head, err
		}
		recPath = path.Join(a.o.Dir, audit.Path(r))
		trailers = append(slices.Clone(trailers), gitstore.Trailer{Key: "Patchwave-Result", Value: r.Result},
			gitstore.Trailer{Key: "Patchwave-Plan", Value: req.planDigest}, gitstore.Trailer{Key: "Patchwave-Record", Value: recPath})
	}
	files, err := req.files(recPath)
	if err != nil {
		return head, err
	}
	if recPath != "" {
		files[recPath] = rdata
	}
	author := a.o.Author
	author.When = a.o.Now()
	h, err := a.store.Commit(ctx, gitstore.CommitRequest{Branch: a.o.Branch, Parent: head, Files: files,
		Message: req.subject, Trailers: trailers, Author: author, Sign: a.o.Sign})
	if err != nil {
		return head, fmt.Errorf("committing %q: %w", req.subject, err)
	}
	a.res.Commits = append(a.res.Commits, h)
	return h, nil
}

// digestPlan is the digest of the plan as its JSON, which the commit and
// the record name.
func digestPlan(p *plan.Plan) (string, error) {
	var buf bytes.Buffer
	if err := render.JSON(&buf, p, render.Options{}); err != nil {
		return "", err
	}
	return audit.Digest(buf.Bytes()), nil
}
