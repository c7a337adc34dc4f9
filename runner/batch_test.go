package runner_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/driver"
)

// batcher is a stand-in (named so) for a driver that applies batches
// itself, as the ansible driver does: it records what the runner asks and
// fails the assets in fail, not attempting those after the first failure.
type batcher struct {
	noop
	mu    sync.Mutex
	calls []driver.BatchOptions
	sizes []int
	fail  map[string]bool
}

func (b *batcher) ApplyBatch(ctx context.Context, items []driver.BatchItem, opts driver.BatchOptions) ([]driver.BatchResult, error) {
	b.mu.Lock()
	b.calls, b.sizes = append(b.calls, opts), append(b.sizes, len(items))
	b.mu.Unlock()
	out := make([]driver.BatchResult, len(items))
	stopped := false
	for i, it := range items {
		switch {
		case stopped:
			out[i].Err = driver.ErrNotAttempted
		case b.fail[it.Target.ID]:
			out[i].Err, stopped = errors.New("apt-get failed"), true
		default:
			out[i].Result, out[i].Err = b.Apply(ctx, it.Target, it.Changes)
		}
	}
	return out, nil
}

// A driver that applies batches gets each batch in one call, with the
// stage's max_parallel and what is left of its max_failures as a share;
// assets it did not attempt stay unchanged ("skipped"), not failed.
func TestApplyThroughBatchApplier(t *testing.T) {
	dir, _ := testrepo.Hosts(t, "../examples/quickstart")
	repo := mustOpen(t, dir)
	b := &batcher{fail: map[string]bool{}}
	var reg driver.Registry
	reg.Register("exec", func(policy.Driver) (driver.Driver, error) { return b, nil })
	run := func(at string) (*runner.ApplyResult, error) {
		when, _ := policy.ParseTime(at)
		return runner.Apply(context.Background(), runner.ApplyOptions{Repo: repo, Branch: "main", Now: func() time.Time { return when },
			Drivers: &reg, Author: object.Signature{Name: "t", Email: "t@example.com"}})
	}
	// The canary: max_parallel 1, max_failures 0: two calls of one asset,
	// no failure allowed.
	if _, err := run("2026-11-26T22:30:00Z"); err != nil {
		t.Fatal(err)
	}
	if len(b.calls) != 2 || b.sizes[0] != 1 || b.calls[0] != (driver.BatchOptions{Serial: 1, MaxFailPercentage: 0}) {
		t.Errorf("canary batches: %v of sizes %v", b.calls, b.sizes)
	}
	// The pilot (max_failures 1): app-01, in the first batch, fails,
	// within the budget; the first batch may fail its one asset (100%),
	// the second (web-01) none.
	b.calls, b.sizes = nil, nil
	b.fail["app-01"] = true
	res, err := run("2026-11-30T22:00:00Z")
	if err != nil || res.Stages[0].Failed != 1 || res.Stages[0].Result != "succeeded" {
		t.Fatalf("pilot: %v %+v", err, res)
	}
	if len(b.calls) != 2 || b.calls[0].MaxFailPercentage != 100 || b.calls[1].MaxFailPercentage != 0 {
		t.Errorf("pilot batches: %v", b.calls)
	}
	st := testrepo.State(t, dir)
	pilot := st.Stage("2026-11-security", "pilot")
	if a := pilot.Assets["app-01"]; a.Result != "failed" || a.Error != "apt-get failed" {
		t.Errorf("app-01: %+v", a)
	}
	// The stage is done, app-01 still needs the patch, and apply does not
	// retry it in a loop: the pilot ran once.
	if pilot.Status != state.Succeeded || len(res.Stages) != 1 {
		t.Errorf("pilot %s after %d stage runs", pilot.Status, len(res.Stages))
	}
	p := prepared(t, dir, "2026-11-30T23:00:00Z")
	if s := p.Plan.Waves[0].Stages[1]; s.Status != "done" || !strings.Contains(s.Reason, "1 asset failed and still needs it: see audit/") || len(s.Actions) != 1 {
		t.Errorf("the pilot in the plan: %s, %q, %d actions", s.Status, s.Reason, len(s.Actions))
	}
}
