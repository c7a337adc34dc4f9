package version

import (
	"errors"
	"testing"
)

// checkOrderProperties holds for any comparison function over any input:
// no panic; valid inputs compare to -1, 0 or +1, antisymmetrically, and each
// equal to itself; an invalid input is a *SyntaxError in either position.
func checkOrderProperties(t *testing.T, s Scheme, cmp func(a, b string) (int, error), a, b string) {
	ab, errAB := cmp(a, b)
	ba, errBA := cmp(b, a)
	_, errA := cmp(a, a)
	_, errB := cmp(b, b)
	valid := errA == nil && errB == nil
	if (errAB == nil) != valid || (errBA == nil) != valid {
		t.Fatalf("%s: a=%q valid=%v, b=%q valid=%v, but (a, b): %v and (b, a): %v", s, a, errA == nil, b, errB == nil, errAB, errBA)
	}
	if !valid {
		for _, err := range []error{errAB, errBA} {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Scheme != s || (se.Version != a && se.Version != b) || se.Reason == "" {
				t.Fatalf("%s: a=%q b=%q: error %v is not a *SyntaxError naming one of them", s, a, b, err)
			}
		}
		return
	}
	if ab < -1 || ab > 1 {
		t.Fatalf("%s(%q, %q) = %d, not -1, 0 or 1", s, a, b, ab)
	}
	if ab != -ba {
		t.Fatalf("%s(%q, %q) = %d but (%q, %q) = %d", s, a, b, ab, b, a, ba)
	}
	if c, _ := cmp(a, a); c != 0 {
		t.Fatalf("%s(%q, itself) = %d", s, a, c)
	}
	if a == b && ab != 0 {
		t.Fatalf("%s(%q, %q) = %d for equal strings", s, a, b, ab)
	}
}

func fuzzSeeds(f *testing.F, pairs ...[2]string) {
	for _, p := range pairs {
		f.Add(p[0], p[1])
	}
}

func FuzzCompareDpkg(f *testing.F) {
	for _, c := range dpkgCases {
		fuzzSeeds(f, [2]string{c.a, c.b})
	}
	for _, c := range dpkgInvalid {
		fuzzSeeds(f, [2]string{c.v, "1.0"})
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		checkOrderProperties(t, Dpkg, CompareDpkg, a, b)
	})
}

func FuzzCompareRPM(f *testing.F) {
	for _, c := range rpmCases {
		fuzzSeeds(f, [2]string{c.a, c.b})
	}
	for _, c := range rpmvercmpCorpus {
		fuzzSeeds(f, [2]string{c.a, c.b})
	}
	for _, c := range rpmInvalid {
		fuzzSeeds(f, [2]string{c.v, "1.0"})
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		checkOrderProperties(t, RPM, CompareRPM, a, b)
	})
}

// FuzzRPMVercmp checks rpmvercmp alone, on any bytes: it must be
// antisymmetric and reflexive on all of them, as rpm's C code is.
func FuzzRPMVercmp(f *testing.F) {
	for _, c := range rpmvercmpRaw {
		fuzzSeeds(f, [2]string{c.a, c.b})
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		checkOrderProperties(t, "rpmvercmp", func(a, b string) (int, error) { return rpmvercmp(a, b), nil }, a, b)
	})
}
