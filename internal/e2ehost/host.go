package e2ehost

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Host is one running test host.
type Host struct {
	// IP is the host's address in its namespace; sshd listens on port 22.
	IP string
	// Root is the host's root file system, as the machine sees it.
	Root string
	// KnownHosts is a known_hosts file holding the host's key, and
	// KnownHostsLine its line, for tests that gather several hosts.
	KnownHosts, KnownHostsLine string
	// KeyFile is an unencrypted OpenSSH private key that root on every
	// host accepts (for PATCHWAVE_SSH_KEY); it is the same file for all
	// hosts, kept in the cache folder.
	KeyFile string
	// Upgrades are packages that bookworm-security offers newer versions
	// of; both versions install without network.
	Upgrades []Upgrade
	// Started is how long Start took.
	Started time.Duration

	netns string
}

var (
	cacheOnce sync.Once
	cache     *cached
	cacheErr  error
)

// Require skips the test unless this machine can run hosts (root,
// debootstrap, sshd, ip, tar, chroot); under CI it fails instead.
func Require(t testing.TB) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, c := range []string{"debootstrap", "ip", "tar", "chroot", "/usr/sbin/sshd"} {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("e2e host needs %s (apt-get install debootstrap openssh-server iproute2; run as root)", strings.Join(missing, ", "))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Start builds or reuses the cached root and starts a host on it. It
// calls Require first.
func Start(t testing.TB) *Host {
	t.Helper()
	Require(t)
	begin := time.Now()
	cacheOnce.Do(func() { cache, cacheErr = rootfs(t.Logf) })
	if cacheErr != nil {
		t.Fatal(cacheErr)
	}
	h := &Host{Upgrades: cache.upgrades}

	slot, release, err := claimSlot()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	h.netns = "patchwave-e2e-" + strconv.Itoa(slot)
	hostSide := "pwe" + strconv.Itoa(slot)
	a, b := 64+slot/64, (slot%64)*4
	hostIP := fmt.Sprintf("10.%d.%d.%d", a, b, 1)
	h.IP = fmt.Sprintf("10.%d.%d.%d", a, b, 2)

	// Leftovers of a crashed run that held this slot.
	exec.Command("ip", "netns", "del", h.netns).Run()
	exec.Command("ip", "link", "del", hostSide).Run()

	work, err := os.MkdirTemp("/var/lib", "patchwave-e2e-host-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	h.Root = filepath.Join(work, "root")
	for _, d := range []string{h.Root, filepath.Join(work, "upper"), filepath.Join(work, "overlay-work")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t, "mount", "-t", "overlay", "overlay", "-o",
		"lowerdir="+cache.tree+",upperdir="+filepath.Join(work, "upper")+",workdir="+filepath.Join(work, "overlay-work"), h.Root)
	t.Cleanup(func() { exec.Command("umount", "-l", h.Root).Run() })

	must(t, "ip", "netns", "add", h.netns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", h.netns).Run() })
	must(t, "ip", "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", h.netns)
	t.Cleanup(func() { exec.Command("ip", "link", "del", hostSide).Run() })
	must(t, "ip", "addr", "add", hostIP+"/30", "dev", hostSide)
	must(t, "ip", "link", "set", hostSide, "up")
	must(t, "ip", "-n", h.netns, "addr", "add", h.IP+"/30", "dev", "eth0")
	must(t, "ip", "-n", h.netns, "link", "set", "eth0", "up")
	must(t, "ip", "-n", h.netns, "link", "set", "lo", "up")

	hostKey := writeKey(t, filepath.Join(work, "ssh_host_ed25519_key"))
	h.KeyFile = cache.keyFile
	userKey := cache.userKey
	authorized := filepath.Join(work, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(userKey), 0o600); err != nil {
		t.Fatal(err)
	}
	h.KnownHosts = filepath.Join(work, "known_hosts")
	h.KnownHostsLine = knownhosts.Line([]string{knownhosts.Normalize(net.JoinHostPort(h.IP, "22"))}, hostKey)
	if err := os.WriteFile(h.KnownHosts, []byte(h.KnownHostsLine+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(work, "sshd_config")
	if err := os.WriteFile(config, []byte(sshdConfig(h.IP, work, h.Root)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}

	// sshd runs in the namespace, in the private mount namespace that ip
	// netns exec makes; /proc and the namespace's /sys are mounted into
	// the root there, so sessions see their own network.
	log, err := os.Create(filepath.Join(work, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	script := `set -e
mount -t proc proc "$1/proc"
mount --bind /sys "$1/sys"
mount --bind /dev "$1/dev"
exec /usr/sbin/sshd -D -e -f "$2"`
	sshd := exec.Command("ip", "netns", "exec", h.netns, "sh", "-c", script, "sh", h.Root, config)
	sshd.Stdout, sshd.Stderr = log, log
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Every process of the namespace: sshd and what sessions left.
		if out, err := exec.Command("ip", "netns", "pids", h.netns).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(f); err == nil {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		sshd.Process.Kill()
		sshd.Wait()
		log.Close()
	})
	if err := h.waitSSH(10 * time.Second); err != nil {
		data, _ := os.ReadFile(filepath.Join(work, "sshd.log"))
		t.Fatalf("sshd in %s: %v\n%s", h.netns, err, data)
	}
	h.Started = time.Since(begin)
	return h
}

// sshdConfig is the configuration of the host's sshd: root only, by key,
// chrooted into the host's root.
func sshdConfig(ip, work, root string) string {
	return fmt.Sprintf(`ListenAddress %s:22
HostKey %s/ssh_host_ed25519_key
PidFile none
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
ChrootDirectory %s
PrintMotd no
MaxStartups 100
MaxSessions 50
Subsystem sftp internal-sftp
`, ip, work, work, root)
}

// waitSSH waits until sshd accepts connections.
func (h *Host) waitSSH(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(h.IP, "22"), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Chroot runs a command inside the host's root, out of band (not through
// ssh), and returns its stdout.
func (h *Host) Chroot(t testing.TB, args ...string) string {
	t.Helper()
	out, err := output(append([]string{"chroot", h.Root}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Packages is what dpkg-query in the host's root reports installed:
// package name -> version.
func (h *Host) Packages(t testing.TB) map[string]string {
	t.Helper()
	out := h.Chroot(t, "dpkg-query", "-W", "-f=${db:Status-Abbrev}\t${Package}\t${Version}\n")
	pkgs := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 3 && strings.HasPrefix(f[0], "ii") {
			pkgs[f[1]] = f[2]
		}
	}
	return pkgs
}

// userKey reads the user key at path, creating it first when missing.
func userKey(path string) (ssh.PublicKey, error) {
	if _, err := os.Stat(path); err != nil {
		if _, err := newKey(path); err != nil {
			return nil, err
		}
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return signer.PublicKey(), nil
}

// writeKey writes a new ed25519 private key in OpenSSH format and returns
// its public key.
func writeKey(t testing.TB, path string) ssh.PublicKey {
	t.Helper()
	k, err := newKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newKey(path string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

func must(t testing.TB, args ...string) {
	t.Helper()
	if err := run(args...); err != nil {
		t.Fatal(err)
	}
}

// claimSlot takes a subnet slot no live host holds, across processes: a
// slot is held by an exclusive lock on its file, which the kernel drops
// when the process dies.
func claimSlot() (int, func(), error) {
	dir := "/run/patchwave-e2e"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, nil, err
	}
	for slot := range 4096 {
		f, err := os.OpenFile(filepath.Join(dir, "slot-"+strconv.Itoa(slot)), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return 0, nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		return slot, func() { f.Close() }, nil
	}
	return 0, nil, fmt.Errorf("no free e2e host slot in %s", dir)
}
