package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/internal/hostcfg"
	"github.com/patchwave/patchwave/runner/driver/internal/pkgcmd"
)

// Limits on what is kept of a remote command's output.
const maxOutput = 64 << 20

// address is where the asset's sshd listens: its address, at the port.
func (c *config) address(t driver.Target) (string, error) {
	host, err := hostcfg.Address(t)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(c.Port)), nil
}

// conn is one ssh connection to an asset, for the length of one call.
type conn struct {
	client *gossh.Client
	sudo   bool
}

// dial connects and authenticates. Errors a retry cannot fix (unknown
// or changed host key, refused credentials, no credentials) are
// permanent. It never puts key material or a passphrase in an error.
func (d *sshDriver) dial(ctx context.Context, t driver.Target) (*conn, error) {
	addr, err := d.cfg.address(t)
	if err != nil {
		return nil, err
	}
	auth, closeAuth, err := d.auth()
	if err != nil {
		return nil, err
	}
	defer closeAuth()
	hostKeys, err := d.hostKeyCallback()
	if err != nil {
		return nil, err
	}
	var keyErr error
	cfg := &gossh.ClientConfig{
		User: d.cfg.User,
		Auth: auth,
		HostKeyCallback: func(host string, remote net.Addr, key gossh.PublicKey) error {
			keyErr = hostKeys(host, remote, key)
			return keyErr
		},
		Timeout: d.cfg.connectTimeout,
	}
	dctx, cancel := context.WithTimeout(ctx, d.cfg.connectTimeout)
	defer cancel()
	var dialer net.Dialer
	nc, err := dialer.DialContext(dctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	stop := context.AfterFunc(dctx, func() { nc.Close() })
	sc, chans, reqs, err := gossh.NewClientConn(nc, addr, cfg)
	stopped := stop()
	if err != nil {
		nc.Close()
		var ke *knownhosts.KeyError
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case !stopped:
			return nil, fmt.Errorf("connecting to %s: no ssh handshake within %v", addr, d.cfg.connectTimeout)
		case errors.As(keyErr, &ke) && len(ke.Want) == 0:
			return nil, driver.Permanent(fmt.Errorf("host key of %s is unknown (not in %q): add it there, or set unknown_hosts: \"accept\"", addr, d.cfg.KnownHosts))
		case errors.As(keyErr, &ke):
			return nil, driver.Permanent(fmt.Errorf("host key of %s does not match the one in %q (line %d): refusing to connect", addr, d.cfg.KnownHosts, ke.Want[0].Line))
		case keyErr != nil:
			return nil, driver.Permanent(fmt.Errorf("checking the host key of %s: %w", addr, keyErr))
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, driver.Permanent(fmt.Errorf("%s refused the credentials of user %q", addr, d.cfg.User))
		}
		return nil, fmt.Errorf("ssh handshake with %s: %w", addr, err)
	}
	return &conn{client: gossh.NewClient(sc, chans, reqs), sudo: d.cfg.Sudo}, nil
}

// auth gathers the credentials: the key file named by the key_env
// variable, and the agent at SSH_AUTH_SOCK. The returned func closes the
// agent's socket once the handshake is over.
func (d *sshDriver) auth() ([]gossh.AuthMethod, func(), error) {
	var methods []gossh.AuthMethod
	closer := func() {}
	if path := d.getenv(d.cfg.KeyEnv); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, driver.Permanent(fmt.Errorf("reading the key file named by %s: %w", d.cfg.KeyEnv, errors.Unwrap(err)))
		}
		signer, err := gossh.ParsePrivateKey(pem)
		var missing *gossh.PassphraseMissingError
		if errors.As(err, &missing) {
			pass := d.getenv(d.cfg.KeyEnv + "_PASSPHRASE")
			if pass == "" {
				return nil, nil, driver.Permanent(fmt.Errorf("the key file named by %s is encrypted: set %s_PASSPHRASE", d.cfg.KeyEnv, d.cfg.KeyEnv))
			}
			signer, err = gossh.ParsePrivateKeyWithPassphrase(pem, []byte(pass))
		}
		if err != nil {
			// The parser's message does not quote the key.
			return nil, nil, driver.Permanent(fmt.Errorf("the key file named by %s: %w", d.cfg.KeyEnv, err))
		}
		methods = append(methods, gossh.PublicKeys(signer))
	}
	if sock := d.getenv("SSH_AUTH_SOCK"); sock != "" {
		ac, err := net.Dial("unix", sock)
		if err != nil {
			if len(methods) == 0 {
				return nil, nil, fmt.Errorf("the ssh agent at SSH_AUTH_SOCK: %w", err)
			}
		} else {
			methods = append(methods, gossh.PublicKeysCallback(agent.NewClient(ac).Signers))
			closer = func() { ac.Close() }
		}
	}
	if len(methods) == 0 {
		return nil, nil, driver.Permanent(fmt.Errorf("no ssh credentials: set %s to a private key file, or SSH_AUTH_SOCK to an agent", d.cfg.KeyEnv))
	}
	return methods, closer, nil
}

