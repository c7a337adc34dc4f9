package version

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const needDpkg = "dpkg is not on PATH (Debian's dpkg package provides it): the dpkg oracle did not run"

// dpkgPairs returns this package's answers for the hand-written cases (both
// ways round) and n generated pairs.
func dpkgPairs(t *testing.T, seed uint64, n int, tables bool) []oraclePair {
	t.Helper()
	var pairs []oraclePair
	add := func(a, b string) {
		t.Helper()
		got, err := CompareDpkg(a, b)
		if err != nil {
			t.Fatalf("CompareDpkg(%q, %q): %v", a, b, err)
		}
		pairs = append(pairs, oraclePair{a, b, got})
	}
	if tables {
		for _, c := range dpkgCases {
			add(c.a, c.b)
			add(c.b, c.a)
		}
	}
	g := newVersionGen(Dpkg, seed)
	for range n {
		add(g.pair())
	}
	return pairs
}

// TestOracleDpkg asks the dpkg binary about every hand-written case and a
// sample of generated pairs (all of them when libdpkg is not there for
// TestOracleLibdpkg).
func TestOracleDpkg(t *testing.T) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip(needDpkg)
	}
	out, err := exec.Command(dpkg, "--version").Output()
	if err != nil {
		t.Fatalf("dpkg --version: %v", err)
	}
	t.Logf("oracle: %s", firstLine(out))

	n := pairCount()
	if reason := libdpkgMissing(); reason == "" {
		n = min(n, 500)
		if !testing.Short() {
			n = min(pairCount(), 1000)
		}
	} else {
		t.Logf("%s; so the dpkg binary checks all %d pairs, one exec each", reason, n)
	}
	pairs := dpkgPairs(t, 1, n, true)

	// The shell loop splits its lines at blanks: ask dpkg about versions
	// with blanks directly.
	var loop []oraclePair
	for _, p := range pairs {
		if !strings.ContainsAny(p.a+p.b, " \t") {
			loop = append(loop, p)
		} else if rel := dpkgRelation(t, p.a, p.b); rel != relation[p.want] {
			t.Errorf("CompareDpkg(%q, %q) = %d, dpkg says %s", p.a, p.b, p.want, rel)
		}
	}

	start := time.Now()
	status := runDpkgLoop(t, loop)
	t.Logf("dpkg checked %d pairs (%d generated, %d from the tables) in %v",
		len(pairs), n, len(pairs)-n, time.Since(start).Round(time.Millisecond))

	bad := 0
	for i, p := range loop {
		if status[i] == 0 {
			continue
		}
		if bad++; bad > 20 {
			continue
		}
		if status[i] != 1 {
			t.Errorf("dpkg rejects %q or %q (exit status %d), which CompareDpkg accepts", p.a, p.b, status[i])
			continue
		}
		t.Errorf("CompareDpkg(%q, %q) = %d, dpkg says %s", p.a, p.b, p.want, dpkgRelation(t, p.a, p.b))
	}
	if bad > 0 {
		t.Errorf("%d of %d pairs disagree with dpkg", bad, len(loop))
	}
}

// dpkgLoop runs `dpkg --compare-versions A OP B` for each line "OP A B" of
// the file $1 and prints dpkg's exit status: 0 when the relation holds, 1
// when it does not, anything else when dpkg refused a version. Asking only
// about the relation this package found keeps it to one exec per pair; the
// shell keeps it to one process per chunk of pairs for the test. Warnings
// go to /dev/null. "--" keeps a version starting with '-' from being read as
// an option.
const dpkgLoop = `while read -r op a b; do
	dpkg --compare-versions -- "$a" "$op" "$b"
	echo $?
done <"$1" 2>/dev/null
`

// runDpkgLoop returns dpkg's exit status for each pair. Exec dominates the
// cost, so the pairs are split among a few shells that run at once.
func runDpkgLoop(t *testing.T, pairs []oraclePair) []int {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "loop.sh")
	if err := os.WriteFile(script, []byte(dpkgLoop), 0o644); err != nil {
		t.Fatal(err)
	}
	shells := min(max(runtime.GOMAXPROCS(0), 1), 4, len(pairs))
	status := make([]int, len(pairs))
	errs := make([]error, shells)
	var wg sync.WaitGroup
	for w := range shells {
		lo, hi := w*len(pairs)/shells, (w+1)*len(pairs)/shells
		var in bytes.Buffer
		for _, p := range pairs[lo:hi] {
			fmt.Fprintf(&in, "%s %s %s\n", relation[p.want], p.a, p.b)
		}
		file := filepath.Join(dir, fmt.Sprintf("pairs%d.txt", w))
		if err := os.WriteFile(file, in.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			cmd := exec.Command("sh", script, file)
			// dpkg needs no locale to compare; C saves loading one per exec.
			cmd.Env = append(os.Environ(), "LC_ALL=C")
			out, err := cmd.Output()
			if err != nil {
				errs[w] = fmt.Errorf("running the dpkg loop: %w", err)
				return
			}
			errs[w] = parseStatuses(out, status[lo:hi])
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return status
}

func parseStatuses(out []byte, dst []int) error {
	ls := lines(out)
	if len(ls) != len(dst) {
		return fmt.Errorf("the dpkg loop printed %d results for %d pairs", len(ls), len(dst))
	}
	for i, l := range ls {
		n, err := strconv.Atoi(l)
		if err != nil {
			return fmt.Errorf("the dpkg loop printed %q: %w", l, err)
		}
		dst[i] = n
	}
	return nil
}

// dpkgRelation asks dpkg which of lt, eq and gt holds.
func dpkgRelation(t *testing.T, a, b string) string {
	t.Helper()
	for _, op := range []string{"lt", "eq", "gt"} {
		err := exec.Command("dpkg", "--compare-versions", "--", a, op, b).Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return op
		case !errors.As(err, &exit):
			t.Fatalf("running dpkg: %v", err)
		case exit.ExitCode() != 1:
			return fmt.Sprintf("an error (exit status %d)", exit.ExitCode())
		}
	}
	return "none of lt, eq, gt"
}

