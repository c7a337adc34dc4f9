package version

import "testing"

// rpmvercmpCorpus is rpm's own test corpus for rpmvercmp: every
// RPMVERCMP(a, b, result) line of tests/rpmvercmp.at in rpm's source (the
// version with the caret cases, rpm >= 4.15), in its order, followed by the
// cases that file keeps commented out as "arguably buggy behaviors" (RhBug
// 811992, and non-ASCII letters counting as separators). rpm 4.18.0
// (Debian 12's rpm package) gives every result here: TestOracleRPM and
// TestOracleRPMVercmp ask it.
var rpmvercmpCorpus = []struct {
	a, b string
	want int
}{
	{"1.0", "1.0", 0},
	{"1.0", "2.0", -1},
	{"2.0", "1.0", 1},

	{"2.0.1", "2.0.1", 0},
	{"2.0", "2.0.1", -1},
	{"2.0.1", "2.0", 1},

	{"2.0.1a", "2.0.1a", 0},
	{"2.0.1a", "2.0.1", 1},
	{"2.0.1", "2.0.1a", -1},

	{"5.5p1", "5.5p1", 0},
	{"5.5p1", "5.5p2", -1},
	{"5.5p2", "5.5p1", 1},

	{"5.5p10", "5.5p10", 0},
	{"5.5p1", "5.5p10", -1},
	{"5.5p10", "5.5p1", 1},

	{"10xyz", "10.1xyz", -1},
	{"10.1xyz", "10xyz", 1},

	{"xyz10", "xyz10", 0},
	{"xyz10", "xyz10.1", -1},
	{"xyz10.1", "xyz10", 1},

	{"xyz.4", "xyz.4", 0},
	{"xyz.4", "8", -1},
	{"8", "xyz.4", 1},
	{"xyz.4", "2", -1},
	{"2", "xyz.4", 1},

	{"5.5p2", "5.6p1", -1},
	{"5.6p1", "5.5p2", 1},

	{"5.6p1", "6.5p1", -1},
	{"6.5p1", "5.6p1", 1},

	{"6.0.rc1", "6.0", 1},
	{"6.0", "6.0.rc1", -1},

	{"10b2", "10a1", 1},
	{"10a2", "10b2", -1},

	{"1.0aa", "1.0aa", 0},
	{"1.0a", "1.0aa", -1},
	{"1.0aa", "1.0a", 1},

	{"10.0001", "10.0001", 0},
	{"10.0001", "10.1", 0},
	{"10.1", "10.0001", 0},
	{"10.0001", "10.0039", -1},
	{"10.0039", "10.0001", 1},

	{"4.999.9", "5.0", -1},
	{"5.0", "4.999.9", 1},

	{"20101121", "20101121", 0},
	{"20101121", "20101122", -1},
	{"20101122", "20101121", 1},

	{"2_0", "2_0", 0},
	{"2.0", "2_0", 0},
	{"2_0", "2.0", 0},

	// RhBug:178798
	{"a", "a", 0},
	{"a+", "a+", 0},
	{"a+", "a_", 0},
	{"a_", "a+", 0},
	{"+a", "+a", 0},
	{"+a", "_a", 0},
	{"_a", "+a", 0},
	{"+_", "+_", 0},
	{"_+", "+_", 0},
	{"_+", "_+", 0},
	{"+", "_", 0},
	{"_", "+", 0},

	// Tilde sorting.
	{"1.0~rc1", "1.0~rc1", 0},
	{"1.0~rc1", "1.0", -1},
	{"1.0", "1.0~rc1", 1},
	{"1.0~rc1", "1.0~rc2", -1},
	{"1.0~rc2", "1.0~rc1", 1},
	{"1.0~rc1~git123", "1.0~rc1~git123", 0},
	{"1.0~rc1~git123", "1.0~rc1", -1},
	{"1.0~rc1", "1.0~rc1~git123", 1},

	// Caret sorting.
	{"1.0^", "1.0^", 0},
	{"1.0^", "1.0", 1},
	{"1.0", "1.0^", -1},
	{"1.0^git1", "1.0^git1", 0},
	{"1.0^git1", "1.0", 1},
	{"1.0", "1.0^git1", -1},
	{"1.0^git1", "1.0^git2", -1},
	{"1.0^git2", "1.0^git1", 1},
	{"1.0^git1", "1.01", -1},
	{"1.01", "1.0^git1", 1},
	{"1.0^20160101", "1.0^20160101", 0},
	{"1.0^20160101", "1.0.1", -1},
	{"1.0.1", "1.0^20160101", 1},
	{"1.0^20160101^git1", "1.0^20160101^git1", 0},
	{"1.0^20160102", "1.0^20160101^git1", 1},
	{"1.0^20160101^git1", "1.0^20160102", -1},

	// Tilde and caret together.
	{"1.0~rc1^git1", "1.0~rc1^git1", 0},
	{"1.0~rc1^git1", "1.0~rc1", 1},
	{"1.0~rc1", "1.0~rc1^git1", -1},
	{"1.0^git1~pre", "1.0^git1~pre", 0},
	{"1.0^git1", "1.0^git1~pre", 1},
	{"1.0^git1~pre", "1.0^git1", -1},

	// The "oddities" the file keeps commented out. RhBug:811992: a letter
	// segment against a separator. These are rpm's actual answers.
	{"1b.fc17", "1b.fc17", 0},
	{"1b.fc17", "1.fc17", -1},
	{"1.fc17", "1b.fc17", 1},
	{"1g.fc17", "1g.fc17", 0},
	{"1g.fc17", "1.fc17", 1},
	{"1.fc17", "1g.fc17", -1},
}

// rpmvercmpNonASCII are the corpus's commented-out non-ASCII cases: bytes
// outside ASCII separate segments like '.', so all of these are equal. They
// are not valid RPM versions (rpmbuild refuses them), so they test rpmvercmp
// alone.
var rpmvercmpNonASCII = []struct{ a, b string }{
	{"1.1.α", "1.1.α"},
	{"1.1.α", "1.1.β"},
	{"1.1.β", "1.1.α"},
	{"1.1.αα", "1.1.α"},
	{"1.1.α", "1.1.ββ"},
	{"1.1.ββ", "1.1.αα"},
}

func TestRPMVercmpCorpus(t *testing.T) {
	for _, c := range rpmvercmpCorpus {
		if got := rpmvercmp(c.a, c.b); got != c.want {
			t.Errorf("rpmvercmp(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		// Every corpus string is also a whole valid RPM version (no epoch,
		// no release), and then CompareRPM must agree.
		if got, err := CompareRPM(c.a, c.b); err != nil || got != c.want {
			t.Errorf("CompareRPM(%q, %q) = %d, %v, want %d", c.a, c.b, got, err, c.want)
		}
	}
	for _, c := range rpmvercmpNonASCII {
		if got := rpmvercmp(c.a, c.b); got != 0 {
			t.Errorf("rpmvercmp(%q, %q) = %d, want 0", c.a, c.b, got)
		}
	}
}
