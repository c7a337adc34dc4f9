package gitstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/go-git/go-git/v5"

	"github.com/patchwave/patchwave/runner/gitstore"
)

// gitCmd runs the git CLI in dir, isolated from the user's configuration,
// and returns its standard output.
func gitCmd(t testing.TB, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_CONFIG_NOSYSTEM=1",
		// No automatic gc: a 10,000-file commit would otherwise start a
		// background repack under the benchmark's feet.
		"GIT_CONFIG_COUNT=2", "GIT_CONFIG_KEY_0=gc.auto", "GIT_CONFIG_VALUE_0=0",
		"GIT_CONFIG_KEY_1=maintenance.auto", "GIT_CONFIG_VALUE_1=false",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_AUTHOR_DATE=2026-11-20T10:00:00Z", "GIT_COMMITTER_DATE=2026-11-20T10:00:00Z",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func needGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("the git CLI is not installed; these tests build repositories with it")
	}
}

// writeFiles writes files (path -> content) under dir; "->target" makes a
// symbolic link, "" deletes.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Remove(p)
		switch {
		case content == "":
		case strings.HasPrefix(content, "->"):
			if err := os.Symlink(strings.TrimPrefix(content, "->"), p); err != nil {
				t.Fatal(err)
			}
		default:
			mode := os.FileMode(0o644)
			if strings.HasSuffix(name, ".sh") {
				mode = 0o755
			}
			if err := os.WriteFile(p, []byte(content), mode); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// commit writes files and commits them, with the index entries in extra
// ("mode,hash,path", for what the working tree cannot hold).
func commit(t testing.TB, dir, msg string, files map[string]string, extra ...string) {
	t.Helper()
	writeFiles(t, dir, files)
	args := []string{"add", "-A", "--"}
	for name := range files {
		args = append(args, name)
	}
	gitCmd(t, dir, args...)
	for _, e := range extra {
		gitCmd(t, dir, "update-index", "--add", "--cacheinfo", e)
	}
	gitCmd(t, dir, "commit", "-q", "-m", msg)
}

// The fixture's history, oldest first. HEAD~2 is on branch "feature",
// HEAD~1 is tagged v1 (annotated).
var (
	policyV1 = "package policy\n\npolicy: branch: \"main\"\n"
	policyV2 = "package policy\n\npolicy: branch: \"release\"\n"
	webV1    = `{"web-1": {"hostname": "web-1", "criticality": "high"}}` + "\n"
	webV2    = `{"web-1": {"hostname": "web-1", "criticality": "critical"}}` + "\n"
)

// buildRepo makes a repository with three commits, nested folders, a file
// changed between commits, a deleted file, an executable, symbolic links,
// a submodule entry and names that sort differently in git ("a" sorts as
// "a/", after "a.txt").
func buildRepo(t testing.TB) string {
	t.Helper()
	needGit(t)
	dir := t.TempDir()
	buildRepoIn(t, dir)
	return dir
}

func buildRepoIn(t testing.TB, dir string) {
	t.Helper()
	gitCmd(t, dir, "init", "-q", "-b", "main")
	commit(t, dir, "initial", map[string]string{
		"README.md":                 "# fleet policy\n",
		"policy/policy.cue":         policyV1,
		"policy/groups.cue":         "package policy\n\ngroups: web: match: tags: role: \"web\"\n",
		"policy/assets/web.json":    webV1,
		"policy/assets/db/db1.json": `{"db-1": {"hostname": "db-1"}}` + "\n",
		"a.txt":                     "a file\n",
		"a/b.txt":                   "b in a\n",
		"a-b/c.txt":                 "c in a-b\n",
		"scripts/run.sh":            "#!/bin/sh\necho v1\n",
		"empty.txt":                 "\n",
	})
	gitCmd(t, dir, "branch", "feature")

	commit(t, dir, "second", map[string]string{
		"README.md":            "",
		"policy/policy.cue":    policyV2,
		"policy/waves.cue":     "package policy\n\nwaves: {}\n",
		"shared/common.cue":    "package policy\n\n// shared\n",
		"policy/shared.cue":    "->../shared/common.cue",
		"policy/assets-link":   "->assets",
		"policy/assets/db/big": strings.Repeat("0123456789abcdef", 4096),
	},
		// A submodule entry, without the submodule's objects, as after a
		// clone that did not initialise it.
		"160000,"+strings.Repeat("ab", 20)+",vendor/sub",
	)
	gitCmd(t, dir, "tag", "-a", "v1", "-m", "v1")

	commit(t, dir, "third", map[string]string{
		"policy/assets/web.json": webV2,
		"scripts/run.sh":         "#!/bin/sh\necho v2\n",
	})
}

var (
	fixtureRoot string // removed by TestMain
	fixtureOnce sync.Once
	fixtureOK   bool
)

func TestMain(m *testing.M) {
	var err error
	if fixtureRoot, err = os.MkdirTemp("", "gitstore-fixture"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(fixtureRoot)
	os.Exit(code)
}

// sharedRepo returns the buildRepo fixture and a packed bare clone of it,
// built once for the tests that only read them.
func sharedRepo(t testing.TB) (work, packed string) {
	t.Helper()
	needGit(t)
	work = filepath.Join(fixtureRoot, "work")
	packed = filepath.Join(fixtureRoot, "packed.git")
	fixtureOnce.Do(func() {
		if err := os.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		buildRepoIn(t, work)
		gitCmd(t, work, "clone", "-q", "--bare", "--no-local", work, packed)
		fixtureOK = true
	})
	if !fixtureOK {
		t.Fatal("building the fixture repository failed")
	}
	return work, packed
}

func packedRepo(t testing.TB) string {
	_, packed := sharedRepo(t)
	return packed
}

func open(t testing.TB, dir string) *git.Repository {
	t.Helper()
	repo, err := gitstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// lsTree lists what `git ls-tree -r` finds under prefix at rev: path ->
// mode, paths relative to prefix.
func lsTree(t testing.TB, dir, rev, prefix string) map[string]string {
	t.Helper()
	args := []string{"ls-tree", "-r", "-z", rev}
	if prefix != "" {
		args = append(args, "--", prefix+"/")
	}
	out := gitCmd(t, dir, args...)
	files := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if line == "" {
			continue
		}
		meta, name, _ := strings.Cut(line, "\t")
		if prefix != "" {
			name = strings.TrimPrefix(name, prefix+"/")
		}
		files[name] = strings.Fields(meta)[0]
	}
	return files
}

func TestTreeFSMatchesGitShow(t *testing.T) {
	t.Parallel()
	work, packed := sharedRepo(t)
	hash := strings.TrimSpace(string(gitCmd(t, work, "rev-parse", "HEAD~1")))
	repos := map[string]string{"loose": work, "packed": packed}
	for kind, dir := range repos {
		repo := open(t, dir)
		for _, rev := range []string{"HEAD", "HEAD~1", "HEAD~2", "HEAD^", "main", "feature", "v1", hash, hash[:8]} {
			for _, sub := range []string{"", "policy", "policy/assets"} {
				t.Run(fmt.Sprintf("%s/%s/%q", kind, rev, sub), func(t *testing.T) {
					t.Parallel()
					fsys, err := gitstore.TreeFS(repo, rev, sub)
					if err != nil {
						t.Fatalf("TreeFS(%q, %q): %v", rev, sub, err)
					}
					want := lsTree(t, dir, rev, sub)

					got := map[string]bool{}
					err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
						if err != nil {
							return err
						}
						if !d.IsDir() || want[p] == "160000" {
							got[p] = true
						}
						if want[p] == "100644" {
							// The entry names its blob, as git does, without a read.
							h, ok := d.(blobHasher)
							if wantHash := gitCmd(t, dir, "rev-parse", rev+":"+path.Join(sub, p)); !ok || h.GitBlobHash() != strings.TrimSpace(string(wantHash)) {
								t.Errorf("entry %s: GitBlobHash is not git rev-parse's %s", p, wantHash)
							}
						}
						return nil
					})
					if err != nil {
						t.Fatalf("WalkDir: %v", err)
					}
					for p := range want {
						if !got[p] {
							t.Errorf("%s is in git ls-tree but not in the FS", p)
						}
					}
					for p := range got {
						if want[p] == "" {
							t.Errorf("%s is in the FS but not in git ls-tree", p)
						}
					}

					var specs []string
					for p, mode := range want {
						if mode != "160000" { // a submodule's commit is not here
							specs = append(specs, rev+":"+path.Join(sub, p))
						}
					}
					contents := catFiles(t, dir, specs)
					for p, mode := range want {
						wantData := contents[rev+":"+path.Join(sub, p)]
						switch mode {
						case "100644", "100755":
							data, err := fs.ReadFile(fsys, p)
							if err != nil {
								t.Errorf("ReadFile(%q): %v", p, err)
							} else if !bytes.Equal(data, wantData) {
								t.Errorf("ReadFile(%q) = %q, want %q (git show %s:%s)", p, data, wantData, rev, path.Join(sub, p))
							}
						case "120000":
							target, err := fs.ReadLink(fsys, p)
							if err != nil {
								t.Errorf("ReadLink(%q): %v", p, err)
							} else if target != string(wantData) {
								t.Errorf("ReadLink(%q) = %q, want %q", p, target, wantData)
							}
						}
					}
				})
			}
		}
	}
}

