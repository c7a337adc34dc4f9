package version

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rpmScript runs rpm.vercmp on each line "A<TAB>B" of pairsFile and writes
// one result a line: -1, 0, 1, or "error ..." when rpm refuses a version.
const rpmScript = `local out = io.open(%q, "w")
for line in io.lines(%q) do
	local tab = string.find(line, "\t", 1, true)
	local ok, r = pcall(rpm.vercmp, string.sub(line, 1, tab - 1), string.sub(line, tab + 1))
	if ok then
		out:write(tostring(r), "\n")
	else
		out:write("error ", (string.gsub(tostring(r), "\n", " ")), "\n")
	end
end
out:close()
`

// runRPMVercmp returns rpm.vercmp's answer for each pair, from one rpm
// process.
func runRPMVercmp(t *testing.T, rpm string, pairs []oraclePair) []string {
	t.Helper()
	dir := t.TempDir()
	var in bytes.Buffer
	for _, p := range pairs {
		fmt.Fprintf(&in, "%s\t%s\n", p.a, p.b)
	}
	pairsFile, resultFile, script := filepath.Join(dir, "pairs.txt"), filepath.Join(dir, "results.txt"), filepath.Join(dir, "vercmp.lua")
	if err := os.WriteFile(pairsFile, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, fmt.Appendf(nil, rpmScript, resultFile, pairsFile), 0o644); err != nil {
		t.Fatal(err)
	}
	// The script path goes through rpm's macro expansion: keep it plain.
	if strings.ContainsAny(script, `%{}"\`) {
		t.Skipf("temporary directory %q has characters rpm's macros would expand", dir)
	}
	cmd := exec.Command(rpm, "--eval", fmt.Sprintf(`%%{lua: dofile(%q)}`, script))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	out, err := os.ReadFile(resultFile)
	if err != nil {
		t.Fatal(err)
	}
	return lines(out)
}

func lookRPM(t *testing.T) string {
	t.Helper()
	rpm, err := exec.LookPath("rpm")
	if err != nil {
		t.Skip("rpm is not on PATH (install Debian's rpm package, `apt-get install rpm`): the rpm oracle did not run")
	}
	out, err := exec.Command(rpm, "--version").Output()
	if err != nil {
		t.Fatalf("rpm --version: %v", err)
	}
	t.Logf("oracle: %s", firstLine(out))
	return rpm
}

// TestOracleRPM compares CompareRPM with rpm.vercmp (rpmverCmp) on whole
// [epoch:]version[-release] strings.
func TestOracleRPM(t *testing.T) {
	rpm := lookRPM(t)
	var pairs []oraclePair
	add := func(a, b string) {
		t.Helper()
		got, err := CompareRPM(a, b)
		if err != nil {
			t.Fatalf("CompareRPM(%q, %q): %v", a, b, err)
		}
		pairs = append(pairs, oraclePair{a, b, got})
	}
	for _, c := range rpmCases {
		add(c.a, c.b)
		add(c.b, c.a)
	}
	for _, c := range rpmvercmpCorpus {
		add(c.a, c.b)
	}
	tableCount := len(pairs)
	g := newVersionGen(RPM, 2)
	n := pairCount()
	for range n {
		add(g.pair())
	}
	start := time.Now()
	results := runRPMVercmp(t, rpm, pairs)
	t.Logf("rpm checked %d generated pairs and %d from the tables in %v", n, tableCount, time.Since(start).Round(time.Millisecond))
	checkAnswers(t, "rpm.vercmp", "CompareRPM", pairs, results)
}

// TestOracleRPMVercmp compares rpmvercmp itself with rpm's on strings outside
// the EVR syntax: any separator bytes, non-ASCII included. rpm.vercmp parses
// its arguments as EVRs, so the strings have no '-' or ':', and each is then
// a version with no epoch or release, compared by rpmvercmp alone.
func TestOracleRPMVercmp(t *testing.T) {
	rpm := lookRPM(t)
	var pairs []oraclePair
	for _, c := range rpmvercmpRaw {
		pairs = append(pairs, oraclePair{c.a, c.b, rpmvercmp(c.a, c.b)}, oraclePair{c.b, c.a, rpmvercmp(c.b, c.a)})
	}
	for _, c := range rpmvercmpNonASCII {
		pairs = append(pairs, oraclePair{c.a, c.b, rpmvercmp(c.a, c.b)})
	}
	tableCount := len(pairs)
	g := newVersionGen(RPM, 3)
	n := pairCount()
	for range n {
		a, b := g.rawRPMPair()
		pairs = append(pairs, oraclePair{a, b, rpmvercmp(a, b)})
	}
	start := time.Now()
	results := runRPMVercmp(t, rpm, pairs)
	t.Logf("rpm checked %d generated pairs and %d from the tables in %v", n, tableCount, time.Since(start).Round(time.Millisecond))
	checkAnswers(t, "rpm.vercmp", "rpmvercmp", pairs, results)
}
