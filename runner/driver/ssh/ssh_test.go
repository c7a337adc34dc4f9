package ssh

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/patchwave/patchwave/internal/e2ehost"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/internal/pkgcmd"
)

func TestSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]any
		wantErr  string
	}{
		{"defaults", nil, ""},
		{"all", map[string]any{"user": "patch", "port": float64(2222), "known_hosts": "kh", "unknown_hosts": "accept",
			"sudo": true, "pre": []any{"true"}, "post": []any{"true"}, "timeout": "1h", "connect_timeout": "5s",
			"reboot_timeout": "15m", "reboot_command": "shutdown -r now", "key_env": "FLEET_KEY"}, ""},
		{"unknown setting", map[string]any{"command": []any{"x"}}, `unknown setting "command"`},
		{"port out of range", map[string]any{"port": float64(70000)}, "not a port number"},
		{"port not whole", map[string]any{"port": 22.5}, "not a port number"},
		{"unknown_hosts other", map[string]any{"unknown_hosts": "ask"}, `"ask" is not one of refuse, accept`},
		{"timeout zero", map[string]any{"timeout": "0s"}, "must be more than 0"},
		{"sudo not bool", map[string]any{"sudo": "yes"}, "want true or false"},
		{"pre not a list", map[string]any{"pre": "true"}, "pre:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := map[string]any{"type": "ssh"}
			for k, v := range tt.settings {
				s[k] = v
			}
			_, err := New(policy.Driver{Name: "hosts", Type: "ssh", Settings: s}, Options{Dir: "/repo"})
			if tt.wantErr == "" && err != nil {
				t.Fatalf("New: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseFacts(t *testing.T) {
	out := "hostname\tweb-01\nos\tDebian\t12\nrevision\t12.12\nmac\t52:54:00:AA:BB:CC\nmac\t00:00:00:00:00:00\n" +
		"ip\t10.0.0.5\nip\t127.0.0.1\nip\t10.0.0.5\nip6\t20010db8000000000000000000000001\nip6\tfe800000000000000000000000000001\n"
	f := parseFacts(out)
	if f.Hostname != "web-01" || f.OS != (policy.OS{Family: "linux", Name: "debian", Version: "12"}) || f.Revision != "12.12" {
		t.Errorf("facts %+v", f)
	}
	if strings.Join(f.MAC, ",") != "52:54:00:aa:bb:cc" {
		t.Errorf("mac %v", f.MAC)
	}
	if strings.Join(f.IP, ",") != "10.0.0.5,2001:db8::1" {
		t.Errorf("ip %v, want 10.0.0.5 and 2001:db8::1 (no loopback, no link-local, no duplicates)", f.IP)
	}
}

func TestParseRPMQuery(t *testing.T) {
	got := pkgcmd.ParseRPMQuery("bash\t5.1.8-9.el9\nkernel\t5.14.0-427.el9\nkernel\t5.14.0-503.el9\nkernel\t5.14.0-70.el9\ngpg-pubkey\tfd431d51-4ae0493b\nsudo\t1:1.9.5p2-10.el9_3\n")
	want := map[string]string{"bash": "5.1.8-9.el9", "kernel": "5.14.0-503.el9", "sudo": "1:1.9.5p2-10.el9_3"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
}

// oneHost starts a host and returns it, a driver factory for it, and it
// as a target.
func oneHost(t *testing.T) (*e2ehost.Host, func(extra map[string]any) driver.Driver, driver.Target) {
	f := e2ehost.NewFleet(t)
	h := f.Start(t)
	return h, func(extra map[string]any) driver.Driver { return newDriver(t, f, extra) }, h.Target("bookworm-01")
}

func TestRefusals(t *testing.T) {
	e2ehost.Require(t)
	h, newDriver, target := oneHost(t)
	ctx := context.Background()

	wrongKey := filepath.Join(t.TempDir(), "id")
	// A known_hosts line for the host's address with another key.
	otherHost := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(net.JoinHostPort(h.IP, "22"))}, otherKey(t, wrongKey))
	if err := os.WriteFile(otherHost, []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		extra   map[string]any
		env     map[string]string
		wantErr string
	}{
		{"unknown host refused", map[string]any{"known_hosts": empty}, nil, "is unknown"},
		{"changed host key refused", map[string]any{"known_hosts": otherHost}, nil, "does not match"},
		{"changed host key refused even when accepting unknown ones", map[string]any{"known_hosts": otherHost, "unknown_hosts": "accept"}, nil, "does not match"},
		{"credentials refused", map[string]any{"key_env": "OTHER_KEY"}, map[string]string{"OTHER_KEY": wrongKey}, "refused the credentials"},
		{"no credentials", map[string]any{"key_env": "UNSET_KEY"}, map[string]string{}, "no ssh credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(tt.extra)
			if tt.env != nil {
				d.(*sshDriver).getenv = func(k string) string { return tt.env[k] }
			}
			_, err := d.Observe(ctx, target)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Observe: %v, want an error containing %q", err, tt.wantErr)
			}
			if !driver.IsPermanent(err) {
				t.Errorf("Observe: %v is not permanent", err)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("the error quotes key material: %v", err)
			}
		})
	}

	t.Run("unknown host accepted when the policy says so", func(t *testing.T) {
		d := newDriver(map[string]any{"known_hosts": empty, "unknown_hosts": "accept"})
		if _, err := d.Observe(ctx, target); err != nil {
			t.Fatalf("Observe: %v", err)
		}
	})

	t.Run("a package the host does not have", func(t *testing.T) {
		_, err := newDriver(nil).Apply(ctx, target, []driver.Change{{Patch: "X", Kind: driver.KindPackage, Name: "openssl", From: "3.0.17-1~deb12u2", To: "3.0.17-1~deb12u3"}})
		if err == nil || !driver.IsPermanent(err) || !strings.Contains(err.Error(), `"openssl" is not installed`) {
			t.Fatalf("Apply: %v, want a permanent error saying it is not installed", err)
		}
	})

	t.Run("a version no repository offers", func(t *testing.T) {
		d := newDriver(nil)
		_, err := d.Apply(ctx, target, []driver.Change{{Patch: "X", Kind: driver.KindPackage, Name: h.Upgrades[0].Package, From: h.Upgrades[0].From, To: "99:1.0-1"}})
		if err == nil || !driver.IsPermanent(err) || !strings.Contains(err.Error(), "do not offer") {
			t.Fatalf("Apply: %v, want a permanent error saying the repositories do not offer it", err)
		}
		if got := h.Packages(t)[h.Upgrades[0].Package]; got != h.Upgrades[0].From {
			t.Errorf("a failed Apply changed %s to %q", h.Upgrades[0].Package, got)
		}
	})
}

