package drivertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/patchwave/patchwave/runner/driver"
)

// Harness is what the suite needs from a driver's test. It is a struct of
// functions, as restic's backend suite is, so that optional parts are
// fields left nil rather than methods to stub.
type Harness struct {
	// Driver returns a driver ready to use. Each subtest calls it once.
	Driver func(t *testing.T) driver.Driver

	// Target prepares a new asset in its starting state and describes
	// it. Each call gives an asset of its own, in the same starting state;
	// clean up with t.Cleanup.
	Target func(t *testing.T) Case

	// Parallel is how many assets Target can have prepared at once. The
	// concurrency subtest applies to that many (at most 8) at the same
	// time, and is skipped when it is less than 2.
	Parallel int
}

// Case is one prepared asset.
type Case struct {
	Target driver.Target

	// Start is what the asset runs in its starting state: Observe must
	// report every package of it at its version, and its digest if set.
	Start driver.Observation

	// Changes take the asset to newer versions: each From is the starting
	// version, each To a newer one, and To differs from From.
	Changes []driver.Change

	// Inspect reports what the asset runs without going through the
	// driver, to catch a driver that reports what it was asked rather
	// than what is there. Nil when the harness cannot look.
	Inspect func(t *testing.T) driver.Observation
}

// callTimeout bounds each driver call of the suite, so that a hung driver
// fails its subtest instead of the whole test binary.
const callTimeout = time.Minute

