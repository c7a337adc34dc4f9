package gitstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/patchwave/patchwave/runner/gitstore"
)

var (
	runner = object.Signature{Name: "patchwave runner", Email: "runner@example.com",
		When: time.Date(2026, 11, 26, 9, 30, 0, 0, time.FixedZone("", 3600))}
	specTrailers = []gitstore.Trailer{
		{Key: "Patchwave-Wave", Value: "2026-11-openssl"},
		{Key: "Patchwave-Stage", Value: "canary"},
		{Key: "Patchwave-Result", Value: "succeeded"},
		{Key: "Patchwave-Plan", Value: "sha256:" + strings.Repeat("ab", 32)},
		{Key: "Patchwave-Record", Value: "audit/2026/11/26/000042-2026-11-openssl-canary.json"},
	}
	// binary holds every byte value, NULs and a CR LF included.
	binary = func() []byte {
		b := make([]byte, 0, 512)
		for i := range 512 {
			b = append(b, byte(i*7))
		}
		return append(b, "\r\n\x00"...)
	}()
)

// gitStdin is gitCmd with input.
func gitStdin(t testing.TB, dir, stdin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func revParse(t testing.TB, dir, rev string) plumbing.Hash {
	t.Helper()
	return plumbing.NewHash(strings.TrimSpace(string(gitCmd(t, dir, "rev-parse", "--verify", rev))))
}

// objects lists `git ls-tree -r -t` at rev: path -> "mode type hash",
// folders included.
func objects(t testing.TB, dir, rev string) map[string]string {
	t.Helper()
	out := gitCmd(t, dir, "ls-tree", "-r", "-t", "-z", rev)
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if meta, name, ok := strings.Cut(line, "\t"); ok {
			m[name] = meta
		}
	}
	return m
}

func fsck(t testing.TB, dir string) {
	t.Helper()
	gitCmd(t, dir, "fsck", "--strict", "--no-progress")
}

