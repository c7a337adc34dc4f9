package version

// The oracle tests hold this package to the package managers themselves:
//
//   - the dpkg binary, `dpkg --compare-versions` (Debian's dpkg package);
//   - dpkg's own comparison code, libdpkg, in one process (Debian's
//     libdpkg-dev, pkgconf and a C compiler): the same parseversion and
//     dpkg_version_compare that the binary runs, without its exec per pair;
//   - rpm's rpm.vercmp, in one rpm process through rpm's Lua (Debian's rpm).
//
// Each is skipped, saying why and what to install, when its tools are
// missing. Generated pairs per oracle: 500 with -short, else 10,000, or N
// with `go test ./plan/version/ -args -oracle-pairs=N`. Exec costs several milliseconds a process on a small
// machine, so when libdpkg is there the dpkg binary checks a sample (500,
// or 1,000 in a full run) and libdpkg the full count; without libdpkg the
// binary checks the full count, slowly.

import (
	"flag"
	"strconv"
	"strings"
	"testing"
)

var oraclePairs = flag.Int("oracle-pairs", 0, "generated version pairs each oracle checks (default 500 with -short, else 10000)")

func pairCount() int {
	switch {
	case *oraclePairs > 0:
		return *oraclePairs
	case testing.Short():
		return 500
	}
	return 10000
}

type oraclePair struct {
	a, b string
	want int // this package's answer
}

var relation = map[int]string{-1: "lt", 0: "eq", 1: "gt"}

// checkAnswers compares this package's answers with an oracle's, given one
// line per pair: "-1", "0", "1", or anything else for an error.
func checkAnswers(t *testing.T, oracle, what string, pairs []oraclePair, answers []string) {
	t.Helper()
	if len(answers) != len(pairs) {
		t.Fatalf("%s answered %d of %d pairs", oracle, len(answers), len(pairs))
	}
	bad := 0
	for i, p := range pairs {
		if answers[i] == strconv.Itoa(p.want) {
			continue
		}
		if bad++; bad <= 20 {
			t.Errorf("%s(%q, %q) = %d, %s says %s", what, p.a, p.b, p.want, oracle, answers[i])
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pairs disagree with %s", bad, len(pairs), oracle)
	}
}

func lines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(s)
}
