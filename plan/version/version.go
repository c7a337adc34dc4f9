package version

import (
	"fmt"
	"strings"
)

// Scheme names a package manager's version order.
type Scheme string

// The version orders this package knows.
const (
	// Dpkg is Debian's order (dpkg --compare-versions).
	Dpkg Scheme = "dpkg"
	// RPM is rpm's order (rpmverCmp: epoch, then rpmvercmp on version and release).
	RPM Scheme = "rpm"
)

// schemes maps an os.name (lower case, as the schema requires) to its order.
// Names are os-release IDs, plus the spellings inventories commonly use.
var schemes = map[string]Scheme{
	"debian":     Dpkg,
	"ubuntu":     Dpkg,
	"linuxmint":  Dpkg,
	"pop":        Dpkg,
	"raspbian":   Dpkg,
	"kali":       Dpkg,
	"devuan":     Dpkg,
	"elementary": Dpkg,
	"zorin":      Dpkg,
	"neon":       Dpkg,
	"pureos":     Dpkg,
	"parrot":     Dpkg,
	"deepin":     Dpkg,
	"trisquel":   Dpkg,

	"rhel":        RPM,
	"redhat":      RPM,
	"centos":      RPM,
	"rocky":       RPM,
	"almalinux":   RPM,
	"fedora":      RPM,
	"ol":          RPM,
	"oraclelinux": RPM,
	"oracle":      RPM,
	"amzn":        RPM,
	"amazon":      RPM,
	"sles":        RPM,
	"sled":        RPM,
	"sles_sap":    RPM,
	"sle-micro":   RPM,
	"suse":        RPM,
	"euleros":     RPM,
	"openeuler":   RPM,
	"mariner":     RPM,
	"azurelinux":  RPM,
	"photon":      RPM,
	"scientific":  RPM,
	"cloudlinux":  RPM,
	"mageia":      RPM,
}

// SchemeFor returns the version order of the operating system named osName
// (an asset's os.name, in lower case: "debian", "rhel", "opensuse-leap", ...).
// It returns false for names it does not know, such as "windows-server" or
// "macos", whose packages have no dpkg or rpm version.
func SchemeFor(osName string) (Scheme, bool) {
	if s, ok := schemes[osName]; ok {
		return s, true
	}
	// openSUSE's IDs carry the flavour: opensuse-leap, opensuse-tumbleweed,
	// opensuse-microos, ...
	if strings.HasPrefix(osName, "opensuse") {
		return RPM, true
	}
	return "", false
}

// Compare compares versions a and b in scheme s and returns -1 when a is
// older than b, 0 when they are equal in that order, and +1 when a is newer.
// It returns a *SyntaxError when a or b is not a valid version of the scheme
// (a first), and an error when s is not a known scheme.
func Compare(s Scheme, a, b string) (int, error) {
	switch s {
	case Dpkg:
		return CompareDpkg(a, b)
	case RPM:
		return CompareRPM(a, b)
	}
	return 0, fmt.Errorf("unknown version scheme %q (want %q or %q)", string(s), Dpkg, RPM)
}

// SyntaxError reports a version that is not valid in its scheme.
type SyntaxError struct {
	Scheme  Scheme
	Version string // the version as given
	Reason  string // what is wrong, e.g. "upstream version is empty"
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid %s version %q: %s", e.Scheme, e.Version, e.Reason)
}

// cmpDigits compares two runs of ASCII digits as the numbers they spell,
// whatever their length: leading zeros are dropped, then the longer run is
// the larger number, then the first differing digit decides.
func cmpDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// digitsEnd returns the index of the first byte at or after i that is not an
// ASCII digit.
func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	return s != "" && digitsEnd(s, 0) == len(s)
}
