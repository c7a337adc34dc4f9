package runner

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/audit"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// rollbackParallel is how many assets a rollback puts back at once.
const rollbackParallel = 8

// Rollback is the break-glass path (patchwave rollback): it puts back
// what a wave, some of its stages or some assets ran before the wave,
// through the same drivers, with the same state and audit record as a
// reviewed rollback, marked "break-glass". req names the wave, and
// optionally stages, assets and the reason; its name is made from the
// time. Nothing to put back is not an error.
func Rollback(ctx context.Context, o ApplyOptions, req policy.Rollback) (*ApplyResult, error) {
	a := newApplier(o)
	return a.res, a.locked(ctx, func(ctx context.Context) error {
		head, p, err := a.head(ctx)
		if err != nil {
			return err
		}
		w := p.Repo.Waves[req.Wave]
		if w == nil {
			return fmt.Errorf("%w: wave %q is not in the repository (it has %v)", ErrRefused, req.Wave, policy.SortedKeys(p.Repo.Waves))
		}
		for _, s := range req.Stages {
			if !slices.ContainsFunc(w.Stages, func(st *policy.Stage) bool { return st.Name == s }) {
				return fmt.Errorf("%w: wave %q has no stage %q", ErrRefused, req.Wave, s)
			}
		}
		for _, id := range req.Assets {
			if p.Repo.Assets[id] == nil {
				return fmt.Errorf("%w: asset %q is not in the inventory", ErrRefused, id)
			}
		}
		// A break-glass rollback that a run began and did not finish comes
		// first: the new one may then have nothing left to do.
		for _, rb := range p.Plan.Rollbacks {
			if rb.Status == plan.StatusRunning && !a.o.DryRun {
				fmt.Fprintf(a.o.Log, "finishing rollback %s, which an earlier run began\n", rb.Name)
				run, err := a.runRollback(ctx, head, p, rb, state.KindRollback)
				if err != nil {
					return err
				}
				if err := a.finished(ctx, run); err != nil {
					return err
				}
				if head, p, err = a.head(ctx); err != nil {
					return err
				}
			}
		}
		req.Name = "break-glass-" + a.o.Now().UTC().Format("20060102-150405")
		for i := 2; p.State.RollbackRecord(req.Name) != nil; i++ { // two in one second
			req.Name = fmt.Sprintf("break-glass-%s-%d", a.o.Now().UTC().Format("20060102-150405"), i)
		}
		rb := plan.ComputeRollback(plan.Input{Repo: p.Repo, State: p.State, At: a.o.Now()}, &req, state.KindBreakGlass)
		if len(rb.Actions) == 0 {
			fmt.Fprintf(a.o.Log, "nothing to put back: wave %s changed none of these assets, or they run what they ran before\n", req.Wave)
			return nil
		}
		if a.o.DryRun {
			fmt.Fprintf(a.o.Log, "would put back %s of wave %s:\n", plural(len(rb.Actions), "action", "actions"), rb.Wave)
			for _, act := range rb.Actions {
				fmt.Fprintf(a.o.Log, "  %s %s: %s -> %s\n", act.Asset, act.Patch, act.From, act.To)
			}
			return nil
		}
		run, err := a.runRollback(ctx, head, p, rb, state.KindBreakGlass)
		if err != nil {
			return err
		}
		if err := a.finished(ctx, run); err != nil {
			return err
		}
		return run.err()
	})
}

// nextRollback is the first reviewed rollback that is due or running.
func nextRollback(p *plan.Plan) *plan.Rollback {
	for _, rb := range p.Rollbacks {
		if rb.Status == plan.StatusDue || rb.Status == plan.StatusRunning {
			return rb
		}
	}
	return nil
}

