// Package goldenfile compares test output with golden files, or rewrites them
// when the test runs with its -update flag: the one copy of what the
// golden tests of several packages do.
package goldenfile

import (
	"os"
	"path/filepath"
	"testing"
)

// Check compares got with the file, or, when update is set, writes got to
// it (creating its folder).
func Check(t testing.TB, file, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}
