package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/patchwave/patchwave/internal/goldenfile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// quickstart is the example repository, relative to this package.
const quickstart = "../../examples/quickstart"

// result is what one run of the CLI did.
type result struct {
	code     int
	out, err string
}

// runCLI runs patchwave as main does, with env as the whole environment.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), args, streams{out: &out, err: &errOut}, getenv)
	return result{code: code, out: out.String(), err: errOut.String()}
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.out + "stderr:\n" + r.err
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

func TestValidateQuickstart(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "validate", "--dir", quickstart, "--at", "2026-11-26")
	if r.code != exitOK {
		t.Fatalf("want exit 0:\n%s", r)
	}
	if !strings.Contains(r.out, ": valid: ") {
		t.Errorf("stdout does not say valid:\n%s", r)
	}
	if r.err != "" {
		t.Errorf("stderr not empty:\n%s", r)
	}
	golden(t, "validate-quickstart.golden", r.out)
}

// validateOutput mirrors the documented shape of validate --format json.
type validateOutput struct {
	FormatVersion int            `json:"format_version"`
	Valid         bool           `json:"valid"`
	Errors        int            `json:"errors"`
	Warnings      int            `json:"warnings"`
	Counts        map[string]int `json:"counts"`
	Problems      []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Column  int    `json:"column"`
		Level   string `json:"level"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"problems"`
}

func decodeValidate(t *testing.T, r result) validateOutput {
	t.Helper()
	var v validateOutput
	dec := json.NewDecoder(strings.NewReader(r.out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("validate --format json: %v\n%s", err, r)
	}
	return v
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "validate", "--dir", quickstart, "--at", "2026-11-26", "--format", "json")
	if r.code != exitOK {
		t.Fatalf("want exit 0:\n%s", r)
	}
	if !strings.Contains(r.out, `"problems": []`) {
		t.Errorf("an empty problem list must be [] for machines, not null:\n%s", r.out)
	}
	v := decodeValidate(t, r)
	if v.FormatVersion != 1 || !v.Valid || v.Errors != 0 || v.Warnings != 0 {
		t.Errorf("got format_version %d, valid %v, %d errors, %d warnings; want 1, true, 0, 0", v.FormatVersion, v.Valid, v.Errors, v.Warnings)
	}
	want := map[string]int{"assets": 16, "groups": 3, "patches": 3, "waves": 1, "rollbacks": 0}
	for k, n := range want {
		if got, ok := v.Counts[k]; !ok || got != n {
			t.Errorf("counts.%s = %d (present %v), want %d", k, got, ok, n)
		}
	}
}

func TestValidateJSONInvalid(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "validate", "--dir", quickstart, "--at", "2027-10-01", "--format", "json")
	if r.code != exitFailure {
		t.Fatalf("want exit 1:\n%s", r)
	}
	v := decodeValidate(t, r)
	if v.Valid || v.Errors != 1 || len(v.Problems) != 1 {
		t.Fatalf("want invalid with one problem, got valid %v, %d errors, %d problems", v.Valid, v.Errors, len(v.Problems))
	}
	p := v.Problems[0]
	if p.Code != "exception-expired" || p.Level != "error" || !strings.HasSuffix(p.File, "policy.cue") || p.Line == 0 || p.Column == 0 {
		t.Errorf("problem = %+v, want an exception-expired error at a line and column of policy.cue", p)
	}
}