// catFiles returns what `git show REV:PATH` prints for each spec, read in
// one `git cat-file --batch` run.
func catFiles(t testing.TB, dir string, specs []string) map[string][]byte {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(strings.Join(specs, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git cat-file --batch: %v", err)
	}
	contents := map[string][]byte{}
	for _, spec := range specs {
		header, rest, ok := bytes.Cut(out, []byte("\n"))
		var size int
		if _, err := fmt.Sscanf(string(header), "%s %s %d", new(string), new(string), &size); !ok || err != nil || len(rest) < size+1 {
			t.Fatalf("git cat-file --batch: bad output for %s: %q", spec, header)
		}
		contents[spec] = rest[:size]
		out = rest[size+1:]
	}
	return contents
}

func TestTreeFSChangesBetweenCommits(t *testing.T) {
	t.Parallel()
	work, _ := sharedRepo(t)
	repo := open(t, work)
	for _, tc := range []struct {
		rev, dir, name string
		want           string // "" when the file must not exist
	}{
		{"HEAD", "", "policy/policy.cue", policyV2},
		{"HEAD~2", "", "policy/policy.cue", policyV1},
		{"HEAD", "policy", "assets/web.json", webV2},
		{"HEAD~1", "policy", "assets/web.json", webV1},
		{"HEAD", "", "README.md", ""},
		{"HEAD~2", "", "README.md", "# fleet policy\n"},
		{"HEAD~2", "policy", "waves.cue", ""},
		{"HEAD", "policy", "waves.cue", "package policy\n\nwaves: {}\n"},
	} {
		t.Run(tc.rev+"/"+path.Join(tc.dir, tc.name), func(t *testing.T) {
			t.Parallel()
			fsys, err := gitstore.TreeFS(repo, tc.rev, tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			data, err := fs.ReadFile(fsys, tc.name)
			if tc.want == "" {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("ReadFile(%q) = %q, %v; want fs.ErrNotExist", tc.name, data, err)
				}
				return
			}
			if err != nil || string(data) != tc.want {
				t.Errorf("ReadFile(%q) = %q, %v; want %q", tc.name, data, err, tc.want)
			}
		})
	}
}

func TestTreeFSPassesFSTest(t *testing.T) {
	t.Parallel()
	work, packed := sharedRepo(t)
	repos := map[string]*git.Repository{"loose": open(t, work), "packed": open(t, packed)}
	for _, tc := range []struct {
		rev, dir string
		expect   []string
	}{
		{"HEAD", "", []string{"policy/policy.cue", "policy/assets/db/db1.json", "a.txt", "a/b.txt", "vendor/sub", "policy/shared.cue"}},
		{"HEAD", ".", []string{"shared/common.cue", "scripts/run.sh"}},
		{"HEAD", "policy", []string{"policy.cue", "waves.cue", "assets/web.json", "assets-link"}},
		{"HEAD~2", "", []string{"README.md", "policy/policy.cue"}},
		{"feature", "policy/assets", []string{"web.json", "db/db1.json"}},
	} {
		for kind, repo := range repos {
			t.Run(kind+"/"+tc.rev+"/"+tc.dir, func(t *testing.T) {
				t.Parallel()
				fsys, err := gitstore.TreeFS(repo, tc.rev, tc.dir)
				if err != nil {
					t.Fatal(err)
				}
				if err := fstest.TestFS(fsys, tc.expect...); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

func TestTreeFSEntries(t *testing.T) {
	t.Parallel()
	dir, _ := sharedRepo(t)
	fsys, err := gitstore.TreeFS(open(t, dir), "HEAD", "")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ReadDir sorts by name, not git order", func(t *testing.T) {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		want := []string{"a", "a-b", "a.txt", "empty.txt", "policy", "scripts", "shared", "vendor"}
		if !slices.Equal(names, want) {
			t.Errorf("ReadDir(.) = %q, want %q", names, want)
		}
	})
	for _, tc := range []struct {
		name  string
		stat  func(fs.FS, string) (fs.FileInfo, error)
		path  string
		mode  fs.FileMode
		size  int64
		isDir bool
	}{
		{"executable", fs.Stat, "scripts/run.sh", 0o755, int64(len("#!/bin/sh\necho v2\n")), false},
		{"regular", fs.Stat, "policy/policy.cue", 0o644, int64(len(policyV2)), false},
		{"folder", fs.Stat, "policy/assets", fs.ModeDir | 0o755, 0, true},
		{"link followed", fs.Stat, "policy/shared.cue", 0o644, int64(len("package policy\n\n// shared\n")), false},
		{"link to a folder followed", fs.Stat, "policy/assets-link", fs.ModeDir | 0o755, 0, true},
		{"link itself", fs.Lstat, "policy/shared.cue", fs.ModeSymlink | 0o777, int64(len("../shared/common.cue")), false},
		{"submodule", fs.Stat, "vendor/sub", fs.ModeDir | 0o755, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fi, err := tc.stat(fsys, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != tc.mode || fi.Size() != tc.size || fi.IsDir() != tc.isDir || fi.Name() != path.Base(tc.path) {
				t.Errorf("info(%q) = %s size %d, want mode %v size %d", tc.path, fs.FormatFileInfo(fi), fi.Size(), tc.mode, tc.size)
			}
		})
	}
	t.Run("through a link to a folder", func(t *testing.T) {
		data, err := fs.ReadFile(fsys, "policy/assets-link/web.json")
		if err != nil || string(data) != webV2 {
			t.Errorf("ReadFile through a link = %q, %v; want %q", data, err, webV2)
		}
	})
	t.Run("submodule reads as an empty folder", func(t *testing.T) {
		entries, err := fs.ReadDir(fsys, "vendor/sub")
		if err != nil || len(entries) != 0 {
			t.Errorf("ReadDir(vendor/sub) = %v, %v; want no entries", entries, err)
		}
	})
	t.Run("Sys is the blob hash", func(t *testing.T) {
		fi, err := fs.Stat(fsys, "policy/policy.cue")
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSpace(string(gitCmd(t, dir, "rev-parse", "HEAD:policy/policy.cue")))
		if got := fmt.Sprint(fi.Sys()); got != want {
			t.Errorf("Sys() = %s, want %s", got, want)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			op   string
			call func() error
			want error
		}{
			{"open missing", func() error { _, err := fsys.Open("policy/nope.cue"); return err }, fs.ErrNotExist},
			{"open below a file", func() error { _, err := fsys.Open("a.txt/x"); return err }, nil},
			{"open invalid", func() error { _, err := fsys.Open("/policy"); return err }, fs.ErrInvalid},
			{"open dot-dot", func() error { _, err := fsys.Open("policy/../a.txt"); return err }, fs.ErrInvalid},
			{"read a folder", func() error { _, err := fs.ReadFile(fsys, "policy"); return err }, nil},
			{"readdir a file", func() error { _, err := fs.ReadDir(fsys, "a.txt"); return err }, nil},
			{"readlink a file", func() error { _, err := fs.ReadLink(fsys, "a.txt"); return err }, fs.ErrInvalid},
		} {
			err := tc.call()
			var perr *fs.PathError
			if !errors.As(err, &perr) {
				t.Errorf("%s: err = %v, want an *fs.PathError", tc.op, err)
				continue
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", tc.op, err, tc.want)
			}
		}
	})
}

func TestTreeFSLinksStayInRepository(t *testing.T) {
	t.Parallel()
	needGit(t)
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q", "-b", "main")
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	commit(t, dir, "links", map[string]string{
		"policy/ok.cue":      "->../shared/x.cue",
		"shared/x.cue":       "x\n",
		"policy/escape.cue":  "->../../../../../../../../" + strings.TrimPrefix(outside, "/"),
		"policy/absolute":    "->" + outside,
		"policy/loop-a":      "->loop-b",
		"policy/loop-b":      "->loop-a",
		"policy/dangling":    "->nothing",
		"policy/self/dir/up": "->../..",
	})
	fsys, err := gitstore.TreeFS(open(t, dir), "HEAD", "policy")
	if err != nil {
		t.Fatal(err)
	}
	if data, err := fs.ReadFile(fsys, "ok.cue"); err != nil || string(data) != "x\n" {
		t.Errorf("a link to a sibling folder of the FS root: %q, %v; want %q", data, err, "x\n")
	}
	if data, err := fs.ReadFile(fsys, "self/dir/up/ok.cue"); err != nil || string(data) != "x\n" {
		t.Errorf("a link to an ancestor: %q, %v; want %q", data, err, "x\n")
	}
	for _, name := range []string{"escape.cue", "absolute", "dangling"} {
		if data, err := fs.ReadFile(fsys, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%q) = %q, %v; want fs.ErrNotExist", name, data, err)
		}
	}
	if _, err := fs.ReadFile(fsys, "loop-a"); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("ReadFile of a link loop: err = %v, want too many links", err)
	}
	if fi, err := fs.Lstat(fsys, "dangling"); err != nil || fi.Mode().Type() != fs.ModeSymlink {
		t.Errorf("Lstat of a dangling link = %v, %v; want the link", fi, err)
	}
}

func TestTreeFSUnknownRevision(t *testing.T) {
	t.Parallel()
	work, _ := sharedRepo(t)
	repo := open(t, work)
	for _, rev := range []string{"nope", "HEAD~9", "refs/heads/gone", strings.Repeat("0", 40), "deadbeef"} {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			_, err := gitstore.TreeFS(repo, rev, "")
			if err == nil {
				t.Fatalf("TreeFS(%q) succeeded", rev)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", rev)) {
				t.Errorf("error does not name %q: %v", rev, err)
			}
			if !errors.Is(err, gitstore.ErrUnknownRevision) {
				t.Errorf("error does not wrap ErrUnknownRevision: %v", err)
			}
		})
	}
}

