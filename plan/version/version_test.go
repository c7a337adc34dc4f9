package version

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// dpkgCases are hand-written Debian cases; TestOracleDpkg also runs each of
// them, both ways round, through the real dpkg.
var dpkgCases = []struct {
	a, b string
	want int
}{
	{"1.0", "1.0", 0},
	{"1.0", "1.1", -1},
	{"1.2", "1.10", -1},
	{"10", "9", 1},
	{"1.0", "1.0.0", -1},
	{"1.0", "1.00", 0},
	{"1.01", "1.1", 0},
	{"1.0", "1.0.", -1},

	// Tilde sorts before everything, even the end of the part.
	{"1.0~rc1", "1.0", -1},
	{"1.0~rc1", "1.0~rc2", -1},
	{"1.0~", "1.0", -1},
	{"1.0~~", "1.0~", -1},
	{"1.0~~a", "1.0~~", 1},
	{"1.0~~a", "1.0~", -1},
	{"1.0~rc1", "1.0~beta", 1},
	{"1.0~", "1.0a", -1},
	{"1~", "1", -1},
	{"1.0~rc1+dfsg", "1.0~rc1", 1},
	{"3.0.15-1~deb12u1", "3.0.15-1", -1},
	{"3.0.11-1~deb12u2", "3.0.15-1~deb12u1", -1},
	{"1.0-1~bpo12+1", "1.0-1", -1},
	{"2.30-21ubuntu1~18.04.4", "2.30-21ubuntu1~18.04.5", -1},

	// Letters sort before non-letters, and the end of a part before both.
	{"1.0a", "1.0", 1},
	{"1.0a", "1.0.", -1},
	{"1.0a", "1.0+", -1},
	{"1.0+", "1.0.", -1},
	{"1:1.0.", "1:1.0:", -1},
	{"1.0A", "1.0a", -1},
	{"1.0Z", "1.0a", -1},
	{"1.0", "1.0+b1", -1},
	{"1.0+dfsg", "1.0+ds", -1},
	{"1.0+dfsg-1", "1.0-1", 1},
	{"1.0-1.1", "1.0-1+b1", 1},
	{"0.9~beta", "0.9~alpha", 1},
	{"7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1},

	// Upstream versions that do not start with a digit (dpkg warns).
	{"a", "b", -1},
	{"a1", "1", 1},
	{"abc", "abc", 0},

	// Epochs.
	{"1:1.0", "2.0", 1},
	{"0:1.0", "1.0", 0},
	{"00:1.0", "0:1.0", 0},
	{"1:0.1", "0:9.9", 1},
	{"2147483647:1", "2147483646:9", 1},
	{"10:1", "9:1", 1},

	// Revisions: after the last hyphen; absent equals "0".
	{"1.0-1", "1.0-2", -1},
	{"1.0-1", "1.0", 1},
	{"1.0-0", "1.0", 0},
	{"1.0-00", "1.0-0", 0},
	{"1.0-10", "1.0-9", 1},
	{"1.2.3-4-5", "1.2.3-4-4", 1},
	{"1.2.3-4-5", "1.2.3-5", 1},
	{"1.0-a", "1.0", 1},
	{"1.0-~", "1.0", -1},

	// Colons in the upstream version, allowed after an epoch.
	{"1:2:3", "1:2.3", 1},
	{"1:2:3-1", "1:2:3", 1},

	// Digit runs longer than any integer type.
	{"1.123456789012345678901234567890", "1.123456789012345678901234567891", -1},
	{"1.00000000000000000000000000001", "1.1", 0},
	{"99999999999999999999999999999999999", "100000000000000000000000000000000000", -1},
	{"1.18446744073709551616", "1.18446744073709551615", 1},

	// Blanks around a version are ignored, as by dpkg.
	{" 1.0", "1.0", 0},
	{"1.0\t", "1.0 ", 0},
}

func TestCompareDpkg(t *testing.T) {
	t.Parallel()
	for _, c := range dpkgCases {
		got, err := CompareDpkg(c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("CompareDpkg(%q, %q) = %d, %v, want %d", c.a, c.b, got, err, c.want)
		}
		got, err = CompareDpkg(c.b, c.a)
		if err != nil || got != -c.want {
			t.Errorf("CompareDpkg(%q, %q) = %d, %v, want %d", c.b, c.a, got, err, -c.want)
		}
	}
}

// rpmCases are hand-written RPM cases beyond rpm's corpus; TestOracleRPM
// also runs each of them, both ways round, through the real rpm.
var rpmCases = []struct {
	a, b string
	want int
}{
	// Releases.
	{"1.0-1", "1.0-2", -1},
	{"1.0-1", "1.0-1", 0},
	{"1.0-10", "1.0-9", 1},
	{"1.0-1", "1.0-1.0", -1},
	{"1.0-1.el9", "1.0-1.el9_1", -1},
	{"3.0.7-27.el9", "3.0.7-25.el9_3", 1},
	{"2.17-326.el7_9.3", "2.17-326.el7_9", 1},
	{"1.1.1k-12.el8_9", "1.1.1k-9.el8_7", 1},
	{"8.0.1-1.fc39", "8.0.1-1.fc40", -1},
	// A missing release sorts before any release (rpmverCmp).
	{"1.0", "1.0-1", -1},
	{"1.0", "1.0-0", -1},
	{"1.0", "1.0-~", -1},

	// Epochs: numeric, missing is 0, no overflow.
	{"1:1.0", "2.0", 1},
	{"0:1.0-1", "1.0-1", 0},
	{"00:1.0", "0:1.0", 0},
	{"2:1.0", "10:0.1", -1},
	{"4294967296:1", "4294967295:1", 1},
	{"99999999999999999999:1", "99999999999999999998:2", 1},

	// Tilde and caret within a whole EVR.
	{"1.0~rc1-1", "1.0-1", -1},
	{"1.0^git1-1", "1.0-1", 1},
	{"1.0^git1-1", "1.0.1-1", -1},
	{"1.0-1~", "1.0-1", -1},
	{"1.0-1^", "1.0-1", 1},
	{"1.0^", "1.0~", 1},
	{"1.0~~", "1.0~", -1},
	{"1.0~rc1", "1.0~RC1", 1},

	// Letters and digits.
	{"1.0a", "1.0", 1},
	{"1.0a", "1.0.1", -1},
	{"1.a", "1.1", -1},
	{"1a", "1.1", -1},
	{"A", "a", -1},
	{"1.0b", "1.0a", 1},

	// Separators only separate: their kind and number do not matter.
	{"1.0", "1..0", 0},
	{"1.0_1", "1.0.1", 0},
	{"1.0", "1.0.", 0},
	{"1.0", "1.0+", 0},
	{"1.0+1", "1.0.1", 0},

	// Leading zeros and long digit runs.
	{"00001.0", "1.0", 0},
	{"1.0010", "1.10", 0},
	{"1.123456789012345678901234567890-1", "1.123456789012345678901234567891-1", -1},
	{"1.18446744073709551616", "1.18446744073709551615", 1},
	{"1.99999999999999999999999999999999999", "1.100000000000000000000000000000000000", -1},

	// Characters rpmbuild allows in version and release.
	{"1.0%{x}", "1.0", 1},
	{"1.0{1}", "1.0.1", 0},
}

func TestCompareRPM(t *testing.T) {
	t.Parallel()
	for _, c := range rpmCases {
		got, err := CompareRPM(c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("CompareRPM(%q, %q) = %d, %v, want %d", c.a, c.b, got, err, c.want)
		}
		got, err = CompareRPM(c.b, c.a)
		if err != nil || got != -c.want {
			t.Errorf("CompareRPM(%q, %q) = %d, %v, want %d", c.b, c.a, got, err, -c.want)
		}
	}
}

// rpmvercmpRaw are rpmvercmp cases outside the EVR syntax (odd separators,
// bytes that are not ASCII); TestOracleRPMVercmp runs them through rpm too.
var rpmvercmpRaw = []struct {
	a, b string
	want int
}{
	{"1.0", "1/0", 0},
	{"1,0", "1=0", 0},
	{"1.0é", "1.0", 0},
	{"1.0éa", "1.0a", 0},
	{"1.0\x80", "1.0", 0},
	{"1.0 a", "1.0a", 0},
	{"1.1.α", "1.1.β", 0},
	{"1.1.αα", "1.1.α", 0},
	{"1~", "1", -1},
	{"1^", "1", 1},
	{"1~", "1^", -1},
	{"~", ".", -1},
	{"^", ".", 1},
	{"a", "1", -1},
	{"/~", "~", 0},
}

func TestRPMVercmpRaw(t *testing.T) {
	t.Parallel()
	for _, c := range rpmvercmpRaw {
		if got := rpmvercmp(c.a, c.b); got != c.want {
			t.Errorf("rpmvercmp(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := rpmvercmp(c.b, c.a); got != -c.want {
			t.Errorf("rpmvercmp(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

// dpkgInvalid are versions CompareDpkg refuses. dpkgRejects says whether
// dpkg refuses them too (TestOracleDpkgRejects checks it) or only warns.
var dpkgInvalid = []struct {
	v           string
	reason      string
	dpkgRejects bool
}{
	{"", "version string is empty", true},
	{" \t ", "version string is empty", true},
	{"1.0 1", "embedded spaces", true},
	{":1.0", "epoch before the colon is empty", true},
	{"a:1.0", `epoch "a" is not a number`, true},
	{"-1:1.0", `epoch "-1" is not a number`, true},
	{"1.0-1:1", `epoch "1.0-1" is not a number`, true},
	{"+1:1.0", `epoch "+1" is not a number`, false}, // dpkg's strtol takes the sign
	{"2147483648:1", "epoch 2147483648 is too big", true},
	{"99999999999999999999:1", "too big", true},
	{"1:", "nothing after the epoch colon", true},
	{"1.0-", "revision after the last hyphen is empty", true},
	{"1:1.0-", "revision after the last hyphen is empty", true},
	{"-1", "upstream version is empty", true},
	{"1:-1", "upstream version is empty", true},
	{"1.0_1", `invalid character '_' in upstream version "1.0_1"`, false},
	{"1.0^1", `invalid character '^' in upstream version`, false},
	{"1.0-1_1", `invalid character '_' in revision "1_1"`, false},
	{"1:1.0-1:1", `invalid character ':' in revision "1:1"`, false},
	{"1.0é", `invalid character 'é' in upstream version`, false},
	{"1.0\xff", `invalid character byte 0xff in upstream version`, false},
	{"1.0\n", `invalid character '\n' in upstream version`, false},
}

func TestCompareDpkgInvalid(t *testing.T) {
	t.Parallel()
	for _, c := range dpkgInvalid {
		for _, args := range [][2]string{{c.v, "1.0"}, {"1.0", c.v}} {
			_, err := CompareDpkg(args[0], args[1])
			checkSyntaxError(t, err, Dpkg, c.v, c.reason)
		}
	}
}

var rpmInvalid = []struct{ v, reason string }{
	{"", "version string is empty"},
	{":1.0", "epoch before the colon is empty"},
	{"a:1", `epoch "a" is not a number`},
	{"-1:1", `epoch "-1" is not a number`},
	{"1:", "nothing after the epoch colon"},
	{"1.0-", "release after the last hyphen is empty"},
	{"-1", "version before the release is empty"},
	{"1:-1", "version before the release is empty"},
	{"1.0-1-1", `invalid character '-' in version "1.0-1"`},
	{"1:2:3", `invalid character ':' in version "2:3"`},
	{"1.0 1", `invalid character ' ' in version`},
	{" 1.0", `invalid character ' ' in version`},
	{"1.0/1", `invalid character '/' in version`},
	{"1.0-1/2", `invalid character '/' in release "1/2"`},
	{"1.0-el9,1", `invalid character ',' in release`},
	{"1.0é", `invalid character 'é' in version`},
	{"1.0\x00", `invalid character '\x00' in version`},
}

func TestCompareRPMInvalid(t *testing.T) {
	t.Parallel()
	for _, c := range rpmInvalid {
		for _, args := range [][2]string{{c.v, "1.0"}, {"1.0", c.v}} {
			_, err := CompareRPM(args[0], args[1])
			checkSyntaxError(t, err, RPM, c.v, c.reason)
		}
	}
}

func checkSyntaxError(t *testing.T, err error, s Scheme, v, reason string) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("%s version %q: got error %v, want a *SyntaxError", s, v, err)
		return
	}
	if se.Scheme != s || se.Version != v || !strings.Contains(se.Reason, reason) {
		t.Errorf("%s version %q: got %+v, want reason containing %q", s, v, *se, reason)
	}
	if want := `invalid ` + string(s) + ` version "`; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestSchemeFor(t *testing.T) {
	t.Parallel()
	cases := []struct {
		os   string
		want Scheme
		ok   bool
	}{
		{"debian", Dpkg, true},
		{"ubuntu", Dpkg, true},
		{"linuxmint", Dpkg, true},
		{"raspbian", Dpkg, true},
		{"rhel", RPM, true},
		{"rocky", RPM, true},
		{"almalinux", RPM, true},
		{"centos", RPM, true},
		{"fedora", RPM, true},
		{"ol", RPM, true},
		{"oraclelinux", RPM, true},
		{"amzn", RPM, true},
		{"sles", RPM, true},
		{"opensuse", RPM, true},
		{"opensuse-leap", RPM, true},
		{"opensuse-tumbleweed", RPM, true},
		{"windows-server", "", false},
		{"macos", "", false},
		{"alpine", "", false}, // apk's order is neither
		{"arch", "", false},
		{"", "", false},
		{"Debian", "", false}, // os.name is lower case by the schema
	}
	for _, c := range cases {
		got, ok := SchemeFor(c.os)
		if got != c.want || ok != c.ok {
			t.Errorf("SchemeFor(%q) = %q, %v, want %q, %v", c.os, got, ok, c.want, c.ok)
		}
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	// The same pair orders differently in the two schemes: dpkg compares
	// "1.0" < "1.0.", rpm finds them equal; dpkg puts a letter after a
	// digit, rpm before.
	cases := []struct {
		s    Scheme
		a, b string
		want int
	}{
		{Dpkg, "1.0", "1.0.", -1},
		{RPM, "1.0", "1.0.", 0},
		{Dpkg, "1.a", "1.1", 1},
		{RPM, "1.a", "1.1", -1},
		{Dpkg, "1.0", "1.0-0", 0},
		{RPM, "1.0", "1.0-0", -1},
	}
	for _, c := range cases {
		if got, err := Compare(c.s, c.a, c.b); err != nil || got != c.want {
			t.Errorf("Compare(%s, %q, %q) = %d, %v, want %d", c.s, c.a, c.b, got, err, c.want)
		}
	}
	if _, err := Compare(Dpkg, "1.0", "1.0_1"); err == nil {
		t.Errorf("Compare(dpkg, %q, %q): no error for an invalid version", "1.0", "1.0_1")
	}
	_, err := Compare("apk", "1.0", "1.0")
	if err == nil || !strings.Contains(err.Error(), `unknown version scheme "apk"`) {
		t.Errorf("Compare with an unknown scheme: got %v", err)
	}
}

// TestTotalOrder checks that each order is a total order on generated
// versions: sorted, every earlier version compares <= every later one, so
// the planner may sort versions or take a maximum with them.
func TestTotalOrder(t *testing.T) {
	t.Parallel()
	for k, s := range []Scheme{Dpkg, RPM} {
		g := newVersionGen(s, uint64(10+k))
		vs := make([]string, 400)
		for i := range vs {
			a, b := g.pair()
			vs[i] = a
			if i%2 == 1 {
				vs[i] = b
			}
		}
		cmp := func(a, b string) int {
			c, err := Compare(s, a, b)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		slices.SortFunc(vs, cmp)
		for i := range vs {
			for j := i + 1; j < len(vs); j++ {
				if cmp(vs[i], vs[j]) > 0 {
					t.Fatalf("%s: sorted %q before %q, but it compares greater", s, vs[i], vs[j])
				}
			}
		}
	}
}

func BenchmarkCompareDpkg(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if c, _ := CompareDpkg("1:2.30-21ubuntu1~18.04.4", "1:2.30-21ubuntu1~18.04.5"); c != -1 {
			b.Fatal(c)
		}
	}
}

func BenchmarkCompareRPM(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if c, _ := CompareRPM("1:3.0.7-27.el9", "1:3.0.7-25.el9_3"); c != 1 {
			b.Fatal(c)
		}
	}
}