// TestPatchwaveNow checks that PATCHWAVE_NOW sets the time of decisions
// and that --at wins over it. The quickstart's exception for erp-01
// expires on 2027-09-30, with a warning from 14 days before.
func TestPatchwaveNow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"before expiry", "2026-11-26", nil, exitOK, ": valid: "},
		{"expiring soon warns", "2027-09-25T12:00:00Z", nil, exitOK, `warning: exception for asset "erp-01" and patch "RHSA-2025:9978" expires on 2027-09-30T00:00:00Z, in 4 days`},
		{"expired", "2027-10-01", nil, exitFailure, `exception for asset "erp-01" and patch "RHSA-2025:9978" expired on 2027-09-30T00:00:00Z`},
		{"at the instant of expiry", "2027-09-30T00:00:00Z", nil, exitFailure, "expired on 2027-09-30"},
		{"with an offset", "2027-09-30T01:00:00+02:00", nil, exitOK, "warning: exception"},
		{"--at wins over PATCHWAVE_NOW", "2027-10-01", []string{"--at", "2026-11-26"}, exitOK, ": valid: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"validate", "--dir", quickstart}, tt.args...)
			r := runCLI(t, map[string]string{"PATCHWAVE_NOW": tt.env}, args...)
			if r.code != tt.wantCode {
				t.Fatalf("want exit %d:\n%s", tt.wantCode, r)
			}
			if !strings.Contains(r.out, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, r)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"unknown flag", nil, []string{"validate", "--dir", quickstart, "--frobnicate"}, "unknown flag: --frobnicate"},
		{"unknown shorthand", nil, []string{"validate", "-z"}, "unknown shorthand flag"},
		{"extra argument", nil, []string{"validate", "--dir", quickstart, "extra"}, `unknown command "extra"`},
		{"extra argument to version", nil, []string{"version", "extra"}, "extra"},
		{"unknown command", nil, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"misspelt command", nil, []string{"valdate"}, `unknown command "valdate" (did you mean "validate"?)`},
		{"--at garbage", nil, []string{"validate", "--dir", quickstart, "--at", "garbage"}, `"garbage"`},
		{"--at without a value", nil, []string{"validate", "--dir", quickstart, "--at"}, "flag needs an argument"},
		{"--format yaml", nil, []string{"validate", "--dir", quickstart, "--format", "yaml"}, `"yaml" is not one of text, json`},
		{"invalid PATCHWAVE_NOW", map[string]string{"PATCHWAVE_NOW": "next tuesday"}, []string{"validate", "--dir", quickstart}, "PATCHWAVE_NOW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tt.env, tt.args...)
			if r.code != exitUsage {
				t.Fatalf("want exit %d:\n%s", exitUsage, r)
			}
			if !strings.Contains(r.err, tt.wantErr) || !strings.HasPrefix(r.err, "patchwave: ") {
				t.Errorf("stderr should start with \"patchwave: \" and name %q:\n%s", tt.wantErr, r)
			}
			if r.out != "" {
				t.Errorf("a usage error printed on stdout:\n%s", r)
			}
		})
	}
}

func TestValidateMissingDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nowhere")
	r := runCLI(t, nil, "validate", "--dir", dir)
	if r.code != exitFailure {
		t.Fatalf("want exit 1:\n%s", r)
	}
	if !strings.Contains(r.err, "nowhere") {
		t.Errorf("stderr does not name the folder:\n%s", r)
	}
}

// copyQuickstart copies the example repository into a temporary folder,
// where a test may break it.
func copyQuickstart(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(quickstart, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(quickstart, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit replaces old by new in a file of dir, which must hold old once.
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), old); n != 1 {
		t.Fatalf("%s holds %q %d times, want once", file, old, n)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidateBrokenRepository(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		file, old, new  string
		wantLoc, wantIn string
	}{
		{
			name: "exception expired", file: "policy.cue",
			old: `expires: "2027-09-30"`, new: `expires: "2026-11-01"`,
			wantLoc: "policy.cue:52:12: ", wantIn: `exception for asset "erp-01" and patch "RHSA-2025:9978" expired on 2026-11-01`,
		},
		{
			name: "unknown group", file: "waves/2026-11-security.cue",
			old: `groups: ["pilot"]`, new: `groups: ["pliot"]`,
			wantLoc: "2026-11-security.cue:", wantIn: `unknown group "pliot" (did you mean "pilot"?)`,
		},
		{
			name: "bad IP in JSON inventory", file: "assets/images.json",
			old: `"hostname": "shop-api",`, new: `"hostname": "shop-api", "ip": "10.0.0.300",`,
			wantLoc: "assets/images.json:3:35: ", wantIn: `invalid IP address "10.0.0.300"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := copyQuickstart(t)
			edit(t, dir, tt.file, tt.old, tt.new)
			r := runCLI(t, nil, "validate", "--dir", dir, "--at", "2026-11-26")
			if r.code != exitFailure {
				t.Fatalf("want exit 1:\n%s", r)
			}
			if !strings.Contains(r.out, tt.wantLoc) || !strings.Contains(r.out, tt.wantIn) {
				t.Errorf("stdout lacks %q ... %q:\n%s", tt.wantLoc, tt.wantIn, r)
			}
			if !strings.Contains(r.out, ": invalid: ") {
				t.Errorf("stdout does not say invalid:\n%s", r)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "version")
	if r.code != exitOK {
		t.Fatalf("want exit 0:\n%s", r)
	}
	if !strings.HasPrefix(r.out, "patchwave ") || strings.Count(r.out, "\n") != 1 {
		t.Errorf("want one line starting with \"patchwave \":\n%s", r)
	}
}

func TestHelpListsCommandsAndExitCodes(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"--help"}, {"validate", "--help"}} {
		r := runCLI(t, nil, args...)
		if r.code != exitOK {
			t.Fatalf("%v: want exit 0:\n%s", args, r)
		}
		if !strings.Contains(r.out, "Exit codes:") {
			t.Errorf("%v: help does not list exit codes:\n%s", args, r)
		}
	}
}
