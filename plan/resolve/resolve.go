package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ErrNotFound is wrapped by errors for refs the registry does not know:
// a missing tag, digest or repository.
var ErrNotFound = errors.New("image not found")

// Resolver maps image references to content digests.
type Resolver interface {
	// Resolve returns the digest ("sha256:...") of the manifest that ref
	// (such as "registry.example.com/shop/api:1.14.3") names now. A ref
	// that already holds a digest is checked against the registry and
	// returned as it is. For a multi-platform image the digest is the
	// index's, which is what a deployment pins.
	//
	// Resolve is safe for concurrent use and has no side effects beyond
	// reading the registry; calling it twice may give two digests only if
	// the tag moved in between. Errors name ref, wrap ErrNotFound when the
	// registry has no such image, wrap the context's error when ctx ended
	// first, and never contain credentials.
	Resolve(ctx context.Context, ref string) (digest string, err error)
}

// DefaultParallel is how many refs All resolves at once when the caller
// does not say.
const DefaultParallel = 8

// All resolves every ref in refs with at most parallel calls to r at a
// time (DefaultParallel if parallel < 1), each distinct ref once, and
// returns ref -> digest.
//
// The map holds every ref that resolved, also when err is not nil, so the
// planner can report the failures and still show the rest. err is a
// *Failures naming every ref that did not resolve.
func All(ctx context.Context, r Resolver, refs []string, parallel int) (map[string]string, error) {
	unique := slices.Clone(refs)
	slices.Sort(unique)
	unique = slices.Compact(unique)
	if parallel < 1 {
		parallel = DefaultParallel
	}
	parallel = min(parallel, len(unique))

	var (
		mu      sync.Mutex
		digests = make(map[string]string, len(unique))
		failed  = make(map[string]error)
		wg      sync.WaitGroup
		next    = make(chan string)
	)
	for range parallel {
		wg.Go(func() {
			for ref := range next {
				var (
					digest string
					err    error
				)
				// A Resolver may not look at ctx before doing its work;
				// refs still queued when ctx ends fail without a call.
				if err = ctx.Err(); err != nil {
					err = fmt.Errorf("resolving %q: %w", ref, err)
				} else {
					digest, err = r.Resolve(ctx, ref)
				}
				mu.Lock()
				if err != nil {
					failed[ref] = err
				} else {
					digests[ref] = digest
				}
				mu.Unlock()
			}
		})
	}
	for _, ref := range unique {
		next <- ref
	}
	close(next)
	wg.Wait()

	if len(failed) > 0 {
		return digests, &Failures{Errs: failed, Total: len(unique)}
	}
	return digests, nil
}

// Failures is the error All returns when some refs did not resolve.
type Failures struct {
	// Errs maps each ref that failed to its error from Resolve.
	Errs map[string]error
	// Total is how many distinct refs All was asked to resolve.
	Total int
}

// Error lists every failed ref, one per line, in ref order.
func (f *Failures) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d image references did not resolve:", len(f.Errs), f.Total)
	for _, err := range f.Unwrap() {
		b.WriteString("\n\t")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the errors in ref order, so that errors.Is(err,
// ErrNotFound) holds when any ref was missing.
func (f *Failures) Unwrap() []error {
	refs := make([]string, 0, len(f.Errs))
	for ref := range f.Errs {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	errs := make([]error, len(refs))
	for i, ref := range refs {
		errs[i] = f.Errs[ref]
	}
	return errs
}
