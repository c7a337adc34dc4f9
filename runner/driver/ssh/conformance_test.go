package ssh

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchwave/patchwave/internal/e2ehost"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/drivertest"
)

// fleet is the test's hosts: a known_hosts file that each new host adds
// its key to, and the environment that names the user key.
type fleet struct {
	mu         sync.Mutex
	knownHosts string
	keyFile    string
	lines      map[*e2ehost.Host]string
}

func newFleet(t *testing.T) *fleet {
	return &fleet{knownHosts: filepath.Join(t.TempDir(), "known_hosts"), lines: map[*e2ehost.Host]string{}}
}

// start starts a host and adds its key to the fleet's known_hosts for
// as long as it lives (a later host may get its address).
func (f *fleet) start(t *testing.T) *e2ehost.Host {
	h := e2ehost.Start(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keyFile = h.KeyFile
	f.lines[h] = h.KnownHostsLine
	f.writeKnownHosts(t)
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.lines, h)
		f.writeKnownHosts(t)
	})
	t.Logf("host %s up in %v", h.IP, h.Started.Round(time.Millisecond))
	return h
}

func (f *fleet) writeKnownHosts(t *testing.T) {
	var b strings.Builder
	for _, l := range f.lines {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(f.knownHosts, []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}
}

// driver builds an ssh driver for the fleet with extra settings.
func (f *fleet) driver(t *testing.T, extra map[string]any) driver.Driver {
	settings := map[string]any{"type": "ssh", "known_hosts": f.knownHosts, "timeout": "5m", "connect_timeout": "10s"}
	for k, v := range extra {
		settings[k] = v
	}
	d, err := New(policy.Driver{Name: "hosts", Type: "ssh", Settings: settings}, Options{
		Getenv: func(k string) string {
			if k == DefaultKeyEnv {
				f.mu.Lock()
				defer f.mu.Unlock()
				return f.keyFile
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// hostCase describes a host as the suite's case: its upgrades as the
// changes, dpkg-query in its root as the out-of-band view.
func hostCase(t *testing.T, id string, h *e2ehost.Host) drivertest.Case {
	start := driver.Observation{Packages: map[string]string{}}
	var changes []driver.Change
	for _, u := range h.Upgrades {
		start.Packages[u.Package] = u.From
		changes = append(changes, driver.Change{Patch: "DSA-TEST-1", Kind: driver.KindPackage, Name: u.Package, From: u.From, To: u.To})
	}
	return drivertest.Case{
		Target: driver.Target{ID: id, Asset: &policy.Asset{
			Hostname: id, IP: policy.StringList{h.IP}, Kind: "host",
			OS: policy.OS{Family: "linux", Name: "debian", Version: "12"},
		}},
		Start:   start,
		Changes: changes,
		Inspect: func(t *testing.T) driver.Observation {
			return driver.Observation{Packages: h.Packages(t)}
		},
	}
}

// TestConformance runs the driver suite against real Debian hosts
// (internal/e2ehost): sshd in a network namespace, apt-get in a
// debootstrapped bookworm root.
func TestConformance(t *testing.T) {
	e2ehost.Require(t)
	f := newFleet(t)
	drivertest.Run(t, drivertest.Harness{
		Driver: func(t *testing.T) driver.Driver { return f.driver(t, nil) },
		Target: func(t *testing.T) drivertest.Case {
			h := f.start(t)
			return hostCase(t, "bookworm-"+h.IP, h)
		},
		Parallel: 4,
	})
}