func TestCommitToFreshRepository(t *testing.T) {
	t.Parallel()
	needGit(t)
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q", "-b", "main")
	s := gitstore.NewStore(open(t, dir))

	parent, err := s.Head("main")
	if err != nil || !parent.IsZero() {
		t.Fatalf("Head of an unborn branch = %s, %v; want the zero hash", parent, err)
	}
	committer := object.Signature{Name: "CI", Email: "ci@example.com", When: runner.When.Add(time.Minute)}
	msg := "patchwave: wave 2026-11-openssl stage canary succeeded (4/4)\n\nFour of four assets patched.\n"
	h, err := s.Commit(context.Background(), gitstore.CommitRequest{
		Branch:    "main",
		Files:     map[string][]byte{"state/waves/2026-11-openssl.json": []byte("{}\n"), "audit/2026/11/26/000042.json": []byte(`{"n":42}`), "state/blob.bin": binary},
		Message:   msg,
		Trailers:  specTrailers,
		Author:    runner,
		Committer: &committer,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := revParse(t, dir, "refs/heads/main"); got != h {
		t.Errorf("main is at %s, Commit returned %s", got, h)
	}
	if head, err := s.Head("main"); err != nil || head != h {
		t.Errorf("Head(main) = %s, %v; want %s", head, err, h)
	}
	if parents := strings.Fields(string(gitCmd(t, dir, "log", "-1", "--format=%P", "main"))); len(parents) != 0 {
		t.Errorf("a root commit has parents %v", parents)
	}
	body := string(gitCmd(t, dir, "log", "-1", "--format=%B", "main"))
	wantBody := strings.TrimSpace(msg) + "\n\n"
	for _, tr := range specTrailers {
		wantBody += tr.Key + ": " + tr.Value + "\n"
	}
	if body != wantBody+"\n" { // %B adds a newline
		t.Errorf("git log --format=%%B:\n%s\nwant:\n%s", body, wantBody)
	}
	checkTrailers(t, dir, "main", specTrailers)
	who := strings.TrimSpace(string(gitCmd(t, dir, "log", "-1", "--format=%an|%ae|%aI|%cn|%ce|%cI", "main")))
	if want := "patchwave runner|runner@example.com|2026-11-26T09:30:00+01:00|CI|ci@example.com|2026-11-26T09:31:00+01:00"; who != want {
		t.Errorf("author and committer = %s, want %s", who, want)
	}
	if got := gitCmd(t, dir, "cat-file", "blob", "main:state/blob.bin"); !bytes.Equal(got, binary) {
		t.Errorf("binary content did not round-trip: %q", got)
	}
	want := map[string]string{"audit/2026/11/26/000042.json": "100644", "state/blob.bin": "100644", "state/waves/2026-11-openssl.json": "100644"}
	if got := lsTree(t, dir, "main", ""); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("git ls-tree -r = %v, want %v", got, want)
	}
	fsck(t, dir)
}

// checkTrailers asserts that git finds exactly want in rev's message.
func checkTrailers(t testing.TB, dir, rev string, want []gitstore.Trailer) {
	t.Helper()
	body := string(gitCmd(t, dir, "log", "-1", "--format=%B", rev))
	got := string(gitStdin(t, dir, body, "interpret-trailers", "--parse"))
	var w strings.Builder
	for _, tr := range want {
		fmt.Fprintf(&w, "%s: %s\n", tr.Key, tr.Value)
	}
	if got != w.String() {
		t.Errorf("git interpret-trailers --parse:\n%s\nwant:\n%s", got, w.String())
	}
}

func TestCommitToExistingRepository(t *testing.T) {
	t.Parallel()
	dir := buildRepo(t)
	s := gitstore.NewStore(open(t, dir))
	before := objects(t, dir, "HEAD")
	parent := revParse(t, dir, "HEAD")

	h, err := s.Commit(context.Background(), gitstore.CommitRequest{
		Branch: "refs/heads/main",
		Parent: parent,
		Files: map[string][]byte{
			"policy/assets/web.json":  []byte("changed\n"),
			"state/assets/web-1.json": binary,
			"scripts/run.sh":          []byte("#!/bin/sh\necho v3\n"),
		},
		Remove:   []string{"a/b.txt", "a-b/nope.txt", "nowhere/x"},
		Message:  "runner: record",
		Trailers: specTrailers[:1],
		Author:   runner,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := revParse(t, dir, "main"); got != h {
		t.Fatalf("main is at %s, want %s", got, h)
	}
	if got := revParse(t, dir, "main^"); got != parent {
		t.Errorf("the commit's parent is %s, want %s", got, parent)
	}
	after := objects(t, dir, "main")
	changed := map[string]bool{
		"": true, "policy": true, "policy/assets": true, "policy/assets/web.json": true,
		"scripts": true, "scripts/run.sh": true,
	}
	for p, meta := range before {
		switch {
		case p == "a" || p == "a/b.txt":
			if _, ok := after[p]; ok {
				t.Errorf("%s is still there after removing a/b.txt", p)
			}
		case changed[p]:
			if after[p] == meta {
				t.Errorf("%s did not change: %s", p, meta)
			}
		case after[p] != meta:
			// Unchanged files and whole subtrees (policy/assets/db,
			// shared, vendor, a-b) keep their objects.
			t.Errorf("%s changed from %q to %q", p, meta, after[p])
		}
	}
	for p, mode := range map[string]string{"state/assets/web-1.json": "100644", "scripts/run.sh": "100755", "policy/assets/web.json": "100644", "state": "040000"} {
		if !strings.HasPrefix(after[p], mode+" ") {
			t.Errorf("%s is %q, want mode %s", p, after[p], mode)
		}
	}
	if got := gitCmd(t, dir, "cat-file", "blob", "main:state/assets/web-1.json"); !bytes.Equal(got, binary) {
		t.Errorf("binary content did not round-trip")
	}
	checkTrailers(t, dir, "main", specTrailers[:1])
	// The committer defaults to the author.
	if who := strings.TrimSpace(string(gitCmd(t, dir, "log", "-1", "--format=%an %ae %at|%cn %ce %ct", "main"))); who != fmt.Sprintf("patchwave runner runner@example.com %d|patchwave runner runner@example.com %d", runner.When.Unix(), runner.When.Unix()) {
		t.Errorf("author|committer = %s", who)
	}
	fsck(t, dir)

	// Removing the last file of the repository leaves an empty tree
	// behind, and the folders above it go.
	h2, err := s.Commit(context.Background(), gitstore.CommitRequest{
		Branch: "main", Parent: h, Message: "remove", Author: runner,
		Remove: []string{"state/assets/web-1.json"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := objects(t, dir, h2.String())["state"]; ok {
		t.Error("state/ is still there after removing its only file")
	}
}

func TestCommitConflict(t *testing.T) {
	t.Parallel()
	dir := buildRepo(t)
	s := gitstore.NewStore(open(t, dir))
	parent := revParse(t, dir, "main")
	req := func(name string, parent plumbing.Hash) gitstore.CommitRequest {
		return gitstore.CommitRequest{Branch: "main", Parent: parent, Message: name, Author: runner,
			Files: map[string][]byte{"state/" + name: []byte(name)}}
	}
	first, err := s.Commit(context.Background(), req("first", parent))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		branch         string
		parent, actual plumbing.Hash
	}{
		{"same parent", "main", parent, first},
		{"creating an existing branch", "main", plumbing.ZeroHash, first},
		{"a branch that does not exist", "gone", parent, plumbing.ZeroHash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req("second", tc.parent)
			r.Branch = tc.branch
			_, err := s.Commit(context.Background(), r)
			if !errors.Is(err, gitstore.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			var ce *gitstore.ConflictError
			if !errors.As(err, &ce) || ce.Branch != tc.branch || ce.Expected != tc.parent || ce.Actual != tc.actual {
				t.Errorf("err = %#v, want branch %q expected %s actual %s", ce, tc.branch, tc.parent, tc.actual)
			}
			if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("%q", tc.branch)) {
				t.Errorf("error does not name the branch: %s", msg)
			}
			if got := revParse(t, dir, "main"); got != first {
				t.Errorf("main moved to %s, want %s", got, first)
			}
		})
	}
	// The retry a caller makes: rebase onto where the branch is.
	if _, err := s.Commit(context.Background(), req("second", first)); err != nil {
		t.Errorf("retry on the new head: %v", err)
	}
}

// TestCommitConcurrent races commits on one parent; run it with -race.
func TestCommitConcurrent(t *testing.T) {
	t.Parallel()
	dir := buildRepo(t)
	repo := open(t, dir)
	s := gitstore.NewStore(repo)
	parent := revParse(t, dir, "main")
	const n = 8
	hashes := make([]plumbing.Hash, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			hashes[i], errs[i] = s.Commit(context.Background(), gitstore.CommitRequest{
				Branch: "main", Parent: parent, Message: fmt.Sprintf("runner %d", i), Author: runner,
				Files: map[string][]byte{fmt.Sprintf("state/runner-%d.json", i): []byte("{}")},
			})
		})
	}
	// Reads go on at the same time.
	wg.Go(func() {
		for range 20 {
			if _, err := gitstore.TreeFS(repo, parent.String(), "policy"); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	var winner plumbing.Hash
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
			winner = hashes[i]
		case !errors.Is(err, gitstore.ErrConflict):
			t.Errorf("runner %d: %v, want ErrConflict", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d commits won, want exactly one", wins)
	}
	if got := revParse(t, dir, "main"); got != winner {
		t.Errorf("main is at %s, the winner is %s", got, winner)
	}
	fsck(t, dir)
}

func TestCommitSign(t *testing.T) {
	t.Parallel()
	dir := buildRepo(t)
	s := gitstore.NewStore(open(t, dir))
	const sig = "-----BEGIN PGP SIGNATURE-----\n\nZmFrZQ==\n=abcd\n-----END PGP SIGNATURE-----\n"
	var payload []byte
	h, err := s.Commit(context.Background(), gitstore.CommitRequest{
		Branch: "main", Parent: revParse(t, dir, "main"), Message: "signed", Trailers: specTrailers, Author: runner,
		Files: map[string][]byte{"state/x": []byte("x")},
		Sign: func(p []byte) (string, error) {
			payload = p
			return sig, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := string(gitCmd(t, dir, "cat-file", "commit", h.String()))
	header, _, _ := strings.Cut(raw, "\n\n")
	if !strings.Contains(header, "\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n ZmFrZQ==\n") {
		t.Errorf("no gpgsig header in:\n%s", raw)
	}
	// What was signed is the commit without its gpgsig header, which is
	// what `git verify-commit` hands to gpg.
	var unsigned []string
	inSig := false
	for _, line := range strings.SplitAfter(raw, "\n") {
		if strings.HasPrefix(line, "gpgsig ") {
			inSig = true
			continue
		}
		if inSig && strings.HasPrefix(line, " ") {
			continue
		}
		inSig = false
		unsigned = append(unsigned, line)
	}
	if string(payload) != strings.Join(unsigned, "") {
		t.Errorf("signed payload:\n%s\nwant the commit without gpgsig:\n%s", payload, strings.Join(unsigned, ""))
	}
	checkTrailers(t, dir, "main", specTrailers)
	fsck(t, dir)

	t.Run("a signer's error stops the commit", func(t *testing.T) {
		before := revParse(t, dir, "main")
		_, err := s.Commit(context.Background(), gitstore.CommitRequest{
			Branch: "main", Parent: before, Message: "x", Author: runner,
			Sign: func([]byte) (string, error) { return "", errors.New("no key") },
		})
		if err == nil || !strings.Contains(err.Error(), "no key") {
			t.Errorf("err = %v, want the signer's", err)
		}
		if got := revParse(t, dir, "main"); got != before {
			t.Errorf("main moved")
		}
	})
}

func TestCommitRejectsBadRequests(t *testing.T) {
	t.Parallel()
	dir := buildRepo(t)
	s := gitstore.NewStore(open(t, dir))
	parent := revParse(t, dir, "main")
	ok := gitstore.CommitRequest{Branch: "main", Parent: parent, Message: "m", Author: runner}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		edit func(*gitstore.CommitRequest)
		ctx  context.Context
		want string
	}{
		{"dot-dot", func(r *gitstore.CommitRequest) { r.Files = map[string][]byte{"../x": nil} }, nil, `"../x"`},
		{"absolute", func(r *gitstore.CommitRequest) { r.Files = map[string][]byte{"/etc/x": nil} }, nil, `"/etc/x"`},
		{"trailing slash", func(r *gitstore.CommitRequest) { r.Files = map[string][]byte{"state/": nil} }, nil, `"state/"`},
		{".git", func(r *gitstore.CommitRequest) { r.Files = map[string][]byte{"state/.GIT/config": nil} }, nil, ".git"},
		{"a folder", func(r *gitstore.CommitRequest) { r.Files = map[string][]byte{"policy/assets": nil} }, nil, `"policy/assets"`},
		{"remove a folder", func(r *gitstore.CommitRequest) { r.Remove = []string{"policy"} }, nil, `"policy"`},
		{"below a file", func(r *gitstore.CommitRequest) { r.Files = map[string][]byte{"a.txt/x": nil} }, nil, `"a.txt"`},
		{"write and remove", func(r *gitstore.CommitRequest) {
			r.Files = map[string][]byte{"x": nil}
			r.Remove = []string{"x"}
		}, nil, `"x"`},
		{"file and folder", func(r *gitstore.CommitRequest) { r.Files = map[string][]byte{"x": nil, "x/y": nil} }, nil, `"x`},
		{"no subject", func(r *gitstore.CommitRequest) { r.Message = "\n\nbody" }, nil, "subject"},
		{"trailer key", func(r *gitstore.CommitRequest) { r.Trailers = []gitstore.Trailer{{"Bad Key", "v"}} }, nil, `"Bad Key"`},
		{"trailer value", func(r *gitstore.CommitRequest) { r.Trailers = []gitstore.Trailer{{"K", "a\nb"}} }, nil, "one non-empty line"},
		{"no author", func(r *gitstore.CommitRequest) { r.Author = object.Signature{} }, nil, "author"},
		{"committer email", func(r *gitstore.CommitRequest) {
			r.Committer = &object.Signature{Name: "x", Email: "<x>"}
		}, nil, "committer"},
		{"branch", func(r *gitstore.CommitRequest) { r.Branch = "bad..name" }, nil, `"bad..name"`},
		{"cancelled", func(*gitstore.CommitRequest) {}, cancelled, "canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			_, err := s.Commit(ctx, r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one with %s", err, tc.want)
			}
			if got := revParse(t, dir, "main"); got != parent {
				t.Errorf("main moved")
			}
		})
	}
}

func TestRepack(t *testing.T) {
	t.Parallel()
	needGit(t)
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q", "-b", "main")
	commit(t, dir, "initial", map[string]string{"policy/policy.cue": policyV1, "README.md": "x\n"})
	gitCmd(t, dir, "repack", "-q", "-a", "-d")
	repo := open(t, dir)
	s := gitstore.NewStore(repo)
	parent := revParse(t, dir, "main")
	for i := range 3 {
		h, err := s.Commit(context.Background(), gitstore.CommitRequest{Branch: "main", Parent: parent, Message: "m", Author: runner,
			Files: map[string][]byte{fmt.Sprintf("audit/%d.json", i): []byte(fmt.Sprint(i))}})
		if err != nil {
			t.Fatal(err)
		}
		parent = h
	}
	if err := s.Repack(); err != nil {
		t.Fatal(err)
	}
	counts := "\n" + string(gitCmd(t, dir, "count-objects", "-v"))
	if !strings.Contains(counts, "\ncount: 0\n") || !strings.Contains(counts, "\npacks: 1\n") {
		t.Errorf("after Repack, git count-objects -v:\n%s\nwant no loose objects and one pack", counts)
	}
	fsck(t, dir)
	// The same repository reads and commits on after its packs changed.
	fsys, err := gitstore.TreeFS(repo, "main", "")
	if err != nil {
		t.Fatal(err)
	}
	if data, err := fs.ReadFile(fsys, "policy/policy.cue"); err != nil || string(data) != policyV1 {
		t.Errorf("reading after Repack: %q, %v", data, err)
	}
	if _, err := s.Commit(context.Background(), gitstore.CommitRequest{Branch: "main", Parent: parent, Message: "m", Author: runner,
		Files: map[string][]byte{"audit/3.json": []byte("3")}}); err != nil {
		t.Errorf("commit after Repack: %v", err)
	}

	t.Run("in memory", func(t *testing.T) {
		repo, err := git.Init(memory.NewStorage(), nil)
		if err != nil {
			t.Fatal(err)
		}
		s := gitstore.NewStore(repo)
		h, err := s.Commit(context.Background(), gitstore.CommitRequest{Branch: "main", Message: "m", Author: runner,
			Files: map[string][]byte{"a/b": []byte("b")}})
		if err != nil {
			t.Fatal(err)
		}
		if head, _ := s.Head("main"); head != h {
			t.Errorf("Head = %s, want %s", head, h)
		}
		if err := s.Repack(); err != nil {
			t.Errorf("Repack in memory: %v", err)
		}
	})
	t.Run("submodule entry", func(t *testing.T) {
		dir := buildRepo(t) // has a submodule entry without its objects
		before := string(gitCmd(t, dir, "count-objects", "-v"))
		if err := gitstore.NewStore(open(t, dir)).Repack(); err == nil {
			t.Error("Repack succeeded, though go-git cannot walk a submodule entry")
		}
		if after := string(gitCmd(t, dir, "count-objects", "-v")); after != before {
			t.Errorf("a failed Repack changed the objects:\n%s\nwas:\n%s", after, before)
		}
		fsck(t, dir)
	})
}

// BenchmarkCommit commits one changed file into a tree of 10,000 files
// (PERF-NOTES: ~0.03 s with plumbing), onto loose objects as after a
// run and onto a pack as in a CI clone.
func BenchmarkCommit(b *testing.B) {
	loose, packed := benchRepo(b)
	for _, store := range []struct{ name, dir string }{{"loose", loose}, {"packed", packed}} {
		b.Run(store.name, func(b *testing.B) {
			s := gitstore.NewStore(open(b, store.dir))
			parent, err := s.Head("main")
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				i++
				parent, err = s.Commit(context.Background(), gitstore.CommitRequest{
					Branch: "main", Parent: parent, Author: runner,
					Message:  fmt.Sprintf("patchwave: record %d", i),
					Trailers: specTrailers,
					Files:    map[string][]byte{"assets/site-42/host-04242.json": []byte(fmt.Sprintf(`{"n": %d}`, i))},
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
