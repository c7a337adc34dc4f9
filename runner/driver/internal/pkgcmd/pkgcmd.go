package pkgcmd

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/patchwave/patchwave/plan/version"
	"github.com/patchwave/patchwave/runner/driver"
)

// Pkg is a package to install at a version.
type Pkg struct{ Name, Version string }

// Manager is the command set of one package manager family.
type Manager struct {
	// OSName stands for the family when the asset names no os: its
	// version order (plan/version.SchemeFor).
	OSName string
	// Observe lists installed packages; Parse reads its output.
	Observe string
	Parse   func(out string) map[string]string
	// Upgrade installs newer versions; Downgrade puts back older ones
	// (and installs missing ones).
	Upgrade, Downgrade func(pkgs []Pkg) string
	// Refresh updates the package lists, when the manager needs asking.
	Refresh string
	// NotFound reports that a failure means a package or version the
	// repositories do not offer.
	NotFound *regexp.Regexp
	// RebootRequired prints "yes" when the host needs a reboot.
	RebootRequired string
}

// Apt is Debian and its derivatives: dpkg-query to observe, apt-get
// to change, non-interactively and keeping changed configuration files.
var Apt = &Manager{
	OSName:  "debian",
	Observe: `dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Version}\n'`,
	Parse:   ParseDpkgQuery,
	Upgrade: func(pkgs []Pkg) string {
		return aptGet("--only-upgrade", pkgs, "=")
	},
	Downgrade: func(pkgs []Pkg) string {
		return aptGet("--allow-downgrades", pkgs, "=")
	},
	Refresh:        "apt-get update -q",
	NotFound:       regexp.MustCompile(`(?m)^E: (Version '.*' for '.*' was not found|Unable to locate package .*)`),
	RebootRequired: "if [ -e /run/reboot-required ]; then echo yes; fi",
}

func aptGet(flag string, pkgs []Pkg, sep string) string {
	return "DEBIAN_FRONTEND=noninteractive apt-get install -y -q " + flag +
		" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold" + Specs(pkgs, sep)
}

// Dnf is the RHEL family. Versions are [epoch:]version-release, as
// patches write them.
var Dnf = &Manager{
	OSName:  "rhel",
	Observe: `rpm -qa --qf '%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n'`,
	Parse:   ParseRPMQuery,
	Upgrade: func(pkgs []Pkg) string {
		return "dnf -y -q upgrade" + Specs(pkgs, "-")
	},
	Downgrade: func(pkgs []Pkg) string {
		// downgrade refuses packages that are missing or older; install
		// takes those.
		return "dnf -y -q downgrade" + Specs(pkgs, "-") + " || dnf -y -q install" + Specs(pkgs, "-")
	},
	NotFound:       regexp.MustCompile(`(?m)(No match for argument|No package .* available|Unable to find a match)`),
	RebootRequired: "if command -v needs-restarting >/dev/null 2>&1; then needs-restarting -r >/dev/null 2>&1; [ $? -eq 1 ] && echo yes; fi; true",
}

// Specs is " name<sep>version ..." quoted for the shell, in name order.
func Specs(pkgs []Pkg, sep string) string {
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	var b strings.Builder
	for _, p := range pkgs {
		b.WriteString(" " + ShellQuote(p.Name+sep+p.Version))
	}
	return b.String()
}

// For picks the package manager by the asset's os.name; ok is
// false when the name does not say (then the host is asked).
func For(osName string) (*Manager, bool) {
	s, ok := version.SchemeFor(osName)
	switch {
	case !ok:
		return nil, false
	case s == version.Dpkg:
		return Apt, true
	case s == version.RPM:
		return Dnf, true
	}
	return nil, false
}

// Probe is a shell command that names the host's package manager.
const Probe = `if command -v dpkg-query >/dev/null 2>&1; then echo apt; elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then echo dnf; fi`

// Named returns the manager that Probe printed.
func Named(name string) (*Manager, error) {
	switch strings.TrimSpace(name) {
	case "apt":
		return Apt, nil
	case "dnf":
		return Dnf, nil
	}
	return nil, errors.New("the host has neither dpkg nor dnf (the ssh driver supports the Debian and RHEL families)")
}

// ParseDpkgQuery reads installed packages (status "?i?") from dpkg-query.
func ParseDpkgQuery(out string) map[string]string {
	pkgs := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 3 && len(f[0]) >= 2 && f[0][1] == 'i' && f[1] != "" {
			pkgs[f[1]] = f[2]
		}
	}
	return pkgs
}

// ParseRPMQuery reads rpm -qa; of a package installed twice (kernels),
// the newest counts.
func ParseRPMQuery(out string) map[string]string {
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

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Observation reads the output of m.Observe; a host that lists no
// package is an error.
func (m *Manager) Observation(out string) (driver.Observation, error) {
	pkgs := m.Parse(out)
	if len(pkgs) == 0 {
		return driver.Observation{}, errors.New("listing packages: the host reports none installed")
	}
	return driver.Observation{Packages: pkgs}, nil
}

// checkChanges refuses changes a package manager cannot make: images,
// and packages the host does not have (upgrades never install), with a
// permanent error, since trying again cannot help.
func checkChanges(o driver.Observation, changes []driver.Change) error {
	for _, c := range changes {
		if c.Kind == driver.KindImage {
			return driver.Permanent(fmt.Errorf("%q is an image: this driver changes packages", c.Name))
		}
		if _, ok := o.Packages[c.Name]; !ok {
			return driver.Permanent(fmt.Errorf("%q is not installed: a patch upgrades installed packages only", c.Name))
		}
	}
	return nil
}

// Todo lists the changes whose package the observation shows below its
// target, in the version order of osName: what Apply must install. It
// refuses changes no package manager can make (checkChanges).
func Todo(osName string, o driver.Observation, changes []driver.Change) ([]Pkg, error) {
	if err := checkChanges(o, changes); err != nil {
		return nil, err
	}
	var todo []Pkg
	for _, c := range changes {
		if driver.Reaches(osName, o, []driver.Change{c}) != nil {
			todo = append(todo, Pkg{c.Name, c.To})
		}
	}
	return todo, nil
}

// Upgraded checks, after Apply's change, that the host runs every
// change's target or newer.
func Upgraded(osName string, o driver.Observation, changes []driver.Change) error {
	if err := driver.Reaches(osName, o, changes); err != nil {
		return fmt.Errorf("after the upgrade, the host %w", err)
	}
	return nil
}

// RolledBack checks, after Rollback's change, that no package of want
// differs any more.
func RolledBack(now, want driver.Observation) error {
	if left := Differing(now, want); len(left) > 0 {
		return fmt.Errorf("after the rollback, %q is %q (want %q)", left[0].Name, now.Packages[left[0].Name], left[0].Version)
	}
	return nil
}

// Differing lists the packages of want whose version now differs: what
// Rollback must put back.
func Differing(now, want driver.Observation) []Pkg {
	var out []Pkg
	for _, name := range slices.Sorted(maps.Keys(want.Packages)) {
		if v := want.Packages[name]; now.Packages[name] != v {
			out = append(out, Pkg{name, v})
		}
	}
	return out
}
