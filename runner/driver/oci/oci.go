package oci

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/patchwave/patchwave/plan/resolve"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
)

// Options are what the runner, not the policy, decides about oci drivers.
// The zero value is ready to use.
type Options struct {
	// Transport is the HTTP transport requests go through (proxies,
	// private CAs, tests). Nil means remote.DefaultTransport. Plain HTTP
	// to private-network addresses is refused on top of it unless the
	// registry is listed as insecure.
	Transport http.RoundTripper
}

// ociDriver moves the tags of one policy.drivers entry's image assets.
type ociDriver struct {
	name     string
	insecure map[string]bool // as resolve.InsecureSet gives it
	puller   *remote.Puller
	pusher   *remote.Pusher
}

var (
	_ driver.Driver     = (*ociDriver)(nil)
	_ driver.Verifier   = (*ociDriver)(nil)
	_ driver.Rollbacker = (*ociDriver)(nil)
)

// New builds the oci driver of a policy.drivers entry.
func New(d policy.Driver, opts Options) (driver.Driver, error) {
	var insecure []string
	for key, v := range d.Settings {
		switch key {
		case "type":
		case "insecure":
			l, err := driver.StringList(v)
			if err != nil {
				return nil, fmt.Errorf("oci driver: insecure: want a list of registries such as [\"registry.lab:5000\"]: %v", err)
			}
			insecure = l
		default:
			return nil, fmt.Errorf("oci driver: unknown setting %q (want insecure)", key)
		}
	}
	set := resolve.InsecureSet(insecure)
	rt := resolve.GuardPlainHTTP(opts.Transport, set)
	// Puller and Pusher cache each repository's authenticated transport
	// and are safe for concurrent use.
	p, err := remote.NewPuller(remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithTransport(rt))
	if err != nil {
		return nil, fmt.Errorf("oci driver: %w", err)
	}
	w, err := remote.NewPusher(remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithTransport(rt))
	if err != nil {
		return nil, fmt.Errorf("oci driver: %w", err)
	}
	return &ociDriver{name: d.Name, insecure: set, puller: p, pusher: w}, nil
}

// Observe resolves the asset's image.ref to the digest it names now.
func (o *ociDriver) Observe(ctx context.Context, t driver.Target) (driver.Observation, error) {
	ref, err := o.assetRef(t)
	if err != nil {
		return driver.Observation{}, o.fail(t, "observe", err)
	}
	digest, err := o.digestOf(ctx, ref)
	if err != nil {
		return driver.Observation{}, o.fail(t, "observe", err)
	}
	return driver.Observation{Digest: digest}, nil
}

// Apply points the asset's tag at the changes' target image, copying it
// into the tag's repository when it comes from another one. It reports
// the digest the tag names afterwards, read back from the registry.
func (o *ociDriver) Apply(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Result, error) {
	if err := ctx.Err(); err != nil {
		return driver.Result{}, o.fail(t, "apply", err)
	}
	ref, err := o.assetRef(t)
	if err != nil {
		return driver.Result{}, o.fail(t, "apply", err)
	}
	tag, ok := ref.(name.Tag)
	if !ok {
		return driver.Result{}, o.fail(t, "apply", driver.Permanent(fmt.Errorf("image.ref %q pins a digest: it needs a tag to move", ref)))
	}
	to, err := imageTarget(t, changes)
	if err != nil {
		return driver.Result{}, o.fail(t, "apply", err)
	}
	src, err := o.source(ctx, tag, to)
	if err != nil {
		return driver.Result{}, o.fail(t, "apply", err)
	}
	now, err := o.digestOf(ctx, tag)
	if err != nil && !errors.Is(err, resolve.ErrNotFound) {
		// A tag not there yet is no reason to stop: the push creates it.
		return driver.Result{}, o.fail(t, "apply", err)
	}
	if now == src.DigestStr() {
		return driver.Result{Observation: driver.Observation{Digest: now}}, nil
	}
	if err := o.promote(ctx, src, tag); err != nil {
		return driver.Result{}, o.fail(t, "apply", err)
	}
	after, err := o.digestOf(ctx, tag)
	if err != nil {
		return driver.Result{}, o.fail(t, "apply", fmt.Errorf("reading the tag back: %w", err))
	}
	if after != src.DigestStr() {
		// Someone else moved the tag in between.
		return driver.Result{}, o.fail(t, "apply", fmt.Errorf("pushed %s, but the tag now names %s", src.DigestStr(), after))
	}
	return driver.Result{Observation: driver.Observation{Digest: after}}, nil
}

