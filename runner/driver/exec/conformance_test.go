package exec

import (
	"encoding/json"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/drivertest"
)

// folderhost is the quickstart's simulated host command, built once by
// TestMain; empty when it could not be built.
var folderhost string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		if _, err := osexec.LookPath("go"); err == nil {
			dir, err := os.MkdirTemp("", "patchwave-exec-test-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			bin := filepath.Join(dir, "folderhost")
			cmd := osexec.Command("go", "build", "-o", bin, "../../../examples/quickstart/drivers/folderhost")
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "building folderhost:", err)
				return 1
			}
			folderhost = bin
		}
		return m.Run()
	}())
}

// TestConformance runs the driver suite against the exec driver driving
// the quickstart's folder-backed simulated hosts.
func TestConformance(t *testing.T) {
	if folderhost == "" {
		t.Skip("no go toolchain to build examples/quickstart/drivers/folderhost")
	}
	hosts := t.TempDir()
	var n atomic.Int64
	drivertest.Run(t, drivertest.Harness{
		Driver: func(t *testing.T) driver.Driver {
			d, err := New(policy.Driver{Name: "sim-hosts", Type: "exec", Settings: map[string]any{
				"type": "exec", "command": []any{folderhost}, "timeout": "1m",
			}}, Options{Dir: t.TempDir(), Env: append(os.Environ(), "PATCHWAVE_HOSTS_DIR="+hosts)})
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		Target: func(t *testing.T) drivertest.Case {
			id := fmt.Sprintf("web-%02d", n.Add(1))
			start := map[string]string{
				"openssl": "3.0.17-1~deb12u2",
				"libssl3": "3.0.17-1~deb12u2",
				"nginx":   "1.22.1-9+deb12u2",
			}
			return drivertest.Case{
				Target: driver.Target{ID: id, Asset: &policy.Asset{
					Hostname: id + ".example.net", Kind: "host",
					OS:       policy.OS{Family: "linux", Name: "debian", Version: "12"},
					Packages: start,
				}},
				Start: driver.Observation{Packages: start},
				Changes: []driver.Change{
					{Patch: "DSA-5999-1", Kind: "package", Name: "openssl", From: "3.0.17-1~deb12u2", To: "3.0.18-1~deb12u1"},
					{Patch: "DSA-5999-1", Kind: "package", Name: "libssl3", From: "3.0.17-1~deb12u2", To: "3.0.18-1~deb12u1"},
				},
				Inspect: func(t *testing.T) driver.Observation {
					b, err := os.ReadFile(filepath.Join(hosts, id+".json"))
					if err != nil {
						t.Fatal(err)
					}
					var o driver.Observation
					if err := json.Unmarshal(b, &o); err != nil {
						t.Fatal(err)
					}
					return o
				},
			}
		},
		Parallel: 8,
	})
}
