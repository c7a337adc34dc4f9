package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
)

// TestRewrite checks what a scan writes into an inventory file: the
// facts, the address drivers connect to kept first, every field a scan
// cannot know untouched, other assets untouched, sorted keys; and that
// the same facts again change nothing.
func TestRewrite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hosts.json")
	in := `{"web-01": {"ip": "192.0.2.10", "owner": "team-web", "criticality": "high", "tags": {"ring": "pilot"},
	  "driver": "hosts", "x_cmdb_id": 4711, "packages": {"gone": "1.0"}},
	 "web-02": {"ip": ["192.0.2.11"], "owner": "team-web"}}`
	if err := os.WriteFile(file, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	facts := driver.Facts{Hostname: "web-01", IP: []string{"10.0.0.5", "192.0.2.10"}, MAC: []string{"52:54:00:aa:bb:cc"},
		OS: policy.OS{Family: "linux", Name: "debian", Version: "12"}, Revision: "12.12",
		Packages: map[string]string{"openssl": "3.0.17-1~deb12u3"}}
	changed, err := rewrite(file, map[string]driver.Facts{"web-01": facts})
	if err != nil {
		t.Fatal(err)
	}
	if !changed["web-01"] || changed["web-02"] {
		t.Errorf("changed = %v, want web-01 only", changed)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "web-01": {
    "criticality": "high",
    "driver": "hosts",
    "hostname": "web-01",
    "ip": [
      "192.0.2.10",
      "10.0.0.5"
    ],
    "kind": "host",
    "mac": [
      "52:54:00:aa:bb:cc"
    ],
    "os": {
      "family": "linux",
      "name": "debian",
      "version": "12"
    },
    "owner": "team-web",
    "packages": {
      "openssl": "3.0.17-1~deb12u3"
    },
    "revision": "12.12",
    "tags": {
      "ring": "pilot"
    },
    "x_cmdb_id": 4711
  },
  "web-02": {
    "ip": [
      "192.0.2.11"
    ],
    "owner": "team-web"
  }
}
`
	if string(got) != want {
		t.Errorf("wrote:\n%s\nwant:\n%s", got, want)
	}
	changed, err = rewrite(file, map[string]driver.Facts{"web-01": facts})
	if err != nil || len(changed) != 0 {
		t.Errorf("the same facts again: changed %v, %v; want nothing", changed, err)
	}
	if _, err := rewrite(file, map[string]driver.Facts{"web-03": facts}); err == nil || !strings.Contains(err.Error(), `asset "web-03" is not in it`) {
		t.Errorf("an asset not in the file: %v", err)
	}
}
