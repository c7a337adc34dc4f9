package policy_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/policy"
)

// invalidCorpus holds one broken repository per folder, each with an
// expect.txt; see its README.md.
const invalidCorpus = "../examples/invalid"

// corpusNow is the --at of every case, so that exception expiry is fixed.
var corpusNow = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// corpusExpectation is one line of expect.txt: a problem at an exact
// position whose text (after "file:line:col: ") contains Fragment.
type corpusExpectation struct {
	Pos      string // "file:line:col", as Position.String prints it
	Fragment string
	Line     int // in expect.txt
}

// corpusExpect is a parsed expect.txt.
type corpusExpect struct {
	Valid bool // "# exit 0": warnings only, no errors
	Lines []corpusExpectation
}

var expectLine = regexp.MustCompile(`^([^:\s]+):([0-9]+):([0-9]+): (.+)$`)

func readCorpusExpect(path string) (corpusExpect, error) {
	var e corpusExpect
	f, err := os.Open(path)
	if err != nil {
		return e, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			if strings.Join(strings.Fields(line), " ") == "# exit 0" {
				e.Valid = true
			}
		default:
			m := expectLine.FindStringSubmatch(line)
			if m == nil {
				return e, fmt.Errorf("%s:%d: want RELPATH:LINE:COL: MESSAGE-FRAGMENT, got %q", path, n, line)
			}
			row, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			pos := policy.Position{File: m[1], Line: row, Column: col}
			e.Lines = append(e.Lines, corpusExpectation{Pos: pos.String(), Fragment: m[4], Line: n})
		}
	}
	if err := sc.Err(); err != nil {
		return e, err
	}
	if len(e.Lines) == 0 {
		return e, fmt.Errorf("%s: no expected problem: a case must expect at least one", path)
	}
	return e, nil
}

// TestInvalidCorpus loads every repository under examples/invalid and
// checks that the loader reports exactly the problems its expect.txt
// lists: each at its exact file:line:col, with a message containing the
// fragment, and nothing else (no repeats, no knock-on errors).
func TestInvalidCorpus(t *testing.T) {
	entries, err := os.ReadDir(invalidCorpus)
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		cases++
		dir := filepath.Join(invalidCorpus, ent.Name())
		t.Run(ent.Name(), func(t *testing.T) {
			t.Parallel()
			want, err := readCorpusExpect(filepath.Join(dir, "expect.txt"))
			if err != nil {
				t.Fatal(err)
			}
			probs := loadCorpusCase(t, dir)
			if want.Valid && probs.HasErrors() {
				t.Errorf("expected no errors (# exit 0), got errors")
			}
			if !want.Valid && !probs.HasErrors() {
				t.Errorf("expected the repository to be invalid, got no errors")
			}
			used := make([]bool, len(probs))
			for _, w := range want.Lines {
				found := false
				for i, p := range probs {
					if !used[i] && p.Position.String() == w.Pos && strings.Contains(problemText(p), w.Fragment) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("expect.txt:%d: no problem at %s containing %q", w.Line, w.Pos, w.Fragment)
				}
			}
			for i, p := range probs {
				if !used[i] {
					t.Errorf("unexpected problem (%s): %s", p.Code, p)
				}
			}
			if t.Failed() {
				var b strings.Builder
				for _, p := range probs {
					fmt.Fprintf(&b, "\n\t%s [%s]", p, p.Code)
				}
				t.Logf("problems found:%s", b.String())
			}
		})
	}
	if cases == 0 {
		t.Fatalf("no cases in %s", invalidCorpus)
	}
}

// loadCorpusCase loads one case with positions relative to its folder.
func loadCorpusCase(t *testing.T, dir string) (probs policy.Problems) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("loader panicked: %v\n%s", r, debug.Stack())
		}
	}()
	// Prefix "." names files relative to the case folder; an empty Prefix
	// would make LoadDir put the folder before every file name.
	_, probs, err := policy.LoadDir(context.Background(), dir, policy.Options{Now: corpusNow, Prefix: "."})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	return probs
}

// problemText is a problem as validate prints it, without its position:
// "warning: message" for warnings, the message for errors.
func problemText(p policy.Problem) string {
	return strings.TrimPrefix(p.String(), p.Position.String()+": ")
}
