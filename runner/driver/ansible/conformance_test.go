package ansible

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// newDriver builds an ansible driver for the fleet's hosts with extra
// settings.
func newDriver(t *testing.T, f *e2ehost.Fleet, extra map[string]any) driver.Driver {
	settings := map[string]any{"type": "ansible", "known_hosts": f.KnownHosts, "timeout": "5m"}
	for k, v := range extra {
		settings[k] = v
	}
	d, err := New(policy.Driver{Name: "fleet", Type: "ansible", Settings: settings}, Options{
		Env: append(os.Environ(), "PATCHWAVE_SSH_KEY="+e2ehost.KeyFile()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestConformance runs the driver suite through ansible-playbook against
// real Debian hosts (internal/e2ehost).
func TestConformance(t *testing.T) {
	requireAnsible(t)
	f := e2ehost.NewFleet(t)
	drivertest.Run(t, f.Harness(func(t *testing.T) driver.Driver { return newDriver(t, f, nil) }))
}

// TestApplyBatch applies to four hosts in one batch with serial 2; then,
// on four fresh hosts, a batch whose first serial group fails stops
// before the second.
func TestApplyBatch(t *testing.T) {
	requireAnsible(t)
	f := e2ehost.NewFleet(t)
	var items []driver.BatchItem
	var hosts []*e2ehost.Host
	for i := range 4 {
		h := f.Start(t)
		hosts = append(hosts, h)
		items = append(items, driver.BatchItem{Target: h.Target("host-" + string(rune('a'+i))), Changes: h.Changes("DSA-TEST-1")})
	}
	d := newDriver(t, f, nil).(driver.BatchApplier)
	start := time.Now()
	res, err := d.ApplyBatch(t.Context(), items, driver.BatchOptions{Serial: 2, MaxFailPercentage: 0})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("ansible driver: time per host: %v in a batch of 4 with serial 2 (%v in all)", (took / 4).Round(time.Millisecond), took.Round(time.Millisecond))
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
		h := f.Start(t)
		hosts = append(hosts, h)
		items = append(items, driver.BatchItem{Target: h.Target("host-" + string(rune('e'+i))), Changes: h.Changes("DSA-TEST-1")})
		if i < 2 {
			if err := os.WriteFile(filepath.Join(h.Root, "fail-hook"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	d = newDriver(t, f, map[string]any{"pre": []any{"test ! -e /fail-hook"}}).(driver.BatchApplier)
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
