package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every case of examples/invalid through the CLI, as a user runs it:
// validate exits 1 (0 for the cases marked "# exit 0") and prints each
// expected problem at its file:line:col.
func TestValidateInvalidCorpus(t *testing.T) {
	t.Parallel()
	cases, err := filepath.Glob("../../examples/invalid/*/expect.txt")
	if err != nil || len(cases) < 40 {
		t.Fatalf("found %d cases: %v", len(cases), err)
	}
	line := regexp.MustCompile(`^([^:\s]+:[0-9]+:[0-9]+): (.+)$`)
	for _, expect := range cases {
		dir := filepath.Dir(expect)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(expect)
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if strings.Contains(string(data), "# exit 0") {
				want = 0
			}
			r := runCLI(t, nil, "validate", "--dir", dir, "--at", "2026-11-26")
			if r.code != want {
				t.Fatalf("exit %d, want %d\n%s", r.code, want, r)
			}
			// Positions in the output start with --dir; expect.txt's do not.
			out := strings.ReplaceAll(r.out, dir+string(filepath.Separator), "")
			for _, l := range strings.Split(string(data), "\n") {
				m := line.FindStringSubmatch(strings.TrimSpace(l))
				if m == nil {
					continue
				}
				found := false
				for _, got := range strings.Split(out, "\n") {
					found = found || (strings.HasPrefix(got, m[1]+": ") && strings.Contains(got, m[2]))
				}
				if !found {
					t.Errorf("no %s: ...%s in\n%s", m[1], m[2], r.out)
				}
			}
		})
	}
}
