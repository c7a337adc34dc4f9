// Package version orders package versions the way the package managers do.
//
// The planner decides that an asset needs a package patch when the version
// of the package installed on it is lower than the patch's fixed version.
// "Lower" is not a string or semver order: it is the order of the package
// manager that installed the package, and the asset's os.name says which one
// that is (SchemeFor):
//
//   - Dpkg: Debian and the distributions built on it ("debian", "ubuntu",
//     "linuxmint", "raspbian", "kali", ...). Versions are
//     [epoch:]upstream[-revision] and compare as dpkg's verrevcmp does.
//   - RPM: Red Hat, SUSE and their relatives ("rhel", "rocky", "almalinux",
//     "centos", "fedora", "ol"/"oraclelinux", "amzn", "sles", "opensuse*",
//     ...). Versions are [epoch:]version[-release] and compare as rpm's
//     rpmverCmp does (rpm >= 4.15, with the ~ and ^ rules of rpmvercmp).
//
// Compare(scheme, installed, fixed) < 0 is the question the planner asks.
// A version that is not valid in its scheme is an error (*SyntaxError),
// never a guess: a wrong answer would either skip a needed patch or patch an
// asset that is already fixed.
//
// The package is a leaf under plan/: pure functions of strings, standard
// library only, so the planner stays a pure function too. Its tests hold it
// to the real dpkg and rpm (see oracle_test.go for the packages they need).
//
// # Debian versions
//
// Parsing follows dpkg's parseversion (lib/dpkg/parsehelp.c):
//
//   - Leading and trailing blanks (space, tab) are ignored; blanks inside
//     are an error.
//   - The epoch is everything before the first colon. It must be decimal
//     digits and at most 2147483647 (dpkg's INT_MAX). dpkg's strtol also
//     takes a sign ("+1:2"); this package does not.
//   - The revision is everything after the last hyphen and must not be
//     empty. Without a hyphen the revision is empty, which compares equal
//     to "0" ("1.0" == "1.0-0"), as in dpkg.
//   - The upstream version must not be empty. It may hold letters, digits
//     and ". + ~ - :" (a hyphen only when there is a revision, a colon only
//     when there is an epoch); the revision letters, digits and ". + ~".
//     Any other character is an error here, where dpkg only warns.
//   - An upstream version that does not start with a digit is accepted:
//     Debian policy says it should start with one, but dpkg only warns and
//     then compares such versions, and installed packages with them exist.
//     Refusing them would leave the planner unable to answer at all.
//
// # RPM versions
//
// Parsing follows rpm's parseEVR (rpmio/rpmver.c): an epoch is leading
// digits followed by a colon, the release is everything after the last
// hyphen. Epochs compare numerically (a missing epoch is 0), then versions
// and then releases with rpmvercmp. A missing release sorts before every
// present one ("1.0" < "1.0-0"), as rpmverCmp does; note that this is not
// rpm's dependency matching, where "Requires: foo >= 1.0" accepts any
// release of 1.0.
//
// Version and release may hold ASCII letters and digits and the characters
// rpmbuild allows in them (". _ + % { } ~ ^"); anything else is an error,
// as are an empty version, an empty release after a hyphen, and an empty
// or non-numeric epoch before a colon (rpm reads ":1" as epoch 0 and
// "a:1" as a version containing a colon).
//
// The comparisons neither allocate nor overflow: digit runs of any length
// compare by length after leading zeros, then digit by digit.
package version
