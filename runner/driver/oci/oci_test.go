package oci

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/patchwave/patchwave/plan/resolve"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
)

// newRegistry starts go-containerregistry's in-process registry on
// 127.0.0.1 and returns its host:port.
func newRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// push writes img (a v1.Image or v1.ImageIndex) to ref, a tag or
// repo@digest, out of band, and returns its digest.
func push(t *testing.T, ref string, img remote.Taggable) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Push(r, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := img.(interface{ Digest() (v1.Hash, error) }).Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// pushByDigest writes img into repo untagged, as a patch pipeline might.
func pushByDigest(t *testing.T, repo string, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return push(t, repo+"@"+d.String(), img)
}

// headDigest reads what ref names without the driver.
func headDigest(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r)
	if err != nil {
		t.Fatalf("HEAD %s: %v", ref, err)
	}
	return desc.Digest.String()
}

func newDriver(t *testing.T, opts Options) driver.Driver {
	t.Helper()
	d, err := New(policy.Driver{Name: "images", Type: "oci", Settings: map[string]any{"type": "oci"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func imageAsset(id, ref, digest string) driver.Target {
	return driver.Target{ID: id, Asset: &policy.Asset{Kind: "image", Image: &policy.Image{Ref: ref, Digest: digest}}}
}

func imageChange(ref, from, to string) []driver.Change {
	return []driver.Change{{Patch: "api-1.2.4", Kind: driver.KindImage, Name: ref, From: from, To: to}}
}

// countingTransport counts the requests that write to a registry.
type countingTransport struct{ writes atomic.Int64 }

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete:
		c.writes.Add(1)
	}
	return http.DefaultTransport.RoundTrip(req)
}

// fixture is a registry with shop/api:prod at image A and image B in
// shop/api untagged.
type fixture struct {
	host, ref, a, b string
	imgB            v1.Image
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	host := newRegistry(t)
	ref := host + "/shop/api:prod"
	f := fixture{host: host, ref: ref, imgB: randomImage(t)}
	f.a = push(t, ref, randomImage(t))
	f.b = pushByDigest(t, host+"/shop/api", f.imgB)
	return f
}

func TestObserve(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := newDriver(t, Options{})
	got, err := d.Observe(t.Context(), imageAsset("api", f.ref, f.a))
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != f.a || got.Packages != nil {
		t.Errorf("Observe = %+v, want digest %s", got, f.a)
	}

	_, err = d.Observe(t.Context(), imageAsset("api-missing", f.host+"/shop/nothing:prod", ""))
	if err == nil {
		t.Fatal("Observe of a missing repository succeeded")
	}
	if !driver.IsPermanent(err) || !errors.Is(err, resolve.ErrNotFound) {
		t.Errorf("missing repository: %v: want permanent and ErrNotFound", err)
	}
	for _, want := range []string{`"api-missing"`, f.host + "/shop/nothing:prod", "observe"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// to seeds the target somewhere and returns the change's To.
		to func(t *testing.T, f fixture) string
	}{
		{"bare digest in the same repository", func(t *testing.T, f fixture) string {
			return f.b
		}},
		{"repository@digest in the same registry", func(t *testing.T, f fixture) string {
			img := randomImage(t)
			return f.host + "/patches/api@" + pushByDigest(t, f.host+"/patches/api", img)
		}},
		{"repository@digest in another registry", func(t *testing.T, f fixture) string {
			other := newRegistry(t)
			return other + "/vendor/api@" + pushByDigest(t, other+"/vendor/api", randomImage(t))
		}},
		{"index from another registry", func(t *testing.T, f fixture) string {
			other := newRegistry(t)
			idx, err := random.Index(256, 1, 2)
			if err != nil {
				t.Fatal(err)
			}
			d, _ := idx.Digest()
			return other + "/vendor/api@" + push(t, other+"/vendor/api@"+d.String(), idx)
		}},
		{"tag from an --offline plan", func(t *testing.T, f fixture) string {
			push(t, f.host+"/patches/api:1.2.4", randomImage(t))
			return f.host + "/patches/api:1.2.4"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			to := tc.to(t, f)
			want := to
			if i := strings.LastIndex(to, "@"); i >= 0 {
				want = to[i+1:]
			} else if !strings.HasPrefix(to, "sha256:") {
				want = headDigest(t, to)
			}
			d := newDriver(t, Options{})
			target := imageAsset("api", f.ref, f.a)
			res, err := d.Apply(t.Context(), target, imageChange(f.ref, f.a, to))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if res.Digest != want || res.RebootRequired {
				t.Errorf("Apply = %+v, want digest %s", res, want)
			}
			if got := headDigest(t, f.ref); got != want {
				t.Errorf("%s names %s after Apply, want %s", f.ref, got, want)
			}
			v := d.(driver.Verifier)
			if _, err := v.Verify(t.Context(), target, imageChange(f.ref, f.a, to)); err != nil {
				t.Errorf("Verify after Apply: %v", err)
			}
		})
	}
}

func TestApplyAtTargetWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ct := &countingTransport{}
	d := newDriver(t, Options{Transport: ct})
	target := imageAsset("api", f.ref, f.a)
	if _, err := d.Apply(t.Context(), target, imageChange(f.ref, f.a, f.b)); err != nil {
		t.Fatal(err)
	}
	if ct.writes.Load() == 0 {
		t.Fatal("the first Apply wrote nothing: the counter does not see writes")
	}
	ct.writes.Store(0)
	res, err := d.Apply(t.Context(), target, imageChange(f.ref, f.a, f.b))
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != f.b {
		t.Errorf("Apply again = %+v, want %s", res, f.b)
	}
	if n := ct.writes.Load(); n != 0 {
		t.Errorf("Apply to an asset at the target made %d writes", n)
	}
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := newDriver(t, Options{})
	missing := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name      string
		target    driver.Target
		changes   []driver.Change
		permanent bool
		notFound  bool
	}{
		{"missing digest", imageAsset("api", f.ref, f.a), imageChange(f.ref, f.a, missing), true, true},
		{"missing source repository", imageAsset("api", f.ref, f.a), imageChange(f.ref, f.a, f.host+"/nope/api@"+f.b), true, true},
		{"missing offline tag", imageAsset("api", f.ref, f.a), imageChange(f.ref, f.a, f.host+"/shop/api:nope"), true, true},
		{"package change", imageAsset("api", f.ref, f.a), []driver.Change{{Kind: "package", Name: "openssl", From: "1", To: "2"}}, true, false},
		{"change for another ref", imageAsset("api", f.ref, f.a), imageChange(f.host+"/shop/web:prod", f.a, f.b), true, false},
		{"ref pins a digest", imageAsset("api", f.host+"/shop/api@"+f.a, f.a), imageChange(f.host+"/shop/api@"+f.a, f.a, f.b), true, false},
		{"asset without image", driver.Target{ID: "api", Asset: &policy.Asset{Kind: "image"}}, imageChange(f.ref, f.a, f.b), true, false},
		{"bad target", imageAsset("api", f.ref, f.a), imageChange(f.ref, f.a, "Not A Ref!"), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.Apply(t.Context(), tc.target, tc.changes)
			if err == nil {
				t.Fatal("Apply succeeded")
			}
			if driver.IsPermanent(err) != tc.permanent {
				t.Errorf("%v: permanent = %v, want %v", err, driver.IsPermanent(err), tc.permanent)
			}
			if errors.Is(err, resolve.ErrNotFound) != tc.notFound {
				t.Errorf("%v: ErrNotFound = %v, want %v", err, !tc.notFound, tc.notFound)
			}
			if !strings.Contains(err.Error(), `apply "api"`) {
				t.Errorf("error %q does not name the asset", err)
			}
			if got := headDigest(t, f.ref); got != f.a {
				t.Errorf("a failed Apply moved %s to %s", f.ref, got)
			}
		})
	}
}

