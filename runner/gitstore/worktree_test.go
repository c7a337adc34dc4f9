package gitstore_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/runner/gitstore"
)

type blobHasher interface{ GitBlobHash() string }

// WorkTreeFS knows the blob hash of files the index records unchanged,
// as git hash-object computes it, and not of changed or unknown files.
func TestWorkTreeFS(t *testing.T) {
	dir := t.TempDir()
	testrepo.Git(t, dir, "init", "-q", "-b", "main")
	for name, data := range map[string]string{"fleet/assets/a.json": "{}\n", "fleet/assets/b.json": "{\"x\": {}}\n", "fleet/policy.cue": "package p\n"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(10 * time.Millisecond) // the index must be newer than the files (git's racy check)
	testrepo.Git(t, dir, "add", ".")
	testrepo.Git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "c")
	// b.json changes size after the index saw it; c.json is new.
	os.WriteFile(filepath.Join(dir, "fleet/assets/b.json"), []byte("{}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "fleet/assets/c.json"), []byte("{}\n"), 0o644)

	repo, rel, err := gitstore.OpenDir(filepath.Join(dir, "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := gitstore.WorkTreeFS(repo, filepath.Join(dir, "fleet"), rel)
	got := map[string]string{}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if h, ok := info.Sys().(blobHasher); ok {
			got[p] = h.GitBlobHash()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(testrepo.Git(t, dir, "hash-object", "fleet/assets/a.json"))
	if len(got) != 2 || got["assets/a.json"] != want || got["policy.cue"] == "" {
		t.Errorf("known hashes %v, want assets/a.json %s and policy.cue only", got, want)
	}
	if data, err := fs.ReadFile(fsys, "assets/b.json"); err != nil || string(data) != "{}\n" {
		t.Errorf("reading through it: %q %v", data, err)
	}
}
