package resolve

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryOptions configure NewRegistry; the zero value is ready to use.
type RegistryOptions struct {
	// Insecure lists registries ("host" or "host:port", as written in
	// refs) that the resolver may speak plain HTTP to. Loopback
	// registries (localhost, 127.0.0.1, ::1) need no entry:
	// go-containerregistry falls back to plain HTTP for them by itself.
	Insecure []string
	// Transport is the HTTP transport requests go through (proxies,
	// private CAs, tests). Nil means remote.DefaultTransport.
	Transport http.RoundTripper
}

// NewRegistry returns a Resolver that asks the registry named in each ref,
// with credentials from the user's docker config and credential helpers
// (authn.DefaultKeychain).
//
// Authentication is set up once per repository and reused by later calls,
// so resolving many tags of one repository costs one request each.
func NewRegistry(o RegistryOptions) Resolver {
	insecure := InsecureSet(o.Insecure)
	t := o.Transport
	if t == nil {
		t = remote.DefaultTransport
	}
	t = &plainHTTPGuard{inner: t, allowed: insecure}
	// The Puller caches each repository's authenticated transport; it is
	// safe for concurrent use.
	p, err := remote.NewPuller(
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(t),
	)
	return &registryResolver{insecure: insecure, puller: p, err: err}
}

// InsecureSet normalizes a list of registries allowed plain HTTP ("host"
// or "host:port") to the names name.Registry.RegistryStr gives, so that
// callers can look a parsed reference's registry up in it and parse it
// again with name.Insecure.
func InsecureSet(registries []string) map[string]bool {
	set := make(map[string]bool, len(registries))
	for _, r := range registries {
		if reg, err := name.NewRegistry(r); err == nil {
			r = reg.RegistryStr()
		}
		set[r] = true
	}
	return set
}

// GuardPlainHTTP wraps t (remote.DefaultTransport when nil) so that it
// refuses plain HTTP to private-network addresses that insecure (an
// InsecureSet) does not name, as NewRegistry's transport does. Other
// packages that talk to registries (the oci driver) use it to keep the
// same rule.
func GuardPlainHTTP(t http.RoundTripper, insecure map[string]bool) http.RoundTripper {
	if t == nil {
		t = remote.DefaultTransport
	}
	return &plainHTTPGuard{inner: t, allowed: insecure}
}

// Scrub returns err with the credentials the default keychain holds for
// ref's repository, and anything shaped like an Authorization header,
// taken out of its message; errors.Is still sees through it.
func Scrub(ctx context.Context, ref name.Reference, err error) error {
	if err == nil {
		return nil
	}
	return scrub(ctx, ref, err)
}

// IsNotFound tells whether err is a registry's answer that the manifest
// or the repository does not exist.
func IsNotFound(err error) bool { return isNotFound(err) }

type registryResolver struct {
	insecure map[string]bool
	puller   *remote.Puller
	err      error // from NewPuller; returned by every Resolve
}

var _ Resolver = (*registryResolver)(nil)

func (r *registryResolver) Resolve(ctx context.Context, ref string) (string, error) {
	if r.err != nil {
		return "", fmt.Errorf("resolving %q: %w", ref, r.err)
	}
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("resolving %q: %w", ref, err)
	}
	if r.insecure[parsed.Context().RegistryStr()] {
		if parsed, err = name.ParseReference(ref, name.Insecure); err != nil {
			return "", fmt.Errorf("resolving %q: %w", ref, err)
		}
	}

	desc, err := r.puller.Head(ctx, parsed)
	if err == nil {
		return desc.Digest.String(), nil
	}
	if ctx.Err() == nil {
		// Some registries answer HEAD badly, and a failed HEAD has no body
		// to say why; GET does both properly.
		d, gerr := r.puller.Get(ctx, parsed)
		if gerr == nil {
			return d.Digest.String(), nil
		}
		err = gerr
	}
	notFound := isNotFound(err)
	err = scrub(ctx, parsed, err)
	if notFound {
		return "", fmt.Errorf("resolving %q: %w: %w", ref, ErrNotFound, err)
	}
	return "", fmt.Errorf("resolving %q: %w", ref, err)
}

// isNotFound tells whether the registry said that the manifest or the
// repository does not exist. A 404 from the /v2/ ping (not a registry) is
// not that.
func isNotFound(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	for _, d := range terr.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return true
		}
	}
	return terr.StatusCode == http.StatusNotFound &&
		terr.Request != nil && strings.Contains(terr.Request.URL.Path, "/manifests/")
}

// tokenPattern matches an Authorization header value that a registry might
// echo back in an error body: the scheme and a token-like word.
var tokenPattern = regexp.MustCompile(`(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{16,}`)

// scrub returns err with every credential the keychain holds for the
// repository, and anything shaped like an Authorization header, taken out
// of its message. go-containerregistry puts a registry's error body into
// its errors verbatim, and a buggy or hostile registry can echo the
// request's headers there.
func scrub(ctx context.Context, ref name.Reference, err error) error {
	msg := err.Error()
	var secrets []string
	if auth, aerr := authn.Resolve(ctx, authn.DefaultKeychain, ref.Context()); aerr == nil {
		if cfg, cerr := authn.Authorization(ctx, auth); cerr == nil {
			secrets = append(secrets, cfg.Password, cfg.Auth, cfg.IdentityToken, cfg.RegistryToken)
			if cfg.Username != "" || cfg.Password != "" {
				secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password)))
			}
		}
	}
	for _, s := range secrets {
		// Very short secrets would blank out ordinary words; they are not
		// worth protecting from this side anyway.
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[REDACTED]")
		}
	}
	msg = tokenPattern.ReplaceAllString(msg, "$1 [REDACTED]")
	return &scrubbedError{msg: msg, err: err, clean: msg == err.Error()}
}

// scrubbedError carries a message with credentials taken out. Its chain
// stays open to errors.As only when nothing had to be taken out; errors.Is
// (context errors, ErrNotFound) works either way, since it reveals no
// text.
type scrubbedError struct {
	msg   string
	err   error
	clean bool
}

func (e *scrubbedError) Error() string { return e.msg }

func (e *scrubbedError) Is(target error) bool { return errors.Is(e.err, target) }

func (e *scrubbedError) Unwrap() error {
	if e.clean {
		return e.err
	}
	return nil
}

// plainHTTPGuard refuses plain HTTP to private-network addresses not named
// as insecure. go-containerregistry treats 10/8, 172.16/12 and 192.168/16
// like localhost and races HTTP against HTTPS for them, so a slow TLS
// handshake would send Basic credentials across the network in clear
// text. Loopback stays allowed: it never leaves the machine.
type plainHTTPGuard struct {
	inner   http.RoundTripper
	allowed map[string]bool
}

func (g *plainHTTPGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.allowed[req.URL.Host] {
		if ip := net.ParseIP(req.URL.Hostname()); ip != nil && ip.IsPrivate() {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, fmt.Errorf("refusing plain HTTP to %s: name it as an insecure registry to allow it", req.URL.Host)
		}
	}
	return g.inner.RoundTrip(req)
}
