package drivers

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/patchwave/patchwave/internal/e2ehost"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/drivertest"
	driverexec "github.com/patchwave/patchwave/runner/driver/exec"
)

// TestAptSSHConformance runs the driver suite against apt-ssh.
func TestAptSSHConformance(t *testing.T) { conformance(t, "apt-ssh", "ssh", "jq") }

// TestAnsiblePlaybookConformance runs the driver suite against the
// ansible-playbook example.
func TestAnsiblePlaybookConformance(t *testing.T) {
	conformance(t, "ansible-playbook", "ansible-playbook", "jq")
}

// conformance runs the suite against an example script through the exec
// driver, on real Debian hosts; needs are the commands it needs.
func conformance(t *testing.T, name string, needs ...string) {
	e2ehost.Require(t)
	for _, c := range needs {
		if _, err := exec.LookPath(c); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (.ci/run installs it)", c)
			}
			t.Skipf("%s is not installed", c)
		}
	}
	script, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	f := e2ehost.NewFleet(t)
	drivertest.Run(t, f.Harness(func(t *testing.T) driver.Driver {
		d, err := driverexec.New(policy.Driver{Name: "hosts", Type: "exec", Settings: map[string]any{
			"type": "exec", "command": []any{script}, "timeout": "5m",
		}}, driverexec.Options{Dir: t.TempDir(), Env: append(os.Environ(),
			"PATCHWAVE_SSH_KEY="+e2ehost.KeyFile(), "PATCHWAVE_SSH_KNOWN_HOSTS="+f.KnownHosts)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}))
}
