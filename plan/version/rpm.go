package version

import (
	"fmt"
	"strings"
)

// rpmVerRelChars are the characters besides ASCII letters and digits that
// rpmbuild accepts in Version and Release (ALLOWED_CHARS_VERREL in rpm's
// build/parsePreamble.c).
const rpmVerRelChars = "._+%{}~^"

// rpmVersion is a parsed [epoch:]version[-release]. The fields are
// substrings of the input, so parsing does not allocate.
type rpmVersion struct {
	epoch      string // decimal digits; "" when absent, which is 0
	version    string
	release    string
	hasRelease bool
}

// CompareRPM compares two RPM package versions ([epoch:]version[-release])
// as rpm's rpmverCmp does (rpm.vercmp in rpm's Lua): -1 when a
// is older than b, 0 when they are equal, +1 when a is newer. Epochs compare
// as numbers, a missing one being 0; then versions and then releases compare
// with rpmvercmp, and a missing release sorts before any release. It returns
// a *SyntaxError when a or b is not a valid RPM version (see the package
// documentation).
func CompareRPM(a, b string) (int, error) {
	va, err := parseRPM(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseRPM(b)
	if err != nil {
		return 0, err
	}
	return compareRPM(va, vb), nil
}

func compareRPM(a, b rpmVersion) int {
	// rpmvercmp on two digit strings is cmpDigits.
	if c := cmpDigits(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := rpmvercmp(a.version, b.version); c != 0 {
		return c
	}
	switch {
	case a.hasRelease && b.hasRelease:
		return rpmvercmp(a.release, b.release)
	case a.hasRelease:
		return 1
	case b.hasRelease:
		return -1
	}
	return 0
}

// parseRPM splits a version as rpm's parseEVR does and checks its parts.
func parseRPM(v string) (rpmVersion, error) {
	bad := func(format string, args ...any) (rpmVersion, error) {
		return rpmVersion{}, &SyntaxError{Scheme: RPM, Version: v, Reason: fmt.Sprintf(format, args...)}
	}
	if v == "" {
		return bad("version string is empty")
	}
	s := v
	var r rpmVersion
	if i := strings.IndexByte(s, ':'); i >= 0 {
		e := s[:i]
		switch {
		case e == "":
			return bad("epoch before the colon is empty")
		case !allDigits(e):
			return bad("epoch %q is not a number", e)
		}
		r.epoch = e
		s = s[i+1:]
		if s == "" {
			return bad("nothing after the epoch colon")
		}
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		r.release, r.hasRelease = s[i+1:], true
		if r.release == "" {
			return bad("release after the last hyphen is empty")
		}
		s = s[:i]
	}
	if s == "" {
		return bad("version before the release is empty")
	}
	r.version = s
	if i := invalidIndex(r.version, rpmVerRelChars); i >= 0 {
		return bad("invalid character %s in version %q (allowed: letters, digits and %s)", charAt(r.version, i), r.version, spaced(rpmVerRelChars))
	}
	if i := invalidIndex(r.release, rpmVerRelChars); i >= 0 {
		return bad("invalid character %s in release %q (allowed: letters, digits and %s)", charAt(r.release, i), r.release, spaced(rpmVerRelChars))
	}
	return r, nil
}

// spaced writes the characters of s apart: "._+" -> ". _ +".
func spaced(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}

// rpmvercmp is rpm's rpmvercmp (rpmio/rpmvercmp.c, rpm >= 4.15), transcribed
// step by step so that its odd corners stay the same. Both strings are cut
// into segments of ASCII digits or ASCII letters; every other byte separates
// segments and is otherwise ignored, except:
//   - '~' sorts before anything, even the end of the string ("1.0~rc1" < "1.0");
//   - '^' sorts after the end of the string but before anything else
//     ("1.0" < "1.0^git1" < "1.0.1").
//
// A digit segment is newer than a letter segment, digit segments compare as
// numbers of any length, letter segments as bytes ("Z" < "a"). When one
// string runs out of segments, the one with segments left is newer.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		aEnd, bEnd := i == len(a), j == len(b)

		if !aEnd && a[i] == '~' || !bEnd && b[j] == '~' {
			if aEnd || a[i] != '~' {
				return 1
			}
			if bEnd || b[j] != '~' {
				return -1
			}
			i++
			j++
			continue
		}

		if !aEnd && a[i] == '^' || !bEnd && b[j] == '^' {
			if aEnd {
				return -1
			}
			if bEnd {
				return 1
			}
			if a[i] != '^' {
				return 1
			}
			if b[j] != '^' {
				return -1
			}
			i++
			j++
			continue
		}

		if aEnd || bEnd {
			break
		}

		// a[i] is a letter or digit here; its kind decides what b's
		// segment may hold.
		var ie, je int
		isNum := isDigit(a[i])
		if isNum {
			ie, je = digitsEnd(a, i), digitsEnd(b, j)
		} else {
			ie, je = alphaEnd(a, i), alphaEnd(b, j)
		}
		if je == j {
			// Segments of different kinds: the number is newer.
			if isNum {
				return 1
			}
			return -1
		}
		var c int
		if isNum {
			c = cmpDigits(a[i:ie], b[j:je])
		} else {
			c = strings.Compare(a[i:ie], b[j:je])
		}
		if c != 0 {
			return c
		}
		i, j = ie, je
	}
	switch {
	case i == len(a) && j == len(b):
		return 0
	case i < len(a):
		return 1
	}
	return -1
}

// alphaEnd returns the index of the first byte at or after i that is not an
// ASCII letter.
func alphaEnd(s string, i int) int {
	for i < len(s) && isAlpha(s[i]) {
		i++
	}
	return i
}
