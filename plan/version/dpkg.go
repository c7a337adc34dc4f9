package version

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxDpkgEpoch is dpkg's limit on an epoch (INT_MAX in parseversion).
const maxDpkgEpoch = "2147483647"

// dpkgVersion is a parsed Debian version. The fields are substrings of the
// input, so parsing does not allocate.
type dpkgVersion struct {
	epoch    string // decimal digits; "" when absent, which is 0
	upstream string
	revision string // "" when absent, which compares equal to "0"
}

// CompareDpkg compares two Debian package versions as
// `dpkg --compare-versions` does: -1 when a is older than b, 0 when they are
// equal, +1 when a is newer. Equal means equal in dpkg's order, not
// byte-for-byte: "1:1.0-0" equals "01:1.00". It returns a *SyntaxError when
// a or b is not a valid Debian version (see the package documentation).
func CompareDpkg(a, b string) (int, error) {
	va, err := parseDpkg(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseDpkg(b)
	if err != nil {
		return 0, err
	}
	return compareDpkg(va, vb), nil
}

func compareDpkg(a, b dpkgVersion) int {
	if c := cmpDigits(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := verrevcmp(a.upstream, b.upstream); c != 0 {
		return c
	}
	return verrevcmp(a.revision, b.revision)
}

// parseDpkg splits and checks a version as dpkg's parseversion does; see the
// package documentation for where it is stricter.
func parseDpkg(v string) (dpkgVersion, error) {
	bad := func(format string, args ...any) (dpkgVersion, error) {
		return dpkgVersion{}, &SyntaxError{Scheme: Dpkg, Version: v, Reason: fmt.Sprintf(format, args...)}
	}
	s := strings.Trim(v, " \t")
	if s == "" {
		return bad("version string is empty")
	}
	if strings.ContainsAny(s, " \t") {
		return bad("version string has embedded spaces")
	}
	var d dpkgVersion
	if i := strings.IndexByte(s, ':'); i >= 0 {
		e := s[:i]
		switch {
		case e == "":
			return bad("epoch before the colon is empty")
		case !allDigits(e):
			return bad("epoch %q is not a number", e)
		case cmpDigits(e, maxDpkgEpoch) > 0:
			return bad("epoch %s is too big (at most %s)", e, maxDpkgEpoch)
		}
		d.epoch = e
		s = s[i+1:]
		if s == "" {
			return bad("nothing after the epoch colon")
		}
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		d.revision = s[i+1:]
		if d.revision == "" {
			return bad("revision after the last hyphen is empty")
		}
		s = s[:i]
	}
	if s == "" {
		return bad("upstream version is empty")
	}
	d.upstream = s
	// The separators split the version first, so a hyphen can only remain
	// in the upstream version when there is a revision, and a colon only
	// when there is an epoch: the character sets need no special cases.
	if i := invalidIndex(d.upstream, ".+~-:"); i >= 0 {
		return bad("invalid character %s in upstream version %q (allowed: letters, digits and . + ~ - :)", charAt(d.upstream, i), d.upstream)
	}
	if i := invalidIndex(d.revision, ".+~"); i >= 0 {
		return bad("invalid character %s in revision %q (allowed: letters, digits and . + ~)", charAt(d.revision, i), d.revision)
	}
	return d, nil
}

// invalidIndex returns the index of the first byte of s that is neither an
// ASCII letter or digit nor one of extra, or -1.
func invalidIndex(s, extra string) int {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && strings.IndexByte(extra, s[i]) < 0 {
			return i
		}
	}
	return -1
}

// charAt describes the character that starts at s[i] for an error message:
// quoted, or as a byte when it is not valid UTF-8.
func charAt(s string, i int) string {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02x", s[i])
	}
	return fmt.Sprintf("%q", r)
}

// dpkgOrder is the weight of a character in the non-digit parts of a
// version, as in dpkg's order(): '~' before the end of the part, the end
// (and digits, which end the part) next, then letters, then everything
// else. An index past the end of s weighs 0, as dpkg's terminating NUL.
func dpkgOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp compares an upstream version or a revision as dpkg's verrevcmp
// (lib/dpkg/version.c) does: alternately a non-digit part, compared
// character by character with dpkgOrder, and a digit part, compared as a
// number. An empty string is a valid argument and sorts like "0".
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isDigit(a[i]) || j < len(b) && !isDigit(b[j]) {
			ac, bc := dpkgOrder(a, i), dpkgOrder(b, j)
			if ac != bc {
				if ac < bc {
					return -1
				}
				return 1
			}
			// Equal weights here mean the same non-digit character on both
			// sides: an end or a digit weighs 0, and no other character
			// does, so neither index runs past its string.
			i++
			j++
		}
		ie, je := digitsEnd(a, i), digitsEnd(b, j)
		if c := cmpDigits(a[i:ie], b[j:je]); c != 0 {
			return c
		}
		i, j = ie, je
	}
	return 0
}