// Verify resolves the asset's ref and fails unless it names the changes'
// target digest. A target given as a tag (an --offline plan) is resolved
// again, so it verifies against what the tag names now.
func (o *ociDriver) Verify(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Observation, error) {
	ref, err := o.assetRef(t)
	if err != nil {
		return driver.Observation{}, o.fail(t, "verify", err)
	}
	to, err := imageTarget(t, changes)
	if err != nil {
		return driver.Observation{}, o.fail(t, "verify", err)
	}
	now, err := o.digestOf(ctx, ref)
	if err != nil {
		return driver.Observation{}, o.fail(t, "verify", err)
	}
	want, err := o.targetDigest(ctx, to)
	if err != nil {
		return driver.Observation{}, o.fail(t, "verify", err)
	}
	obs := driver.Observation{Digest: now}
	if now != want {
		return obs, o.fail(t, "verify", fmt.Errorf("names %s (want %s)", now, want))
	}
	return obs, nil
}

// Rollback points the asset's tag back at previous.Digest, which must
// still be in the tag's repository.
func (o *ociDriver) Rollback(ctx context.Context, t driver.Target, previous driver.Observation) (driver.Result, error) {
	if err := ctx.Err(); err != nil {
		return driver.Result{}, o.fail(t, "rollback", err)
	}
	ref, err := o.assetRef(t)
	if err != nil {
		return driver.Result{}, o.fail(t, "rollback", err)
	}
	tag, ok := ref.(name.Tag)
	if !ok {
		return driver.Result{}, o.fail(t, "rollback", driver.Permanent(fmt.Errorf("image.ref %q pins a digest: it needs a tag to move", ref)))
	}
	if previous.Digest == "" {
		return driver.Result{}, o.fail(t, "rollback", driver.Permanent(errors.New("no previous digest recorded")))
	}
	src, err := o.parse(tag.Context().Name() + "@" + previous.Digest)
	if err != nil {
		return driver.Result{}, o.fail(t, "rollback", driver.Permanent(fmt.Errorf("previous digest %q: %w", previous.Digest, err)))
	}
	now, err := o.digestOf(ctx, tag)
	if err != nil && !errors.Is(err, resolve.ErrNotFound) {
		return driver.Result{}, o.fail(t, "rollback", err)
	}
	if now == previous.Digest {
		return driver.Result{Observation: driver.Observation{Digest: now}}, nil
	}
	if err := o.promote(ctx, src.(name.Digest), tag); err != nil {
		return driver.Result{}, o.fail(t, "rollback", err)
	}
	after, err := o.digestOf(ctx, tag)
	if err != nil {
		return driver.Result{}, o.fail(t, "rollback", fmt.Errorf("reading the tag back: %w", err))
	}
	return driver.Result{Observation: driver.Observation{Digest: after}}, nil
}

// assetRef parses the target's image.ref.
func (o *ociDriver) assetRef(t driver.Target) (name.Reference, error) {
	if t.Asset == nil || t.Asset.Image == nil || t.Asset.Image.Ref == "" {
		return nil, driver.Permanent(errors.New("the asset has no image.ref"))
	}
	ref, err := o.parse(t.Asset.Image.Ref)
	if err != nil {
		return nil, driver.Permanent(fmt.Errorf("image.ref: %w", err))
	}
	return ref, nil
}

// parse parses a reference, allowing plain HTTP to it when its registry
// is listed as insecure. Loopback registries get plain HTTP from
// go-containerregistry anyway.
func (o *ociDriver) parse(s string) (name.Reference, error) {
	ref, err := name.ParseReference(s)
	if err != nil {
		return nil, err
	}
	if o.insecure[ref.Context().RegistryStr()] {
		return name.ParseReference(s, name.Insecure)
	}
	return ref, nil
}

// imageTarget returns the To of the image changes, which must agree.
func imageTarget(t driver.Target, changes []driver.Change) (string, error) {
	var to string
	for _, c := range changes {
		if c.Kind != driver.KindImage {
			return "", driver.Permanent(fmt.Errorf("change of %q is of kind %q: the oci driver changes images only", c.Name, c.Kind))
		}
		if c.Name != "" && c.Name != t.Asset.Image.Ref {
			return "", driver.Permanent(fmt.Errorf("change names image %q, but the asset's image.ref is %q", c.Name, t.Asset.Image.Ref))
		}
		if c.To == "" {
			return "", driver.Permanent(fmt.Errorf("change of %q has no target (to)", c.Name))
		}
		if to != "" && c.To != to {
			return "", driver.Permanent(fmt.Errorf("changes disagree on the target: %q and %q", to, c.To))
		}
		to = c.To
	}
	if to == "" {
		return "", driver.Permanent(errors.New("no image change"))
	}
	return to, nil
}

