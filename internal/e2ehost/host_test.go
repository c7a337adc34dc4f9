package e2ehost

import (
	"net"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestStart starts a host and logs in as a driver would: by key, checking
// the host key against KnownHosts; the session runs inside the root.
func TestStart(t *testing.T) {
	h := Start(t)
	t.Logf("host %s started in %v", h.IP, h.Started)
	if len(h.Upgrades) == 0 {
		t.Fatal("no upgrades offered")
	}
	pkgs := h.Packages(t)
	for _, u := range h.Upgrades {
		if pkgs[u.Package] != u.From {
			t.Errorf("%s is %q in the root, want %q", u.Package, pkgs[u.Package], u.From)
		}
	}

	key, err := os.ReadFile(h.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	check, err := knownhosts.New(h.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", net.JoinHostPort(h.IP, "22"), &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: check,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A marker file written through ssh must appear in the root.
	out, err := s.CombinedOutput("touch /patchwave-marker && dpkg-query -W -f='${Version}' " + h.Upgrades[0].Package)
	if err != nil {
		t.Fatalf("ssh: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != h.Upgrades[0].From {
		t.Errorf("dpkg-query over ssh: %q, want %q", out, h.Upgrades[0].From)
	}
	if _, err := os.Stat(h.Root + "/patchwave-marker"); err != nil {
		t.Errorf("the ssh session did not run in the root: %v", err)
	}
}