// Run runs the suite as subtests of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Driver == nil || h.Target == nil {
		t.Fatal("drivertest: Harness needs Driver and Target")
	}

	t.Run("ObserveReportsStart", func(t *testing.T) {
		d, c := h.Driver(t), prepare(t, h)
		got, err := d.Observe(ctx(t), c.Target)
		if err != nil {
			t.Fatalf("Observe: %v", err)
		}
		if err := runs(got, c.Start); err != nil {
			t.Errorf("Observe of a fresh asset: %v", err)
		}
		for _, ch := range c.Changes {
			if v := version(got, ch); v != ch.From {
				t.Errorf("Observe: %s is %q, but the change starts from %q", ch.Name, v, ch.From)
			}
		}
	})

	t.Run("ApplyReachesTarget", func(t *testing.T) {
		d, c := h.Driver(t), prepare(t, h)
		res, err := d.Apply(ctx(t), c.Target, c.Changes)
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		if err := runs(res.Observation, target(c.Changes)); err != nil {
			t.Errorf("Apply's result: %v", err)
		}
		inspect(t, c, target(c.Changes))
	})

	t.Run("ApplyAgainIsNoOp", func(t *testing.T) {
		d, c := h.Driver(t), prepare(t, h)
		first, err := d.Apply(ctx(t), c.Target, c.Changes)
		if err != nil {
			t.Fatalf("first Apply: %v", err)
		}
		again, err := d.Apply(ctx(t), c.Target, c.Changes)
		if err != nil {
			t.Fatalf("Apply to an asset already at the target: %v", err)
		}
		if !same(first.Observation, again.Observation) {
			t.Errorf("Apply again reports %+v, first Apply %+v", again.Observation, first.Observation)
		}
		if again.RebootRequired && !first.RebootRequired {
			t.Error("Apply again asks for a reboot the first did not")
		}
		inspect(t, c, target(c.Changes))
	})

	t.Run("Verify", func(t *testing.T) {
		d, c := h.Driver(t), prepare(t, h)
		v, ok := d.(driver.Verifier)
		if !ok {
			t.Skip("the driver is not a Verifier")
		}
		if _, err := v.Verify(ctx(t), c.Target, c.Changes); err == nil {
			t.Error("Verify of an asset not yet changed passed")
		}
		if _, err := d.Apply(ctx(t), c.Target, c.Changes); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		got, err := v.Verify(ctx(t), c.Target, c.Changes)
		if err != nil {
			t.Fatalf("Verify after Apply: %v", err)
		}
		if err := runs(got, target(c.Changes)); err != nil {
			t.Errorf("Verify after Apply: %v", err)
		}
	})

	t.Run("RollbackRestoresStart", func(t *testing.T) {
		d, c := h.Driver(t), prepare(t, h)
		r, ok := d.(driver.Rollbacker)
		if !ok {
			t.Skip("the driver is not a Rollbacker")
		}
		before, err := d.Observe(ctx(t), c.Target)
		if err != nil {
			t.Fatalf("Observe: %v", err)
		}
		if _, err := d.Apply(ctx(t), c.Target, c.Changes); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		res, err := r.Rollback(ctx(t), c.Target, before)
		if err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		if err := runs(res.Observation, c.Start); err != nil {
			t.Errorf("Rollback's result: %v", err)
		}
		after, err := d.Observe(ctx(t), c.Target)
		if err != nil {
			t.Fatalf("Observe after Rollback: %v", err)
		}
		if err := runs(after, c.Start); err != nil {
			t.Errorf("Observe after Rollback: %v", err)
		}
		inspect(t, c, c.Start)
		again, err := r.Rollback(ctx(t), c.Target, before)
		if err != nil {
			t.Fatalf("Rollback of an asset already rolled back: %v", err)
		}
		if !same(res.Observation, again.Observation) {
			t.Errorf("Rollback again reports %+v, first Rollback %+v", again.Observation, res.Observation)
		}
	})

	t.Run("ApplyHonoursCancel", func(t *testing.T) {
		d, c := h.Driver(t), prepare(t, h)
		cctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan error, 1)
		go func() {
			_, err := d.Apply(cctx, c.Target, c.Changes)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Apply with a cancelled context: %v, want an error that is context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Apply with a cancelled context has not returned after 10s")
		}
		// Cancelled before it began, it must not have begun.
		got, err := d.Observe(ctx(t), c.Target)
		if err != nil {
			t.Fatalf("Observe: %v", err)
		}
		if err := runs(got, c.Start); err != nil {
			t.Errorf("after Apply with a cancelled context: %v", err)
		}
	})

	t.Run("ConcurrentApply", func(t *testing.T) {
		n := min(h.Parallel, 8)
		if n < 2 {
			t.Skip("the harness prepares one asset at a time")
		}
		d := h.Driver(t)
		cases := make([]Case, n)
		for i := range cases {
			cases[i] = prepare(t, h)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, c := range cases {
			wg.Go(func() {
				res, err := d.Apply(ctx(t), c.Target, c.Changes)
				if err == nil {
					err = runs(res.Observation, target(c.Changes))
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, c := range cases {
			if errs[i] != nil {
				t.Errorf("Apply %q: %v", c.Target.ID, errs[i])
				continue
			}
			got, err := d.Observe(ctx(t), c.Target)
			if err != nil {
				t.Errorf("Observe %q: %v", c.Target.ID, err)
			} else if err := runs(got, target(c.Changes)); err != nil {
				t.Errorf("Observe %q after concurrent Apply: %v", c.Target.ID, err)
			}
			inspect(t, c, target(c.Changes))
		}
	})
}

// prepare gets a case and checks that it can test something.
func prepare(t *testing.T, h Harness) Case {
	t.Helper()
	c := h.Target(t)
	if len(c.Changes) == 0 {
		t.Fatal("drivertest: the harness's case has no changes")
	}
	for _, ch := range c.Changes {
		if ch.From == ch.To {
			t.Fatalf("drivertest: change of %s goes from %q to itself", ch.Name, ch.From)
		}
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	return c
}

// target is what an asset runs after the changes.
func target(changes []driver.Change) driver.Observation {
	var o driver.Observation
	for _, c := range changes {
		if c.Kind == "image" {
			o.Digest = c.To
			continue
		}
		if o.Packages == nil {
			o.Packages = map[string]string{}
		}
		o.Packages[c.Name] = c.To
	}
	return o
}

// version is what o reports for the name of a change.
func version(o driver.Observation, c driver.Change) string {
	if c.Kind == "image" {
		return o.Digest
	}
	return o.Packages[c.Name]
}

// runs reports how got falls short of want: every package of want at its
// version, and want's digest if set. got may report more packages.
func runs(got, want driver.Observation) error {
	for name, v := range want.Packages {
		g, ok := got.Packages[name]
		if !ok {
			return fmt.Errorf("reports no %s (want %q)", name, v)
		}
		if g != v {
			return fmt.Errorf("reports %s %q (want %q)", name, g, v)
		}
	}
	if want.Digest != "" && got.Digest != want.Digest {
		return fmt.Errorf("reports digest %q (want %q)", got.Digest, want.Digest)
	}
	return nil
}

func same(a, b driver.Observation) bool {
	return a.Digest == b.Digest && maps.Equal(a.Packages, b.Packages)
}

// inspect checks the asset out of band, when the harness can.
func inspect(t *testing.T, c Case, want driver.Observation) {
	t.Helper()
	if c.Inspect == nil {
		return
	}
	if err := runs(c.Inspect(t), want); err != nil {
		t.Errorf("%q seen out of band: %v", c.Target.ID, err)
	}
}
