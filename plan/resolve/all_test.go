package resolve_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchwave/patchwave/plan/resolve"
)

// counting wraps a Resolver and records how often each ref was asked for
// and how many calls ran at once.
type counting struct {
	resolve.Resolver
	delay time.Duration

	mu       sync.Mutex
	calls    map[string]int
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

func (c *counting) Resolve(ctx context.Context, ref string) (string, error) {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.maxSeen.Load()
		if n <= m || c.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[ref]++
	c.mu.Unlock()
	time.Sleep(c.delay)
	return c.Resolver.Resolve(ctx, ref)
}

func TestAllAgainstRegistry(t *testing.T) {
	t.Parallel()
	host := startRegistry(t, nil)
	api := push(t, randomImage(t), host+"/shop/api:1.14.3")
	worker := push(t, randomImage(t), host+"/shop/worker:2.0.0")
	missingTag := host + "/shop/api:0.0.0-missing"
	missingRepo := host + "/shop/gone:1"

	c := &counting{Resolver: resolve.NewRegistry(resolve.RegistryOptions{})}
	refs := []string{
		host + "/shop/api:1.14.3", missingTag, host + "/shop/worker:2.0.0",
		host + "/shop/api:1.14.3", missingRepo, missingTag, host + "/shop/api:1.14.3",
	}
	got, err := resolve.All(t.Context(), c, refs, 4)

	want := map[string]string{host + "/shop/api:1.14.3": api, host + "/shop/worker:2.0.0": worker}
	if len(got) != len(want) {
		t.Errorf("All returned %d digests, want %d: %v", len(got), len(want), got)
	}
	for ref, d := range want {
		if got[ref] != d {
			t.Errorf("All()[%q] = %q, want %q", ref, got[ref], d)
		}
	}
	for ref, n := range c.calls {
		if n != 1 {
			t.Errorf("%q resolved %d times, want once", ref, n)
		}
	}
	if len(c.calls) != 4 {
		t.Errorf("All made calls for %d distinct refs, want 4: %v", len(c.calls), c.calls)
	}

	var failures *resolve.Failures
	if !errors.As(err, &failures) {
		t.Fatalf("All: err = %v, want *Failures", err)
	}
	if len(failures.Errs) != 2 || failures.Total != 4 {
		t.Errorf("Failures: %d of %d, want 2 of 4", len(failures.Errs), failures.Total)
	}
	for _, ref := range []string{missingTag, missingRepo} {
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", ref)) {
			t.Errorf("error does not name %q:\n%v", ref, err)
		}
		if !errors.Is(failures.Errs[ref], resolve.ErrNotFound) {
			t.Errorf("Errs[%q] = %v, want ErrNotFound", ref, failures.Errs[ref])
		}
	}
	if !errors.Is(err, resolve.ErrNotFound) {
		t.Errorf("errors.Is(err, ErrNotFound) = false for %v", err)
	}
	if !strings.HasPrefix(err.Error(), "2 of 4 image references did not resolve:") {
		t.Errorf("error message: %v", err)
	}
}

// fixed resolves every ref to a digest derived from it.
type fixed struct{}

func (fixed) Resolve(_ context.Context, ref string) (string, error) {
	return "sha256:" + ref, nil
}

func TestAllBoundsConcurrency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		parallel int
		want     int32
	}{
		{"explicit bound", 3, 3},
		{"default bound", 0, resolve.DefaultParallel},
		{"serial", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var refs []string
			for i := range 40 {
				refs = append(refs, fmt.Sprintf("registry.test/app%d:1", i))
			}
			c := &counting{Resolver: fixed{}, delay: 5 * time.Millisecond}
			got, err := resolve.All(t.Context(), c, refs, tc.parallel)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(refs) {
				t.Errorf("got %d digests, want %d", len(got), len(refs))
			}
			if m := c.maxSeen.Load(); m > tc.want {
				t.Errorf("%d calls ran at once, want at most %d", m, tc.want)
			}
		})
	}
}

func TestAllCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c := &counting{Resolver: fixed{}}
	got, err := resolve.All(ctx, c, []string{"a.test/x:1", "a.test/y:1"}, 2)
	if len(got) != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("All with a canceled context = %v, %v; want nothing and context.Canceled", got, err)
	}
	if len(c.calls) != 0 {
		t.Errorf("All called the resolver %d times after cancellation", len(c.calls))
	}
}

func TestAllEmpty(t *testing.T) {
	t.Parallel()
	got, err := resolve.All(t.Context(), fixed{}, nil, 4)
	if err != nil || len(got) != 0 {
		t.Fatalf("All(nil) = %v, %v; want an empty map and no error", got, err)
	}
}
