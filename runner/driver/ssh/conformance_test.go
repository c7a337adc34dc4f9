package ssh

import (
	"testing"

	"github.com/patchwave/patchwave/internal/e2ehost"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/drivertest"
)

// newDriver builds an ssh driver for the fleet's hosts with extra
// settings; the key comes from the environment it is given.
func newDriver(t *testing.T, f *e2ehost.Fleet, extra map[string]any) driver.Driver {
	settings := map[string]any{"type": "ssh", "known_hosts": f.KnownHosts, "timeout": "5m", "connect_timeout": "10s"}
	for k, v := range extra {
		settings[k] = v
	}
	d, err := New(policy.Driver{Name: "hosts", Type: "ssh", Settings: settings}, Options{
		Getenv: func(k string) string {
			if k == DefaultKeyEnv {
				return e2ehost.KeyFile()
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestConformance runs the driver suite against real Debian hosts
// (internal/e2ehost): sshd in a network namespace, apt-get in a
// debootstrapped bookworm root.
func TestConformance(t *testing.T) {
	f := e2ehost.NewFleet(t)
	drivertest.Run(t, f.Harness(func(t *testing.T) driver.Driver { return newDriver(t, f, nil) }))
}