// source turns a change's To into the digest reference to copy from: a
// bare digest lives in the tag's own repository, "repo@sha256:…" names
// its repository, and a tag ("repo:tag", from an --offline plan) is
// resolved to a digest in its repository first.
func (o *ociDriver) source(ctx context.Context, tag name.Tag, to string) (name.Digest, error) {
	s := to
	if strings.HasPrefix(to, "sha256:") {
		s = tag.Context().Name() + "@" + to
	}
	ref, err := o.parse(s)
	if err != nil {
		return name.Digest{}, driver.Permanent(fmt.Errorf("target %q: want a digest, repository@digest or repository:tag: %w", to, err))
	}
	if d, ok := ref.(name.Digest); ok {
		return d, nil
	}
	digest, err := o.digestOf(ctx, ref)
	if err != nil {
		return name.Digest{}, fmt.Errorf("resolving the target %q: %w", to, err)
	}
	d, err := o.parse(ref.Context().Name() + "@" + digest)
	if err != nil {
		return name.Digest{}, err
	}
	return d.(name.Digest), nil
}

// targetDigest is the bare digest a change's To stands for.
func (o *ociDriver) targetDigest(ctx context.Context, to string) (string, error) {
	if strings.HasPrefix(to, "sha256:") {
		return to, nil
	}
	ref, err := o.parse(to)
	if err != nil {
		return "", driver.Permanent(fmt.Errorf("target %q: want a digest, repository@digest or repository:tag: %w", to, err))
	}
	if d, ok := ref.(name.Digest); ok {
		return d.DigestStr(), nil
	}
	digest, err := o.digestOf(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("resolving the target %q: %w", to, err)
	}
	return digest, nil
}

// digestOf resolves ref with HEAD, falling back to GET: some registries
// answer HEAD badly, and a failed HEAD has no body to say why.
func (o *ociDriver) digestOf(ctx context.Context, ref name.Reference) (string, error) {
	desc, err := o.puller.Head(ctx, ref)
	if err == nil {
		return desc.Digest.String(), nil
	}
	if ctx.Err() == nil {
		d, gerr := o.puller.Get(ctx, ref)
		if gerr == nil {
			return d.Digest.String(), nil
		}
		err = gerr
	}
	return "", o.registryError(ctx, ref, err)
}

// promote writes the manifest (or index) src names to tag, with every
// blob and child manifest the tag's repository lacks; blobs in the same
// registry are mounted rather than copied.
func (o *ociDriver) promote(ctx context.Context, src name.Digest, tag name.Tag) error {
	desc, err := o.puller.Get(ctx, src)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", src, o.registryError(ctx, src, err))
	}
	if err := o.pusher.Push(ctx, tag, desc); err != nil {
		return fmt.Errorf("pushing %s to %s: %w", src.DigestStr(), tag, o.registryError(ctx, tag, err))
	}
	return nil
}

// registryError classifies and scrubs an error from go-containerregistry:
// the context's error when ctx ended, permanent for a missing image or a
// refused credential, and never with credentials in its text.
func (o *ociDriver) registryError(ctx context.Context, ref name.Reference, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	notFound := resolve.IsNotFound(err)
	refused := false
	var terr *transport.Error
	if errors.As(err, &terr) {
		refused = terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden
	}
	err = resolve.Scrub(ctx, ref, err)
	switch {
	case notFound:
		return driver.Permanent(fmt.Errorf("%w: %w", resolve.ErrNotFound, err))
	case refused:
		return driver.Permanent(err)
	}
	return err
}

// fail builds the error of a call, naming the driver, action, asset and
// its ref, and keeping the cause in the chain.
func (o *ociDriver) fail(t driver.Target, action string, err error) error {
	ref := ""
	if t.Asset != nil && t.Asset.Image != nil {
		ref = t.Asset.Image.Ref
	}
	return &callError{driver: o.name, action: action, asset: t.ID, ref: ref, err: err}
}

// callError keeps the cause in the chain, so that callers can test for
// context.Canceled or driver.PermanentError.
type callError struct {
	driver, action, asset, ref string
	err                        error
}

func (e *callError) Error() string {
	return fmt.Sprintf("oci driver %q: %s %q (%s): %v", e.driver, e.action, e.asset, e.ref, e.err)
}

func (e *callError) Unwrap() error { return e.err }
