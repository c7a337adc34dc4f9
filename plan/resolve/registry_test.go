package resolve_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/patchwave/patchwave/plan/resolve"
)

// TestMain keeps the tests off the developer's own registry credentials:
// the default keychain sees an empty docker config unless a test says
// otherwise.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "resolve-docker-config")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o600); err != nil {
		log.Fatal(err)
	}
	os.Setenv("DOCKER_CONFIG", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startRegistry serves an in-process OCI registry on 127.0.0.1, behind
// wrap if given, and returns its host:port.
func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// push writes a random image to host/repo:tag and returns its digest.
func push(t *testing.T, img v1.Image, ref string, opts ...remote.Option) string {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, append(opts, remote.WithContext(t.Context()))...); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestRegistryResolvesToPushedDigest(t *testing.T) {
	t.Parallel()
	host := startRegistry(t, nil)
	api, worker := randomImage(t), randomImage(t)
	apiDigest := push(t, api, host+"/shop/api:1.14.3")
	push(t, api, host+"/shop/api:stable") // a second tag on the same image
	workerDigest := push(t, worker, host+"/shop/worker:2.0.0")
	idx, err := random.Index(256, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	idxTag, _ := name.NewTag(host + "/shop/multi:1")
	if err := remote.WriteIndex(idxTag, idx, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := idx.Digest()

	r := resolve.NewRegistry(resolve.RegistryOptions{})
	for _, tc := range []struct {
		name, ref, want string
	}{
		{"tag", host + "/shop/api:1.14.3", apiDigest},
		{"second tag on the same image", host + "/shop/api:stable", apiDigest},
		{"other repository", host + "/shop/worker:2.0.0", workerDigest},
		{"digest reference", host + "/shop/worker@" + workerDigest, workerDigest},
		{"index gives the index digest", host + "/shop/multi:1", idxDigest.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := r.Resolve(t.Context(), tc.ref)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tc.ref, err)
			}
			if got != tc.want {
				t.Errorf("Resolve(%q) = %s, want %s", tc.ref, got, tc.want)
			}
		})
	}
}

func TestRegistryTagMovesWithPush(t *testing.T) {
	t.Parallel()
	host := startRegistry(t, nil)
	ref := host + "/shop/api:latest"
	r := resolve.NewRegistry(resolve.RegistryOptions{})
	for i := range 2 {
		want := push(t, randomImage(t), ref)
		got, err := r.Resolve(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("push %d: Resolve = %s, want %s (a resolver must not cache digests)", i, got, want)
		}
	}
}

func TestRegistryMissing(t *testing.T) {
	t.Parallel()
	host := startRegistry(t, nil)
	push(t, randomImage(t), host+"/shop/api:1.0")
	r := resolve.NewRegistry(resolve.RegistryOptions{})
	for _, tc := range []struct{ name, ref string }{
		{"tag", host + "/shop/api:9.9"},
		{"repository", host + "/shop/nothing:1.0"},
		{"digest", host + "/shop/api@sha256:" + strings.Repeat("0", 64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := r.Resolve(t.Context(), tc.ref)
			if err == nil {
				t.Fatalf("Resolve(%q) succeeded", tc.ref)
			}
			t.Logf("error: %v", err)
			if !errors.Is(err, resolve.ErrNotFound) {
				t.Errorf("error does not wrap ErrNotFound: %v", err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.ref)) {
				t.Errorf("error does not name %q: %v", tc.ref, err)
			}
		})
	}
}

func TestRegistryBadReference(t *testing.T) {
	t.Parallel()
	_, err := resolve.NewRegistry(resolve.RegistryOptions{}).Resolve(t.Context(), "Shop/API:1.0!")
	if err == nil || !strings.Contains(err.Error(), `"Shop/API:1.0!"`) {
		t.Fatalf("Resolve of a malformed ref: err = %v, want one naming it", err)
	}
	if errors.Is(err, resolve.ErrNotFound) {
		t.Errorf("a malformed ref is not a missing image: %v", err)
	}
}

func TestRegistryUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ref := addr + "/shop/api:1.0"
	_, err = resolve.NewRegistry(resolve.RegistryOptions{}).Resolve(ctx, ref)
	if err == nil {
		t.Fatal("Resolve against a closed port succeeded")
	}
	// A refused connection must fail at once, not be retried until the
	// deadline.
	t.Logf("error: %v", err)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Resolve waited for the deadline instead of failing: %v", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("%q", ref)) {
		t.Errorf("error does not name the ref: %v", err)
	}
	if errors.Is(err, resolve.ErrNotFound) {
		t.Errorf("an unreachable registry is not a missing image: %v", err)
	}
}

func TestRegistryHonoursContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // a registry that never answers
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/shop/api:1.0"
	_, err := resolve.NewRegistry(resolve.RegistryOptions{}).Resolve(ctx, ref)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Resolve against a hanging registry: err = %v, want context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("%q", ref)) {
		t.Errorf("error does not name the ref: %v", err)
	}
}

