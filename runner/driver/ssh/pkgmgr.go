package ssh

import (
	"errors"
	"regexp"
	"sort"
	"strings"

	"github.com/patchwave/patchwave/plan/version"
)

// pkgVersion is a package to install at a version.
type pkgVersion struct{ name, version string }

// pkgManager is the command set of one package manager family.
type pkgManager struct {
	// osName stands for the family when the asset names no os: its
	// version order (plan/version.SchemeFor).
	osName string
	// observe lists installed packages; parse reads its output.
	observe string
	parse   func(out string) map[string]string
	// upgrade installs newer versions; downgrade puts back older ones
	// (and installs missing ones).
	upgrade, downgrade func(pkgs []pkgVersion) []string
	// refresh updates the package lists, when the manager needs asking.
	refresh string
	// notFound reports that a failure means a package or version the
	// repositories do not offer.
	notFound *regexp.Regexp
	// rebootRequired prints "yes" when the host needs a reboot.
	rebootRequired string
}

// apt is Debian and its derivatives: dpkg-query to observe, apt-get
// to change, non-interactively and keeping changed configuration files.
var apt = &pkgManager{
	osName:  "debian",
	observe: `dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Version}\n'`,
	parse:   parseDpkgQuery,
	upgrade: func(pkgs []pkgVersion) []string {
		return []string{aptGet("--only-upgrade", pkgs, "=")}
	},
	downgrade: func(pkgs []pkgVersion) []string {
		return []string{aptGet("--allow-downgrades", pkgs, "=")}
	},
	refresh:        "apt-get update -q",
	notFound:       regexp.MustCompile(`(?m)^E: (Version '.*' for '.*' was not found|Unable to locate package .*)`),
	rebootRequired: "if [ -e /run/reboot-required ]; then echo yes; fi",
}

func aptGet(flag string, pkgs []pkgVersion, sep string) string {
	return "DEBIAN_FRONTEND=noninteractive apt-get install -y -q " + flag +
		" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold" + specs(pkgs, sep)
}

// dnf is the RHEL family. Versions are [epoch:]version-release, as
// patches write them.
var dnf = &pkgManager{
	osName:  "rhel",
	observe: `rpm -qa --qf '%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n'`,
	parse:   parseRPMQuery,
	upgrade: func(pkgs []pkgVersion) []string {
		return []string{"dnf -y -q upgrade" + specs(pkgs, "-")}
	},
	downgrade: func(pkgs []pkgVersion) []string {
		// downgrade refuses packages that are missing or older; install
		// takes those.
		return []string{"dnf -y -q downgrade" + specs(pkgs, "-") + " || dnf -y -q install" + specs(pkgs, "-")}
	},
	notFound:       regexp.MustCompile(`(?m)(No match for argument|No package .* available|Unable to find a match)`),
	rebootRequired: "if command -v needs-restarting >/dev/null 2>&1; then needs-restarting -r >/dev/null 2>&1; [ $? -eq 1 ] && echo yes; fi; true",
}

// specs is " name<sep>version ..." quoted for the shell, in name order.
func specs(pkgs []pkgVersion, sep string) string {
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].name < pkgs[j].name })
	var b strings.Builder
	for _, p := range pkgs {
		b.WriteString(" " + shellQuote(p.name+sep+p.version))
	}
	return b.String()
}

// managerFor picks the package manager by the asset's os.name; ok is
// false when the name does not say (then the host is asked).
func managerFor(osName string) (*pkgManager, bool) {
	s, ok := version.SchemeFor(osName)
	switch {
	case !ok:
		return nil, false
	case s == version.Dpkg:
		return apt, true
	case s == version.RPM:
		return dnf, true
	}
	return nil, false
}

// probe is a shell command that names the host's package manager.
const probe = `if command -v dpkg-query >/dev/null 2>&1; then echo apt; elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then echo dnf; fi`

func managerNamed(name string) (*pkgManager, error) {
	switch strings.TrimSpace(name) {
	case "apt":
		return apt, nil
	case "dnf":
		return dnf, nil
	}
	return nil, errors.New("the host has neither dpkg nor dnf (the ssh driver supports the Debian and RHEL families)")
}

// parseDpkgQuery reads installed packages (status "?i?") from dpkg-query.
func parseDpkgQuery(out string) map[string]string {
	pkgs := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 3 && len(f[0]) >= 2 && f[0][1] == 'i' && f[1] != "" {
			pkgs[f[1]] = f[2]
		}
	}
	return pkgs
}

// parseRPMQuery reads rpm -qa; of a package installed twice (kernels),
// the newest counts.
func parseRPMQuery(out string) map[string]string {
	pkgs := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(l), "\t")
		if !ok || name == "" || name == "gpg-pubkey" {
			continue
		}
		if old, dup := pkgs[name]; dup {
			if c, err := version.CompareRPM(old, v); err == nil && c >= 0 {
				continue
			}
		}
		pkgs[name] = v
	}
	return pkgs
}
