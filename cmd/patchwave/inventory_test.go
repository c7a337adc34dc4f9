package main

import (
	"strings"
	"testing"
)

// TestInventoryScanCLI covers what needs no host: the quickstart's hosts
// use the exec driver, which cannot scan, so scan skips them all and
// refuses a named one; an unknown subcommand is a usage error.
func TestInventoryScanCLI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"every host skipped", []string{"inventory", "scan", "--dir", quickstart}, exitOK, `web-01: skipped: driver "sim-hosts" cannot scan`},
		{"a named host that cannot be scanned", []string{"inventory", "scan", "--dir", quickstart, "web-01"}, exitFailure, `asset "web-01" cannot be scanned: driver "sim-hosts" cannot scan`},
		{"an unknown asset", []string{"inventory", "scan", "--dir", quickstart, "nope"}, exitFailure, `asset "nope" is not in the inventory`},
		{"an unknown subcommand", []string{"inventory", "bogus"}, exitUsage, `unknown command "bogus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.wantCode || !strings.Contains(r.out+r.err, tt.wantOut) {
				t.Errorf("want exit %d and %q:\n%s", tt.wantCode, tt.wantOut, r)
			}
		})
	}
}
