package e2ehost

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/drivertest"
)

// KeyFile is the private key every host accepts for root; it exists once
// a host has started.
func KeyFile() string { return filepath.Join(CacheDir(), "id_ed25519") }

// Fleet is the hosts of one test and a known_hosts file that lists the
// live ones: a host's line goes when it does, since a later host may get
// its address with another key.
type Fleet struct {
	KnownHosts string

	mu   sync.Mutex
	live map[*Host]bool
}

// NewFleet makes an empty fleet; it calls Require.
func NewFleet(t *testing.T) *Fleet {
	Require(t)
	return &Fleet{KnownHosts: filepath.Join(t.TempDir(), "known_hosts"), live: map[*Host]bool{}}
}

// Harness is the conformance suite's harness for a driver of the fleet's
// hosts: each case a new host, four at once.
func (f *Fleet) Harness(newDriver func(t *testing.T) driver.Driver) drivertest.Harness {
	return drivertest.Harness{
		Driver: newDriver,
		Target: func(t *testing.T) drivertest.Case {
			h := f.Start(t)
			return h.Case("bookworm-" + h.IP)
		},
		Parallel: 4,
	}
}

// Start starts a host for t and lists it in the fleet's known_hosts for
// as long as it lives.
func (f *Fleet) Start(t *testing.T) *Host {
	h := Start(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live[h] = true
	f.write(t)
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.live, h)
		f.write(t)
	})
	return h
}

func (f *Fleet) write(t *testing.T) {
	var b strings.Builder
	for h := range f.live {
		b.WriteString(h.KnownHostsLine + "\n")
	}
	if err := os.WriteFile(f.KnownHosts, []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}
}

// Changes are the host's upgrades as a patch's changes.
func (h *Host) Changes(patch string) []driver.Change {
	var changes []driver.Change
	for _, u := range h.Upgrades {
		changes = append(changes, driver.Change{Patch: patch, Kind: driver.KindPackage, Name: u.Package, From: u.From, To: u.To})
	}
	return changes
}

// Target is the host as an asset with id: its ip, Debian 12.
func (h *Host) Target(id string) driver.Target {
	return driver.Target{ID: id, Asset: &policy.Asset{
		Hostname: id, IP: policy.StringList{h.IP}, Kind: "host",
		OS: policy.OS{Family: "linux", Name: "debian", Version: "12"},
	}}
}

// Case describes the host for the driver conformance suite: its upgrades
// as the changes, dpkg-query in its root as the view out of band.
func (h *Host) Case(id string) drivertest.Case {
	start := driver.Observation{Packages: map[string]string{}}
	for _, u := range h.Upgrades {
		start.Packages[u.Package] = u.From
	}
	return drivertest.Case{
		Target:  h.Target(id),
		Start:   start,
		Changes: h.Changes("DSA-TEST-1"),
		Inspect: func(t *testing.T) driver.Observation { return driver.Observation{Packages: h.Packages(t)} },
	}
}