func TestNetworkErrorIsNotPermanent(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close() // nothing listens there any more
	d := newDriver(t, Options{})
	ref := host + "/shop/api:prod"
	_, err := d.Observe(t.Context(), imageAsset("api", ref, ""))
	if err == nil {
		t.Fatal("Observe of a registry that is down succeeded")
	}
	if driver.IsPermanent(err) {
		t.Errorf("connection refused is permanent: %v", err)
	}
	if !strings.Contains(err.Error(), ref) {
		t.Errorf("error %q does not name the ref", err)
	}
}

func TestCancelledApplyChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ct := &countingTransport{}
	d := newDriver(t, Options{Transport: ct})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := d.Apply(ctx, imageAsset("api", f.ref, f.a), imageChange(f.ref, f.a, f.b))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a cancelled context: %v, want context.Canceled", err)
	}
	if n := ct.writes.Load(); n != 0 {
		t.Errorf("cancelled Apply made %d writes", n)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := newDriver(t, Options{})
	v := d.(driver.Verifier)
	target := imageAsset("api", f.ref, f.a)
	obs, err := v.Verify(t.Context(), target, imageChange(f.ref, f.a, f.b))
	if err == nil {
		t.Fatal("Verify before Apply passed")
	}
	if obs.Digest != f.a {
		t.Errorf("failed Verify observed %q, want %s", obs.Digest, f.a)
	}
	if !strings.Contains(err.Error(), f.b) {
		t.Errorf("error %q does not say what was wanted", err)
	}
	if _, err := v.Verify(t.Context(), target, imageChange(f.ref, "", f.a)); err != nil {
		t.Errorf("Verify of what the ref names: %v", err)
	}
	if _, err := v.Verify(t.Context(), target, imageChange(f.ref, "", f.host+"/shop/api@"+f.a)); err != nil {
		t.Errorf("Verify of repository@digest: %v", err)
	}
}

