package ansible

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	osexec "os/exec"

	"github.com/patchwave/patchwave/internal/e2ehost"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/drivertest"
)

// requireAnsible skips without ansible-playbook, except under CI.
func requireAnsible(t *testing.T) {
	t.Helper()
	e2ehost.Require(t)
	if _, err := osexec.LookPath("ansible-playbook"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ansible-playbook is not installed (.ci/run installs ansible)")
		}
		t.Skip("ansible-playbook is not installed (apt-get install ansible)")
	}
}

// fleet is the test's live hosts and a known_hosts file of them.
type fleet struct {
	mu         sync.Mutex
	knownHosts string
	lines      map[*e2ehost.Host]string
	keyFile    string
}

func newFleet(t *testing.T) *fleet {
	return &fleet{knownHosts: filepath.Join(t.TempDir(), "known_hosts"), lines: map[*e2ehost.Host]string{}}
}

func (f *fleet) start(t *testing.T) *e2ehost.Host {
	h := e2ehost.Start(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keyFile = h.KeyFile
	f.lines[h] = h.KnownHostsLine
	f.write(t)
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.lines, h)
		f.write(t)
	})
	return h
}

func (f *fleet) write(t *testing.T) {
	var b strings.Builder
	for _, l := range f.lines {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(f.knownHosts, []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}
}

func (f *fleet) driver(t *testing.T, extra map[string]any) driver.Driver {
	settings := map[string]any{"type": "ansible", "known_hosts": f.knownHosts, "timeout": "5m"}
	for k, v := range extra {
		settings[k] = v
	}
	d, err := New(policy.Driver{Name: "fleet", Type: "ansible", Settings: settings}, Options{
		Env: append(os.Environ(), "PATCHWAVE_SSH_KEY="+e2ehostKey(t, f)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// e2ehostKey is the user key every host accepts; it exists once a host
// has started, so a driver made before its first host still names it.
func e2ehostKey(t *testing.T, f *fleet) string {
	return filepath.Join(e2ehost.CacheDir(), "id_ed25519")
}

func hostCase(id string, h *e2ehost.Host) drivertest.Case {
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
		Inspect: func(t *testing.T) driver.Observation { return driver.Observation{Packages: h.Packages(t)} },
	}
}

// TestConformance runs the driver suite through ansible-playbook against
// real Debian hosts (internal/e2ehost).
func TestConformance(t *testing.T) {
	requireAnsible(t)
	f := newFleet(t)
	drivertest.Run(t, drivertest.Harness{
		Driver: func(t *testing.T) driver.Driver { return f.driver(t, nil) },
		Target: func(t *testing.T) drivertest.Case {
			h := f.start(t)
			return hostCase("bookworm-"+h.IP, h)
		},
		Parallel: 4,
	})
}

// TestApplyBatch applies to four hosts in one batch with serial 2; then,
// on four fresh hosts, a batch whose first serial group fails stops
// before the second.
func TestApplyBatch(t *testing.T) {
	requireAnsible(t)
	f := newFleet(t)
	var items []driver.BatchItem
	var hosts []*e2ehost.Host
	for i := range 4 {
		h := f.start(t)
		hosts = append(hosts, h)
		c := hostCase("host-"+string(rune('a'+i)), h)
		items = append(items, driver.BatchItem{Target: c.Target, Changes: c.Changes})
	}
	d := f.driver(t, nil).(driver.BatchApplier)
	start := time.Now()
	res, err := d.ApplyBatch(t.Context(), items, driver.BatchOptions{Serial: 2, MaxFailPercentage: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ansible driver: a batch of 4 hosts in %v (%v per host)", time.Since(start).Round(time.Millisecond), (time.Since(start) / 4).Round(time.Millisecond))
	for i, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", items[i].Target.ID, r.Err)
			continue
		}
		if err := driver.Reaches("debian", r.Result.Observation, items[i].Changes); err != nil {
			t.Errorf("%s: the result %v", items[i].Target.ID, err)
		}
		for _, u := range hosts[i].Upgrades {
			if got := hosts[i].Packages(t)[u.Package]; got != u.To {
				t.Errorf("%s: dpkg-query reports %s %q, want %q", items[i].Target.ID, u.Package, got, u.To)
			}
		}
	}

	// Fresh hosts, and a pre hook that fails on the first two only: the
	// first serial group fails, so the second never starts.
	items, hosts = nil, nil
	for i := range 4 {
		h := f.start(t)
		hosts = append(hosts, h)
		c := hostCase("host-"+string(rune('e'+i)), h)
		items = append(items, driver.BatchItem{Target: c.Target, Changes: c.Changes})
		if i < 2 {
			if err := os.WriteFile(filepath.Join(h.Root, "fail-hook"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	d = f.driver(t, map[string]any{"pre": []any{"test ! -e /fail-hook"}}).(driver.BatchApplier)
	res, err = d.ApplyBatch(t.Context(), items, driver.BatchOptions{Serial: 2, MaxFailPercentage: 0})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		switch {
		case i < 2 && (r.Err == nil || !strings.Contains(r.Err.Error(), "pre hooks")):
			t.Errorf("%s: %v, want the pre hook's failure", items[i].Target.ID, r.Err)
		case i >= 2 && !errorsIs(r.Err, driver.ErrNotAttempted):
			t.Errorf("%s: %v, want ErrNotAttempted", items[i].Target.ID, r.Err)
		}
		if got := hosts[i].Packages(t)[hosts[i].Upgrades[0].Package]; got != hosts[i].Upgrades[0].From {
			t.Errorf("%s changed to %q in a batch that stopped", items[i].Target.ID, got)
		}
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
