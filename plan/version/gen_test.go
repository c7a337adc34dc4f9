package version

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// versionGen makes valid but awkward versions, and pairs of them that are
// equal or nearly so, for the oracle and property tests. It is seeded, so a
// failure names a pair that the next run makes again.
type versionGen struct {
	r      *rand.Rand
	scheme Scheme
}

func newVersionGen(s Scheme, seed uint64) *versionGen {
	return &versionGen{r: rand.New(rand.NewPCG(seed, 0x7061746368776176)), scheme: s}
}

// words are the letter runs real versions use, so that shared prefixes and
// near misses ("rc" and "rc1", "deb12u1" and "deb12u10") are common.
var words = []string{
	"a", "b", "z", "A", "Z", "rc", "RC", "alpha", "beta", "pre", "git", "dfsg", "ds",
	"deb", "ubuntu", "build", "bpo", "el", "fc", "p", "post", "dev", "aa", "ab", "ba",
}

func (g *versionGen) pick(s string) byte { return s[g.r.IntN(len(s))] }

// digits is a digit run: mostly short, sometimes with leading zeros,
// sometimes far longer than any machine integer.
func (g *versionGen) digits() string {
	switch g.r.IntN(12) {
	case 0: // longer than uint64
		n := 19 + g.r.IntN(22)
		var b strings.Builder
		b.WriteByte('1' + byte(g.r.IntN(9)))
		for range n - 1 {
			b.WriteByte('0' + byte(g.r.IntN(10)))
		}
		return b.String()
	case 1:
		return strings.Repeat("0", 1+g.r.IntN(3)) + strconv.Itoa(g.r.IntN(20))
	case 2:
		return strconv.Itoa(20000101 + g.r.IntN(99999))
	}
	return strconv.Itoa(g.r.IntN(13))
}

func (g *versionGen) letters() string {
	if g.r.IntN(3) == 0 {
		var b strings.Builder
		for range 1 + g.r.IntN(3) {
			b.WriteByte(g.pick("abcxyzABCXYZ"))
		}
		return b.String()
	}
	return words[g.r.IntN(len(words))]
}

// part is an upstream version, version, revision or release built from
// digit runs, letter runs and the separators seps.
func (g *versionGen) part(seps string, startDigit bool) string {
	var b strings.Builder
	if startDigit {
		b.WriteString(g.digits())
	}
	for range g.r.IntN(6) {
		switch g.r.IntN(5) {
		case 0, 1:
			b.WriteString(g.digits())
		case 2:
			b.WriteString(g.letters())
		default:
			b.WriteByte(g.pick(seps))
		}
	}
	if b.Len() == 0 {
		b.WriteString(g.digits())
	}
	return b.String()
}

func (g *versionGen) epoch() string {
	switch g.r.IntN(10) {
	case 0:
		return "00"
	case 1:
		if g.scheme == Dpkg {
			return strconv.Itoa(2147483600 + g.r.IntN(48))
		}
		return "4294967296" // past uint32, which rpm stores
	}
	return strconv.Itoa(g.r.IntN(4))
}

// realistic are the shapes of versions the distributions ship, filled
// with small numbers; the mutations in pair then make their near misses.
var realistic = map[Scheme][]string{
	Dpkg: {
		"N.N.N-N", "N.N.N-Nubuntu0.N", "N.N.N-Nubuntu0.N~N.N.N", "N.N.N-N+debNNuN",
		"N:N.N.N-N~debNNuN", "N.N+dfsg-N", "N.N.N+ds-N+bN", "N.N~rcN-N", "N:N.N-Nbuild1",
		"N.N.N-N~bpoNN+N", "N.Nsvn-N",
	},
	RPM: {
		"N.N.N-N.elN", "N.N.N-N.elN_N", "N:N.N.N-N.elN_N.N", "N.N-N.fcNN", "N.N.N-N.fcNN~rcN",
		"N.N.N~rcN-N.fcNN", "N.N.N^NNNNNNNN.gitN-N", "N.N.N-NNN.N.N", "N.N.Nk-N.elN",
		"N.N.N-N.amznN", "N.N.N-NNN.N.N.x86_64",
	},
}

func (g *versionGen) fill(template string) string {
	var b strings.Builder
	for i := 0; i < len(template); i++ {
		if template[i] == 'N' {
			b.WriteString(strconv.Itoa(g.r.IntN(13)))
		} else {
			b.WriteByte(template[i])
		}
	}
	return b.String()
}

// version returns a version that parses in g's scheme.
func (g *versionGen) version() string {
	for {
		if g.r.IntN(4) == 0 {
			ts := realistic[g.scheme]
			if v := g.fill(ts[g.r.IntN(len(ts))]); g.valid(v) {
				return v
			}
			continue
		}
		var b strings.Builder
		hasEpoch := g.r.IntN(4) == 0
		if hasEpoch {
			b.WriteString(g.epoch())
			b.WriteByte(':')
		}
		hasRev := g.r.IntN(3) > 0
		switch g.scheme {
		case Dpkg:
			seps := ".+~"
			if hasRev {
				seps += "-"
			}
			if hasEpoch {
				seps += ":"
			}
			// dpkg only warns when the upstream version does not start
			// with a digit; now and then make one to check it compares.
			b.WriteString(g.part(seps+"..", g.r.IntN(12) > 0))
			if hasRev {
				b.WriteByte('-')
				b.WriteString(g.part(".+~.", g.r.IntN(4) > 0))
			}
		case RPM:
			seps := "._+~^.._"
			if g.r.IntN(40) == 0 {
				seps += "%{}"
			}
			b.WriteString(g.part(seps, g.r.IntN(12) > 0))
			if hasRev {
				b.WriteByte('-')
				b.WriteString(g.part(seps, g.r.IntN(6) > 0))
			}
		}
		if v := b.String(); g.valid(v) {
			return v
		}
	}
}

