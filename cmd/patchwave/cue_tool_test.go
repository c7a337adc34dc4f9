package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the repository, relative to this package.
const repoRoot = "../.."

// cueTool returns the path of the `cue` binary. CI installs it (.ci/run),
// so there a missing tool fails the test instead of skipping it.
func cueTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("cue")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("cue is not on PATH, and CI must run this test: %v", err)
		}
		t.Skip("cue is not on PATH: install it with `go install cuelang.org/go/cmd/cue@v0.17.1` to check that the schemas work with the plain cue tool")
	}
	return p
}

// cueVet runs `cue vet` from the repository root, as the README shows.
func cueVet(t *testing.T, cue string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), cue, append([]string{"vet"}, args...)...)
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func quickstartCUEFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(repoRoot, "examples/quickstart"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".cue") {
			rel, err := filepath.Rel(repoRoot, p)
			files = append(files, filepath.ToSlash(rel))
			return err
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found only %d .cue files in examples/quickstart: %v", len(files), files)
	}
	return files
}

// TestCueToolAcceptsQuickstart checks the promise of schemas/: the plain
// cue tool checks a repository with the same schema the binary embeds.
func TestCueToolAcceptsQuickstart(t *testing.T) {
	t.Parallel()
	cue := cueTool(t)
	t.Run("cue files", func(t *testing.T) {
		t.Parallel()
		args := append([]string{"-c", "schemas/definitions.cue", "schemas/repository.cue"}, quickstartCUEFiles(t)...)
		if out, err := cueVet(t, cue, args...); err != nil {
			t.Fatalf("cue vet %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	t.Run("json inventory", func(t *testing.T) {
		t.Parallel()
		args := []string{"-c", "-d", "#Inventory", "schemas/definitions.cue", "examples/quickstart/assets/images.json"}
		if out, err := cueVet(t, cue, args...); err != nil {
			t.Fatalf("cue vet %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
}

func TestCueToolRejectsInvalid(t *testing.T) {
	t.Parallel()
	cue := cueTool(t)
	tests := []struct {
		name    string
		file    string // written to a temporary folder
		data    string
		args    func(file string) []string
		wantOut []string
	}{
		{
			name: "enum value in CUE",
			file: "patches.cue",
			data: "package patchwave\n\npatches: p1: {\n\tseverity: \"urgent\"\n\treleased: \"2026-11-20\"\n\tpackages: openssl: \"3.0.17\"\n}\n",
			args: func(f string) []string {
				return []string{"-c", "schemas/definitions.cue", "schemas/repository.cue", f}
			},
			wantOut: []string{"patches.p1.severity", `"urgent"`, "patches.cue:4:"},
		},
		{
			name: "stage reboot value in CUE",
			file: "waves.cue",
			data: "package patchwave\n\nwaves: w: {\n\tpatches: [\"p\"]\n\tstages: [{name: \"s\", groups: [\"g\"], reboot: \"sometimes\"}]\n}\n",
			args: func(f string) []string {
				return []string{"-c", "schemas/definitions.cue", "schemas/repository.cue", f}
			},
			wantOut: []string{"waves.w.stages.0.reboot", `"sometimes"`},
		},
		{
			name: "bad IP in a JSON inventory",
			file: "hosts.json",
			data: "{\n  \"h1\": {\n    \"hostname\": \"h1\",\n    \"ip\": \"10.0.0.300\"\n  }\n}\n",
			args: func(f string) []string {
				return []string{"-c", "-d", "#Inventory", "schemas/definitions.cue", f}
			},
			wantOut: []string{"h1.ip", `"10.0.0.300"`, "net.IP", "hosts.json:4:"},
		},
		{
			name: "image asset without image in a JSON inventory",
			file: "images.json",
			data: "{\"i1\": {\"kind\": \"image\"}}\n",
			args: func(f string) []string {
				return []string{"-c", "-d", "#Inventory", "schemas/definitions.cue", f}
			},
			wantOut: []string{"i1.image", "field is required but not present"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(file, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			abs, err := filepath.Abs(file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := cueVet(t, cue, tt.args(abs)...)
			if err == nil {
				t.Fatalf("cue vet accepted %s:\n%s", tt.data, out)
			}
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatalf("cue vet did not run: %v", err)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out, want) {
					t.Errorf("cue vet output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