// TestRegistryCredentials runs a registry that requires Basic auth and,
// for one repository, echoes the Authorization header it received into
// its error bodies, the way a careless proxy might. Credentials come from
// a docker config found through DOCKER_CONFIG.
func TestRegistryCredentials(t *testing.T) {
	const user, password = "ci-bot", "s3cret-Pa55word-xyz"
	host := startRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintf(w, "bad credentials in Authorization: %s (password %q)", r.Header.Get("Authorization"), p)
				return
			}
			if strings.HasPrefix(r.URL.Path, "/v2/leaky/") && strings.Contains(r.URL.Path, "/manifests/missing") {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprintf(w, "no such tag; you sent Authorization: %s", r.Header.Get("Authorization"))
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	want := push(t, randomImage(t), host+"/shop/api:1.0", remote.WithAuth(&authn.Basic{Username: user, Password: password}))
	push(t, randomImage(t), host+"/leaky/api:1.0", remote.WithAuth(&authn.Basic{Username: user, Password: password}))

	encoded := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	useConfig := func(t *testing.T, auths map[string]string) {
		dir := t.TempDir()
		cfg := map[string]any{"auths": map[string]any{}}
		for reg, auth := range auths {
			cfg["auths"].(map[string]any)[reg] = map[string]string{"auth": auth}
		}
		data, _ := json.Marshal(cfg)
		if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DOCKER_CONFIG", dir)
	}
	noSecrets := func(t *testing.T, err error, secrets ...string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error contains the secret %q: %v", s, err)
			}
		}
	}

	t.Run("credentials from the keychain", func(t *testing.T) {
		useConfig(t, map[string]string{host: encoded})
		got, err := resolve.NewRegistry(resolve.RegistryOptions{}).Resolve(t.Context(), host+"/shop/api:1.0")
		if err != nil {
			t.Fatalf("Resolve with credentials: %v", err)
		}
		if got != want {
			t.Errorf("Resolve = %s, want %s", got, want)
		}
	})
	t.Run("without credentials", func(t *testing.T) {
		useConfig(t, nil)
		_, err := resolve.NewRegistry(resolve.RegistryOptions{}).Resolve(t.Context(), host+"/shop/api:1.0")
		if err == nil {
			t.Fatal("Resolve without credentials succeeded; the registry does not check them")
		}
	})
	t.Run("registry echoes the header", func(t *testing.T) {
		useConfig(t, map[string]string{host: encoded})
		ref := host + "/leaky/api:missing"
		_, err := resolve.NewRegistry(resolve.RegistryOptions{}).Resolve(t.Context(), ref)
		if err == nil {
			t.Fatal("Resolve of a missing tag succeeded")
		}
		if !errors.Is(err, resolve.ErrNotFound) || !strings.Contains(err.Error(), ref) {
			t.Errorf("error should name %q and wrap ErrNotFound: %v", ref, err)
		}
		// Neither the message nor anything reachable through the chain
		// may hold the secret.
		walk(err, func(e error) { noSecrets(t, e, password, encoded) })
	})
	t.Run("wrong password", func(t *testing.T) {
		const wrong = "wrong-Pa55word-abc"
		wrongEncoded := base64.StdEncoding.EncodeToString([]byte(user + ":" + wrong))
		useConfig(t, map[string]string{host: wrongEncoded})
		_, err := resolve.NewRegistry(resolve.RegistryOptions{}).Resolve(t.Context(), host+"/shop/api:1.0")
		if err == nil {
			t.Fatal("Resolve with a wrong password succeeded")
		}
		if !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "UNAUTHORIZED") {
			t.Errorf("error should say the registry refused the credentials: %v", err)
		}
		t.Logf("error: %v", err)
		noSecrets(t, err, wrong, wrongEncoded)
	})
}

// redirect returns a transport that sends every connection to addr,
// whatever host the URL names, so that tests can use registry names that
// are not loopback while staying on 127.0.0.1.
func redirect(addr string) http.RoundTripper {
	var d net.Dialer
	return &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		},
	}
}

func TestRegistryInsecure(t *testing.T) {
	t.Parallel()
	addr := startRegistry(t, nil)
	img := randomImage(t)
	want := push(t, img, addr+"/shop/api:1.0")

	for _, tc := range []struct {
		name     string
		registry string
		insecure bool
		wantErr  string
	}{
		{"plain name needs the option", "registry.test:5000", false, "https"},
		{"plain name with the option", "registry.test:5000", true, ""},
		{"private IP refused without the option", "10.0.0.1:5000", false, "refusing plain HTTP"},
		{"private IP with the option", "10.0.0.1:5000", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := resolve.RegistryOptions{Transport: redirect(addr)}
			if tc.insecure {
				opts.Insecure = append(opts.Insecure, tc.registry)
			}
			got, err := resolve.NewRegistry(opts).Resolve(t.Context(), tc.registry+"/shop/api:1.0")
			if tc.wantErr != "" {
				t.Logf("error: %v", err)
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Resolve: err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got != want {
				t.Errorf("Resolve = %s, want %s", got, want)
			}
		})
	}
}

// walk calls fn on err and every error its chain reaches.
func walk(err error, fn func(error)) {
	if err == nil {
		return
	}
	fn(err)
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		walk(e.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range e.Unwrap() {
			walk(e, fn)
		}
	}
}