func (g *versionGen) valid(v string) bool {
	_, err := Compare(g.scheme, v, v)
	return err == nil
}

// pair returns two valid versions: unrelated, equal, equal in the scheme's
// order but spelled differently, or one edit apart.
func (g *versionGen) pair() (string, string) {
	a := g.version()
	switch g.r.IntN(10) {
	case 0:
		return a, g.version()
	case 1:
		return a, a
	case 2:
		if b := g.respell(a); g.valid(b) {
			return a, b
		}
	}
	for range 20 {
		b := a
		for range 1 + g.r.IntN(2) {
			b = g.mutate(b)
		}
		if g.valid(b) {
			if g.r.IntN(2) == 0 {
				return b, a
			}
			return a, b
		}
	}
	return a, g.version()
}

// respell writes v differently but equal in its order: a zero epoch,
// leading zeros, and for dpkg an explicit "-0" revision.
func (g *versionGen) respell(v string) string {
	if !strings.Contains(v, ":") && g.r.IntN(2) == 0 {
		v = "0:" + v
	}
	if i := strings.IndexAny(v, "0123456789"); i >= 0 {
		v = v[:i] + "0" + v[i:]
	}
	if g.scheme == Dpkg && !strings.Contains(v, "-") && g.r.IntN(2) == 0 {
		v += "-0"
	}
	return v
}

// mutate makes one small edit where the orders are most easily wrong:
// a tilde, caret or separator added or removed, a digit changed or
// lengthened, a suffix appended, a letter's case flipped.
func (g *versionGen) mutate(v string) string {
	i := g.r.IntN(len(v) + 1)
	ins := func(s string) string { return v[:i] + s + v[i:] }
	special := ".+~~"
	if g.scheme == RPM {
		special = ".+_~~^^"
	}
	switch g.r.IntN(11) {
	case 0:
		return ins(string(g.pick(special)))
	case 1:
		if i < len(v) {
			return v[:i] + v[i+1:]
		}
	case 2:
		return ins(string(g.pick("0123456789")))
	case 3:
		return ins(string(g.pick("abzAZ")))
	case 4:
		suffixes := []string{"~", "~rc1", "~~", ".0", ".1", "+b1", "a", "0", "+dfsg", "~bpo1", "build1"}
		if g.scheme == RPM {
			suffixes = []string{"~", "~rc1", "^", "^git1", ".0", ".1", "a", "0", "_1", "+1", "^20240101"}
		}
		return v + suffixes[g.r.IntN(len(suffixes))]
	case 5:
		if i < len(v) && isDigit(v[i]) {
			return v[:i] + string('0'+(v[i]-'0'+1)%10) + v[i+1:]
		}
	case 6:
		if i < len(v) && isAlpha(v[i]) {
			return v[:i] + string(v[i]^0x20) + v[i+1:]
		}
	case 7:
		if i < len(v) && !isAlnum(v[i]) {
			return v[:i] + string(g.pick(special+".")) + v[i+1:]
		}
	case 8:
		if j := strings.IndexByte(v, ':'); j >= 0 {
			return v[j+1:]
		}
		return g.epoch() + ":" + v
	case 9:
		if j := strings.LastIndexByte(v, '-'); j >= 0 {
			if g.r.IntN(2) == 0 {
				return v[:j]
			}
			return v[:j+1] + g.part(".+~", true)
		}
		return v + "-" + g.part(".+~", true)
	}
	return ins(g.digits())
}

// rawRPM returns a string for rpmvercmp itself, outside the EVR syntax:
// any separators, including bytes that are not ASCII, but no '-' or ':'
// (which rpm's parser would take as release or epoch), no tab or newline
// (which frame the oracle's input), and never empty.
func (g *versionGen) rawRPM() string {
	const seps = "._+~^/,=@#!*()% {}\x7f\xc3\xa9\x80"
	var b strings.Builder
	for b.Len() == 0 || g.r.IntN(5) > 0 {
		switch g.r.IntN(6) {
		case 0, 1:
			b.WriteString(g.digits())
		case 2:
			b.WriteString(g.letters())
		default:
			b.WriteByte(g.pick(seps))
		}
	}
	return b.String()
}

func (g *versionGen) rawRPMPair() (string, string) {
	a := g.rawRPM()
	switch g.r.IntN(4) {
	case 0:
		return a, g.rawRPM()
	case 1:
		return a, a
	}
	i := g.r.IntN(len(a) + 1)
	switch g.r.IntN(3) {
	case 0:
		return a, a[:i] + string(g.pick("~^._/é")) + a[i:]
	case 1:
		if i < len(a) && len(a) > 1 {
			return a[:i] + a[i+1:], a
		}
	}
	return a, a + g.rawRPM()
}