func TestRollback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ct := &countingTransport{}
	d := newDriver(t, Options{Transport: ct})
	r := d.(driver.Rollbacker)
	target := imageAsset("api", f.ref, f.a)
	if _, err := d.Apply(t.Context(), target, imageChange(f.ref, f.a, f.b)); err != nil {
		t.Fatal(err)
	}
	res, err := r.Rollback(t.Context(), target, driver.Observation{Digest: f.a})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != f.a || headDigest(t, f.ref) != f.a {
		t.Errorf("Rollback = %+v, ref names %s, want %s", res, headDigest(t, f.ref), f.a)
	}
	ct.writes.Store(0)
	if res, err := r.Rollback(t.Context(), target, driver.Observation{Digest: f.a}); err != nil || res.Digest != f.a {
		t.Errorf("Rollback again = %+v, %v", res, err)
	}
	if n := ct.writes.Load(); n != 0 {
		t.Errorf("Rollback of an asset already there made %d writes", n)
	}

	_, err = r.Rollback(t.Context(), target, driver.Observation{})
	if err == nil || !driver.IsPermanent(err) {
		t.Errorf("Rollback without a previous digest: %v, want a permanent error", err)
	}
	_, err = r.Rollback(t.Context(), target, driver.Observation{Digest: "sha256:" + strings.Repeat("1", 64)})
	if err == nil || !driver.IsPermanent(err) || !errors.Is(err, resolve.ErrNotFound) {
		t.Errorf("Rollback to a digest the repository lacks: %v, want permanent ErrNotFound", err)
	}
}

func TestNewSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings map[string]any
		wantErr  string
	}{
		{"none", map[string]any{"type": "oci"}, ""},
		{"insecure from CUE", map[string]any{"type": "oci", "insecure": []any{"registry.lab:5000"}}, ""},
		{"insecure from Go", map[string]any{"insecure": []string{"registry.lab"}}, ""},
		{"insecure not a list", map[string]any{"insecure": "registry.lab"}, "insecure"},
		{"insecure with a number", map[string]any{"insecure": []any{"a", 5}}, "element 1"},
		{"unknown", map[string]any{"command": []any{"x"}}, `unknown setting "command"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(policy.Driver{Name: "images", Type: "oci", Settings: tc.settings}, Options{})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("New: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("New: %v, want an error about %s", err, tc.wantErr)
			}
		})
	}
}