func TestTreeFSBadDir(t *testing.T) {
	t.Parallel()
	work, _ := sharedRepo(t)
	repo := open(t, work)
	for _, dir := range []string{"nope", "a.txt", "/policy", "../policy", "vendor/sub/x"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			_, err := gitstore.TreeFS(repo, "HEAD", dir)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", dir)) {
				t.Errorf("TreeFS(HEAD, %q): err = %v, want one naming the folder", dir, err)
			}
		})
	}
	for _, dir := range []string{"policy/", "./policy", "policy/assets-link/.."} {
		if _, err := gitstore.TreeFS(repo, "HEAD", dir); err != nil {
			t.Errorf("TreeFS(HEAD, %q): %v", dir, err)
		}
	}
}

func TestTreeFSIgnoresWorkingTree(t *testing.T) {
	t.Parallel()
	dir := buildRepo(t)
	writeFiles(t, dir, map[string]string{
		"policy/policy.cue": "uncommitted\n",
		"policy/new.cue":    "untracked\n",
		"a.txt":             "", // deleted in the working tree
	})
	fsys, err := gitstore.TreeFS(open(t, dir), "HEAD", "")
	if err != nil {
		t.Fatal(err)
	}
	if data, err := fs.ReadFile(fsys, "policy/policy.cue"); err != nil || string(data) != policyV2 {
		t.Errorf("policy.cue = %q, %v; want the committed %q", data, err, policyV2)
	}
	if _, err := fs.Stat(fsys, "policy/new.cue"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an untracked file shows in the FS: %v", err)
	}
	if _, err := fs.Stat(fsys, "a.txt"); err != nil {
		t.Errorf("a file deleted only in the working tree is missing: %v", err)
	}
}