// hostKeyCallback checks host keys against known_hosts; unknown hosts
// pass only with unknown_hosts: "accept", and a changed key never does.
func (d *sshDriver) hostKeyCallback() (gossh.HostKeyCallback, error) {
	check, err := knownhosts.New(d.cfg.KnownHosts)
	if errors.Is(err, fs.ErrNotExist) && d.cfg.AcceptUnknown {
		return func(string, net.Addr, gossh.PublicKey) error { return nil }, nil
	}
	if err != nil {
		return nil, driver.Permanent(fmt.Errorf("known_hosts %q: %w", d.cfg.KnownHosts, errors.Unwrap(err)))
	}
	return func(host string, remote net.Addr, key gossh.PublicKey) error {
		err := check(host, remote, key)
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) && len(ke.Want) == 0 && d.cfg.AcceptUnknown {
			return nil
		}
		return err
	}, nil
}

// exitError is a remote command that ran and failed.
type exitError struct {
	status int
	raw    string // stderr, to classify the failure
}

func (e *exitError) Error() string {
	return fmt.Sprintf("exit status %d%s", e.status, hostcfg.StderrNote(e.raw))
}

// run runs one shell command on the asset and returns its stdout. With
// sudo, the command runs through sudo -n (no password prompt).
func (c *conn) run(ctx context.Context, command string, asRoot bool) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s, err := c.client.NewSession()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("opening a session: %w", err)
	}
	defer s.Close()
	if asRoot && c.sudo {
		command = "sudo -n sh -c " + pkgcmd.ShellQuote(command)
	}
	var stdout capped
	stdout.max = maxOutput
	var stderr capped
	stderr.max, stderr.keepTail = 16<<10, true
	s.Stdout, s.Stderr = &stdout, &stderr
	err = s.Run(command)
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	var ee *gossh.ExitError
	switch {
	case errors.As(err, &ee):
		return stdout.String(), &exitError{status: ee.ExitStatus(), raw: stderr.String()}
	case err != nil:
		return "", fmt.Errorf("running %s: %w", hostcfg.Quote(firstWord(command)), err)
	case stdout.over:
		return "", fmt.Errorf("%s printed more than %d bytes", hostcfg.Quote(firstWord(command)), maxOutput)
	}
	return stdout.String(), nil
}

func (c *conn) close() { c.client.Close() }

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}

// capped keeps up to max bytes of what is written: the head, or with
// keepTail the tail.
type capped struct {
	buf      bytes.Buffer
	max      int
	keepTail bool
	over     bool
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if c.keepTail {
		c.buf.Write(p)
		if c.buf.Len() > c.max {
			b := bytes.Clone(c.buf.Bytes()[c.buf.Len()-c.max:])
			c.buf.Reset()
			c.buf.Write(b)
		}
		return n, nil
	}
	if room := c.max - c.buf.Len(); len(p) > room {
		c.over = true
		p = p[:max(room, 0)]
	}
	c.buf.Write(p)
	return n, nil
}

func (c *capped) String() string { return c.buf.String() }

// pause waits for d or the end of ctx.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
