package e2ehost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// cacheKey names the cached root; change it when the build changes.
const cacheKey = "bookworm-minbase-v1"

// Mirrors the root is built from, and its apt sources.
const (
	mirror         = "http://deb.debian.org/debian"
	securityMirror = "http://deb.debian.org/debian-security"
	sourcesList    = "deb " + mirror + " bookworm main\n" +
		"deb " + securityMirror + " bookworm-security main\n"
)

// include is what the root has beyond minbase: python3-apt, so that
// Ansible's apt module can run on the host, as on any managed server.
const include = "python3-apt"

// upgradable are the minbase packages whose bookworm-security version is
// newer than bookworm's (checked at build time): small libraries with no
// other binary package of their source installed, so that each upgrades
// and downgrades alone.
var upgradable = []string{"libpcre2-8-0", "liblzma5"}

// Upgrade is a package of the root whose version in bookworm (installed)
// is older than the one in bookworm-security.
type Upgrade struct {
	Package string `json:"package"`
	From    string `json:"from"` // bookworm main, installed
	To      string `json:"to"`   // bookworm-security
}

// cached is the built root: its extracted tree and what it offers.
type cached struct {
	tree     string
	upgrades []Upgrade
	keyFile  string
	userKey  ssh.PublicKey
}

// CacheDir is where the root is cached: $PATCHWAVE_E2E_CACHE, else
// /var/cache/patchwave-e2e.
func CacheDir() string {
	if d := os.Getenv("PATCHWAVE_E2E_CACHE"); d != "" {
		return d
	}
	return "/var/cache/patchwave-e2e"
}

// rootfs returns the cached root, building the tarball and extracting it
// when missing. A lock file serializes test processes that start at once.
func rootfs(logf func(string, ...any)) (*cached, error) {
	dir := CacheDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache folder: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cache lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("cache lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	tarball := filepath.Join(dir, cacheKey+".tar")
	meta := filepath.Join(dir, cacheKey+".json")
	tree := filepath.Join(dir, cacheKey)
	if _, err := os.Stat(tarball); err != nil {
		start := time.Now()
		logf("e2ehost: building %s with debootstrap (once; cached in %s)", cacheKey, dir)
		if err := build(tarball, meta); err != nil {
			return nil, err
		}
		logf("e2ehost: built %s in %v", cacheKey, time.Since(start).Round(time.Second))
		os.RemoveAll(tree)
	}
	if _, err := os.Stat(filepath.Join(tree, ".complete")); err != nil {
		os.RemoveAll(tree)
		if err := os.MkdirAll(tree, 0o755); err != nil {
			return nil, err
		}
		if err := run("tar", "-x", "--numeric-owner", "-p", "-f", tarball, "-C", tree); err != nil {
			return nil, fmt.Errorf("extracting %q: %w", tarball, err)
		}
		if err := os.WriteFile(filepath.Join(tree, ".complete"), nil, 0o644); err != nil {
			return nil, err
		}
	}
	c := &cached{tree: tree, keyFile: filepath.Join(dir, "id_ed25519")}
	if c.userKey, err = userKey(c.keyFile); err != nil {
		return nil, fmt.Errorf("the hosts' user key: %w", err)
	}
	data, err := os.ReadFile(meta)
	if err != nil {
		return nil, fmt.Errorf("reading the cache's upgrades: %w", err)
	}
	if err := json.Unmarshal(data, &c.upgrades); err != nil {
		return nil, fmt.Errorf("reading %q: %w", meta, err)
	}
	return c, nil
}

// build debootstraps the root, prepares apt for offline upgrades and
// downgrades, and writes the tarball and the upgrade list.
func build(tarball, meta string) error {
	work, err := os.MkdirTemp(filepath.Dir(tarball), ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	root := filepath.Join(work, "root")
	if err := run("debootstrap", "--variant=minbase", "--include="+include, "--components=main",
		"bookworm", root, mirror); err != nil {
		return fmt.Errorf("debootstrap: %w", err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/apt/sources.list"), []byte(sourcesList), 0o644); err != nil {
		return err
	}
	chroot := func(args ...string) (string, error) {
		return output(append([]string{"chroot", root, "env", "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C"}, args...)...)
	}
	if _, err := chroot("apt-get", "update", "-q"); err != nil {
		return fmt.Errorf("apt-get update in the root: %w", err)
	}
	var ups []Upgrade
	for _, p := range upgradable {
		from, err := chroot("dpkg-query", "-W", "-f=${Version}", p)
		if err != nil {
			return fmt.Errorf("%s is not installed in minbase: %w", p, err)
		}
		policy, err := chroot("apt-cache", "policy", p)
		if err != nil {
			return err
		}
		to := candidate(policy)
		if _, err := chroot("dpkg", "--compare-versions", to, "gt", from); err != nil {
			return fmt.Errorf("%s: the bookworm-security candidate %q is not newer than bookworm's %q: pick another package in upgradable", p, to, from)
		}
		ups = append(ups, Upgrade{Package: p, From: from, To: to})
	}
	// Both versions' .deb files go into apt's cache: the host has no
	// network. debootstrap leaves the installed ones there; download
	// them anyway in case it did not.
	for _, u := range ups {
		if _, err := chroot("apt-get", "install", "-q", "-y", "--download-only", u.Package+"="+u.To); err != nil {
			return fmt.Errorf("downloading %s %s: %w", u.Package, u.To, err)
		}
		if _, err := chroot("apt-get", "install", "-q", "-y", "--download-only", "--reinstall", u.Package+"="+u.From); err != nil {
			return fmt.Errorf("downloading %s %s: %w", u.Package, u.From, err)
		}
	}
	data, err := json.MarshalIndent(ups, "", "  ")
	if err != nil {
		return err
	}
	tmp := tarball + ".tmp"
	if err := run("tar", "-c", "--numeric-owner", "-f", tmp, "-C", root, "."); err != nil {
		return fmt.Errorf("packing the root: %w", err)
	}
	if err := os.WriteFile(meta, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, tarball)
}

// candidate reads the Candidate line of apt-cache policy.
func candidate(policy string) string {
	for _, l := range strings.Split(policy, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Candidate:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// run runs a command, with its output in the error.
func run(args ...string) error {
	_, err := output(args...)
	return err
}

// output runs a command and returns its stdout; the error holds stderr.
func output(args ...string) (string, error) {
	cmd := exec.Command(args[0], args[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		tail := errb.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return out.String(), fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, tail)
	}
	return out.String(), nil
}