// TestTreeFSConcurrentReads reads one repository through several FSs
// from many goroutines, like `plan --base` loading two commits with
// policy.Load's parallel reads; run it with -race.
func TestTreeFSConcurrentReads(t *testing.T) {
	t.Parallel()
	repo := open(t, packedRepo(t))
	var fss []fs.FS
	for _, rev := range []string{"HEAD", "HEAD", "HEAD~1"} {
		fsys, err := gitstore.TreeFS(repo, rev, "")
		if err != nil {
			t.Fatal(err)
		}
		fss = append(fss, fsys)
	}
	fsys := fss[0]
	var paths []string
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return err
	})
	// Expected contents come from the git CLI, leaving go-git's object
	// cache cold for the concurrent reads.
	var specs []string
	for _, p := range paths {
		specs = append(specs, "HEAD:"+p)
	}
	byspec := catFiles(t, packedRepo(t), specs)
	want := map[string][]byte{}
	for _, p := range paths {
		want[p] = byspec["HEAD:"+p]
	}
	// Like policy.Load: many goroutines reading files of one FS.
	var wg sync.WaitGroup
	for i := range 8 {
		fsys := fss[i%2] // two FSs at the same commit
		wg.Go(func() {
			for _, p := range paths {
				f, err := fsys.Open(p)
				if err != nil {
					t.Error(err)
					return
				}
				data, err := io.ReadAll(f)
				f.Close()
				if err != nil || !bytes.Equal(data, want[p]) {
					t.Errorf("concurrent read of %s = %q, %v", p, data, err)
				}
				if _, err := fs.Stat(fsys, p); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() { // and one at another commit
		fs.WalkDir(fss[2], ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				_, err = fs.ReadFile(fss[2], p)
			}
			if err != nil {
				t.Error(err)
			}
			return nil
		})
	})
	wg.Wait()
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir, packed := sharedRepo(t)
	t.Run("from a subfolder", func(t *testing.T) {
		repo, err := gitstore.Open(filepath.Join(dir, "policy", "assets"))
		if err != nil {
			t.Fatal(err)
		}
		fsys, err := gitstore.TreeFS(repo, "HEAD", "policy")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Stat(fsys, "policy.cue"); err != nil {
			t.Error(err)
		}
	})
	t.Run("bare", func(t *testing.T) {
		if _, err := gitstore.Open(packed); err != nil {
			t.Error(err)
		}
	})
	t.Run("missing path inside a repository", func(t *testing.T) {
		missing := filepath.Join(dir, "policy", "nope")
		if _, err := gitstore.Open(missing); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", missing)) {
			t.Errorf("Open(%q): err = %v, want one naming the path", missing, err)
		}
	})
	t.Run("not a repository", func(t *testing.T) {
		notRepo := t.TempDir()
		_, err := gitstore.Open(notRepo)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", notRepo)) {
			t.Errorf("Open(%q): err = %v, want one naming the path", notRepo, err)
		}
	})
}