// TestOracleDpkgRejects checks the documented differences in validation:
// where this package and dpkg both refuse a version, and where dpkg only
// warns and this package refuses.
func TestOracleDpkgRejects(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip(needDpkg)
	}
	for _, c := range dpkgInvalid {
		if c.v == "" {
			continue // dpkg --compare-versions reads "" as "no version", not as an error
		}
		t.Run(c.v, func(t *testing.T) {
			cmd := exec.Command("dpkg", "--compare-versions", "--", c.v, "lt", "1")
			cmd.Env = append(os.Environ(), "LC_ALL=C")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			dpkgErrors := exit != nil && exit.ExitCode() > 1
			if dpkgErrors != c.dpkgRejects {
				t.Errorf("dpkg --compare-versions %q lt 1: %v, output %q; the table says dpkg rejects it: %v", c.v, err, out, c.dpkgRejects)
			}
		})
	}
}

// libdpkgMissing says what is missing to build the libdpkg helper, or "".
func libdpkgMissing() string {
	const missing = "libdpkg is not there to compile against (apt-get install gcc pkgconf libdpkg-dev): "
	if _, err := exec.LookPath("cc"); err != nil {
		return missing + "no cc on PATH"
	}
	if _, err := exec.LookPath("pkg-config"); err != nil {
		return missing + "no pkg-config on PATH"
	}
	if err := exec.Command("pkg-config", "--exists", "libdpkg").Run(); err != nil {
		return missing + "pkg-config does not know libdpkg"
	}
	return ""
}

// libdpkgHelper reads "A<TAB>B" lines and prints, for each, what dpkg's
// cmpversions (`dpkg --compare-versions`) would decide: parseversion on
// both, going on after warnings and failing on errors, then
// dpkg_version_compare, printed as -1, 0 or 1.
const libdpkgHelper = `#define LIBDPKG_VOLATILE_API 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dpkg/dpkg.h>
#include <dpkg/dpkg-db.h>
#include <dpkg/version.h>

static int parse(struct dpkg_version *v, const char *s) {
	struct dpkg_error err;
	if (parseversion(v, s, &err) < 0) {
		int fatal = err.type == DPKG_MSG_ERROR;
		if (fatal)
			printf("error %s\n", err.str);
		dpkg_error_destroy(&err);
		return !fatal;
	}
	return 1;
}

int main(void) {
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		char *tab = strchr(line, '\t');
		if (tab == NULL)
			return 2;
		*tab = '\0';
		struct dpkg_version a, b;
		if (!parse(&a, line) || !parse(&b, tab + 1))
			continue;
		int r = dpkg_version_compare(&a, &b);
		printf("%d\n", r < 0 ? -1 : r > 0);
	}
	return 0;
}
`

// TestOracleLibdpkg checks the full count of generated pairs against dpkg's
// own comparison code, compiled into one helper process.
func TestOracleLibdpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip(needDpkg)
	}
	if reason := libdpkgMissing(); reason != "" {
		t.Skip(reason + "; TestOracleDpkg checks every pair with the dpkg binary instead")
	}
	ver, err := exec.Command("pkg-config", "--modversion", "libdpkg").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("oracle: libdpkg %s", firstLine(ver))
	flags, err := exec.Command("pkg-config", "--cflags", "--static", "--libs", "libdpkg").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "vercmp.c"), filepath.Join(dir, "vercmp")
	if err := os.WriteFile(src, []byte(libdpkgHelper), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-O1", "-o", bin, src}, strings.Fields(string(flags))...)
	if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		t.Fatalf("compiling the libdpkg helper: %v\n%s", err, out)
	}

	n := pairCount()
	// A seed of its own: these pairs are not the ones the binary checks.
	pairs := dpkgPairs(t, 5, n, true)
	var in bytes.Buffer
	for _, p := range pairs {
		fmt.Fprintf(&in, "%s\t%s\n", p.a, p.b)
	}
	start := time.Now()
	cmd := exec.Command(bin)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the libdpkg helper: %v", err)
	}
	t.Logf("libdpkg checked %d pairs (%d generated, %d from the tables) in %v",
		len(pairs), n, len(pairs)-n, time.Since(start).Round(time.Millisecond))
	checkAnswers(t, "libdpkg", "CompareDpkg", pairs, lines(out))
}
