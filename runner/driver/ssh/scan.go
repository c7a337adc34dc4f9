package ssh

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
)

// scanScript prints the host's facts as tab-separated lines, with only
// POSIX sh, cat and awk (all in a minimal Debian or RHEL install): no
// ip, hostname or python needed.
const scanScript = `printf 'hostname\t%s\n' "$(cat /proc/sys/kernel/hostname)"
if [ -r /etc/os-release ]; then . /etc/os-release; fi
printf 'os\t%s\t%s\n' "${ID:-}" "${VERSION_ID:-}"
if [ -r /etc/debian_version ]; then printf 'revision\t%s\n' "$(cat /etc/debian_version)"; fi
for i in /sys/class/net/*; do
	[ "${i##*/}" = lo ] && continue
	[ -r "$i/address" ] && printf 'mac\t%s\n' "$(cat "$i/address")"
done
[ -r /proc/net/fib_trie ] && awk '/\/32 host LOCAL/ { print "ip\t" prev } { prev = $2 }' /proc/net/fib_trie
[ -r /proc/net/if_inet6 ] && awk '$4 == "00" { print "ip6\t" $1 }' /proc/net/if_inet6
true`

// Scan reports the host's name, addresses, interfaces' MACs, operating
// system and installed packages.
func (d *sshDriver) Scan(ctx context.Context, t driver.Target) (driver.Facts, error) {
	var f driver.Facts
	err := d.call(ctx, t, "scan", func(ctx context.Context, s *session) error {
		out, err := s.run(ctx, scanScript, false)
		if err != nil {
			return fmt.Errorf("reading the host's facts: %w", err)
		}
		f = parseFacts(out)
		o, err := s.observe(ctx)
		f.Packages = o.Packages
		return err
	})
	return f, err
}

// parseFacts reads scanScript's output.
func parseFacts(out string) driver.Facts {
	f := driver.Facts{OS: policy.OS{Family: "linux"}}
	ips := map[string]bool{}
	macs := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		fields := strings.Split(strings.TrimSpace(l), "\t")
		if len(fields) < 2 {
			continue
		}
		v := fields[1]
		switch fields[0] {
		case "hostname":
			f.Hostname = v
		case "os":
			f.OS.Name = strings.ToLower(v)
			if len(fields) > 2 {
				f.OS.Version = policy.Text(fields[2])
			}
		case "revision":
			f.Revision = v
		case "mac":
			if v != "" && v != "00:00:00:00:00:00" {
				macs[strings.ToLower(v)] = true
			}
		case "ip":
			if a, err := netip.ParseAddr(v); err == nil && !a.IsLoopback() {
				ips[a.String()] = true
			}
		case "ip6":
			if a, ok := parseProcIPv6(v); ok && !a.IsLoopback() && !a.IsLinkLocalUnicast() {
				ips[a.String()] = true
			}
		}
	}
	for ip := range ips {
		f.IP = append(f.IP, ip)
	}
	for mac := range macs {
		f.MAC = append(f.MAC, mac)
	}
	slices.Sort(f.IP)
	slices.Sort(f.MAC)
	return f
}

// parseProcIPv6 reads an address of /proc/net/if_inet6: 32 hex digits.
func parseProcIPv6(h string) (netip.Addr, bool) {
	if len(h) != 32 {
		return netip.Addr{}, false
	}
	var b [16]byte
	for i := range b {
		var v byte
		if _, err := fmt.Sscanf(h[2*i:2*i+2], "%02x", &v); err != nil {
			return netip.Addr{}, false
		}
		b[i] = v
	}
	return netip.AddrFrom16(b), true
}