// runRollback carries out a rollback. Like a stage: it first commits
// which assets it is about to put back and what they run now, then puts
// them back through the drivers' Rollback, then commits the result: the
// rollback's record, the stages' records (their assets "rolled-back",
// the stages too) and the audit record. A run that dies in between finds
// the rollback running and puts back again, which is a no-op for an
// asset already back.
func (a *applier) runRollback(ctx context.Context, head plumbing.Hash, p *Prepared, rb *plan.Rollback, kind string) (StageRun, error) {
	planDigest, err := digestPlan(p.Plan)
	if err != nil {
		return StageRun{}, err
	}
	run := StageRun{Wave: rb.Wave, Rollback: rb.Name}
	started := a.o.Now().UTC()
	rec := p.State.RollbackRecord(rb.Name)
	if rec != nil {
		kind = rec.Kind // a run resumed: as it began
	}
	if rec == nil {
		rec = &state.Rollback{Name: rb.Name, Kind: kind, Wave: rb.Wave, Stages: rb.Stages, Reason: rb.Reason,
			Status: state.RollbackRunning, Started: started, Assets: map[string]*state.Asset{}}
	}
	befores := p.State.Changed(rb.Wave, rb.Stages)
	var items []putBack
	for i, act := range rb.Actions {
		if i > 0 && rb.Actions[i-1].Asset == act.Asset {
			continue // an asset's actions come together: observed once
		}
		asset := p.Repo.Assets[act.Asset]
		if ar, ok := a.observeBefore(ctx, p.Repo, rec.Assets, act.Asset, asset, "observing before the rollback: "); ok {
			items = append(items, putBack{id: act.Asset, asset: asset, rec: ar, previous: *befores[act.Asset]})
		}
	}
	trailers := []gitstore.Trailer{{Key: "Patchwave-Wave", Value: rb.Wave}}
	for _, s := range rb.Stages {
		trailers = append(trailers, gitstore.Trailer{Key: "Patchwave-Stage", Value: s})
	}
	trailers = append(trailers, gitstore.Trailer{Key: "Patchwave-Rollback", Value: rb.Name}, gitstore.Trailer{Key: "Patchwave-Kind", Value: kind})
	rollbackFile := func(recPath string) (map[string][]byte, error) {
		if recPath != "" {
			rec.Records = append(rec.Records, recPath)
		}
		data, err := state.MarshalRollback(rec)
		if err != nil {
			return nil, err
		}
		return map[string][]byte{path.Join(a.o.Dir, state.RollbackPath(rec.Name)): data}, nil
	}
	fmt.Fprintf(a.o.Log, "%s %s of wave %s: %s to put back\n", kind, rb.Name, rb.Wave, plural(len(items), "asset", "assets"))
	if len(items) > 0 {
		head, err = a.commit(ctx, head, commitRequest{subject: fmt.Sprintf("patchwave: %s %s of wave %s: %s about to be put back", kind, rb.Name, rb.Wave, plural(len(items), "asset", "assets")),
			trailers: trailers, planDigest: planDigest, files: rollbackFile})
		if err != nil {
			return run, err
		}
	}
	a.o.Crash("rollback-pending-committed")
	results := a.putBack(ctx, p.Repo, items, fmt.Sprintf("%s %s", kind, rb.Name))
	for _, id := range policy.SortedKeys(rec.Assets) {
		if ar := rec.Assets[id]; ar.Result == "failed" && !slices.ContainsFunc(results, func(r audit.Asset) bool { return r.ID == id }) {
			results = append(results, audit.Asset{ID: id, Before: ar.Before, Result: ar.Result, Error: ar.Error})
		}
	}
	a.o.Crash("rolled-back")
	// The stages' records: their assets put back, and the stages with them.
	stages := map[string]*state.Stage{}
	for _, name := range rb.Stages {
		srec := p.State.Stage(rb.Wave, name)
		if srec == nil {
			continue
		}
		for _, it := range items {
			if sa := srec.Assets[it.id]; sa != nil && it.rec.Result == "rolled-back" && sa.Result != "rolled-back" {
				sa.Result, sa.After, sa.At = "rolled-back", it.rec.After, it.rec.At
				srec.Status = state.RolledBack
				stages[name] = srec
			}
		}
	}
	run.Succeeded, run.Failed = countAssetResult(rec.Assets, "rolled-back"), countAssetResult(rec.Assets, "failed")
	rec.Status, run.Result = state.RollbackDone, "rolled-back"
	if run.Failed > 0 {
		rec.Status, run.Result = state.RollbackFailed, "failed"
	}
	rec.Finished = a.o.Now().UTC()
	r := &audit.Record{Kind: kind, Wave: rb.Wave, Rollback: rb.Name, Stages: rb.Stages, Result: run.Result, Plan: planDigest,
		PolicyCommit: head.String(), ApprovedBy: rb.ApprovedBy, Reason: rb.Reason, Actor: audit.ActorFromEnv(a.o.Getenv),
		Started: started, Finished: rec.Finished, Assets: results}
	subject := fmt.Sprintf("patchwave: %s %s of wave %s %s (%d/%d)", kind, rb.Name, rb.Wave, run.Result, run.Succeeded, run.Succeeded+run.Failed)
	_, err = a.commit(ctx, head, commitRequest{subject: subject, trailers: trailers, record: r, planDigest: planDigest,
		files: func(recPath string) (map[string][]byte, error) {
			files, err := rollbackFile(recPath)
			if err != nil {
				return nil, err
			}
			for _, srec := range stages {
				// The stage ended anew: rolled back, by this record.
				srec.Finished = rec.Finished
				name, data, err := a.stageFile(srec, recPath)
				if err != nil {
					return nil, err
				}
				files[name] = data
			}
			return files, nil
		}})
	if err != nil {
		return run, err
	}
	run.Record = path.Join(a.o.Dir, audit.Path(r))
	fmt.Fprintln(a.o.Log, subject)
	a.o.Crash("rollback-record-committed")
	return run, nil
}

// putBack is one asset to put back to previous; rec receives the result.
type putBack struct {
	id       string
	asset    *policy.Asset
	rec      *state.Asset
	previous driver.Observation
}

// putBack puts assets back through their drivers' Rollback, a few at a
// time, and records each result in its rec; what names the run in the
// progress it shows.
func (a *applier) putBack(ctx context.Context, repo *policy.Repository, items []putBack, what string) []audit.Asset {
	prog := a.progress(what, len(items), (len(items)+rollbackParallel-1)/rollbackParallel)
	defer prog.end()
	out := make([]audit.Asset, len(items))
	sem := make(chan struct{}, rollbackParallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, it := range items {
		d := a.driverFor(repo, it.asset)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			var res driver.Result
			rb, ok := d.(driver.Rollbacker)
			err := fmt.Errorf("driver %q cannot roll back; put the asset back by hand", it.asset.Driver)
			if ok {
				res, err = rb.Rollback(ctx, driver.Target{ID: it.id, Asset: it.asset}, it.previous)
			}
			mu.Lock()
			defer mu.Unlock()
			it.rec.At = a.o.Now().UTC()
			if err != nil {
				it.rec.Result, it.rec.Error = "failed", "rollback failed: "+err.Error()
			} else {
				it.rec.Result, it.rec.Error, it.rec.After = "rolled-back", "", &res.Observation
			}
			out[i] = audit.Asset{ID: it.id, Before: it.rec.Before, After: it.rec.After, Result: it.rec.Result, Error: it.rec.Error,
				DurationMS: time.Since(start).Milliseconds()}
			prog.asset(it.id, it.rec.Result)
		})
	}
	wg.Wait()
	return out
}

func countAssetResult(assets map[string]*state.Asset, result string) int {
	n := 0
	for _, ar := range assets {
		if ar.Result == result {
			n++
		}
	}
	return n
}