// TestHooks checks that pre and post run around a change, and not for
// an asset already at its target.
func TestHooks(t *testing.T) {
	e2ehost.Require(t)
	h, newDriver, target := oneHost(t)
	d := newDriver(map[string]any{
		"pre":  []any{"echo pre >> /hooks.log"},
		"post": []any{"echo post $(dpkg-query -W -f='${Version}' " + h.Upgrades[0].Package + ") >> /hooks.log"},
	})
	changes := h.Changes("X")
	for range 2 {
		if _, err := d.Apply(context.Background(), target, changes); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(filepath.Join(h.Root, "hooks.log"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "pre\npost " + h.Upgrades[0].To + "\n"; string(got) != want {
		t.Errorf("hooks wrote %q, want %q (once, around the upgrade)", got, want)
	}
	failing := newDriver(map[string]any{"pre": []any{"exit 3"}})
	_, err = failing.(driver.Rollbacker).Rollback(context.Background(), target, driver.Observation{Packages: map[string]string{h.Upgrades[0].Package: h.Upgrades[0].From}})
	if err == nil || !strings.Contains(err.Error(), `pre hook "exit 3": exit status 3`) {
		t.Errorf("Rollback with a failing pre hook: %v", err)
	}
	if got := h.Packages(t)[h.Upgrades[0].Package]; got != h.Upgrades[0].To {
		t.Errorf("a failing pre hook did not stop the rollback: %s is %q", h.Upgrades[0].Package, got)
	}
}

// TestRebootTimesOut checks that Reboot waits for a new boot id and
// gives up at reboot_timeout (a chroot cannot really reboot; the reboot
// command here does nothing).
func TestRebootTimesOut(t *testing.T) {
	e2ehost.Require(t)
	_, newDriver, target := oneHost(t)
	d := newDriver(map[string]any{"reboot_command": "true", "reboot_timeout": "3s"})
	start := time.Now()
	err := d.(driver.Rebooter).Reboot(context.Background(), target)
	if err == nil || !strings.Contains(err.Error(), "did not come back with a new boot id within 3s") {
		t.Fatalf("Reboot: %v", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("Reboot took %v, bounded by 3s", took)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Reboot's error is the context's, not the driver's: %v", err)
	}
}

// otherKey writes a new ed25519 private key no host accepts and returns
// its public half.
func otherKey(t *testing.T, path string) gossh.PublicKey {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestAgentAuth logs in with a key held only by an ssh agent (x/crypto's
// agent keyring, served on a unix socket as ssh-agent would).
func TestAgentAuth(t *testing.T) {
	e2ehost.Require(t)
	_, newDriver, target := oneHost(t)
	pemBytes, err := os.ReadFile(e2ehost.KeyFile())
	if err != nil {
		t.Fatal(err)
	}
	key, err := gossh.ParseRawPrivateKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				agent.ServeAgent(keyring, c)
			}()
		}
	}()
	d := newDriver(nil)
	d.(*sshDriver).getenv = func(k string) string {
		if k == "SSH_AUTH_SOCK" {
			return sock
		}
		return ""
	}
	o, err := d.Observe(context.Background(), target)
	if err != nil {
		t.Fatalf("Observe with the agent: %v", err)
	}
	if len(o.Packages) == 0 {
		t.Error("Observe with the agent reports no packages")
	}
}
