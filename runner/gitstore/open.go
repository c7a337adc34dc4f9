package gitstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// maxOpenPacks is how many pack files a repository from Open keeps open.
// go-git's default reopens the pack for every object it reads, which
// makes reading a 10,000-file tree from a clone about 10 times slower.
const maxOpenPacks = 8

// Open opens the git repository at path, the way the git CLI finds it:
// path itself (with a .git inside, or a bare repository), else the
// nearest parent with a .git, so --dir may name a folder inside the
// repository. Linked worktrees (a .git file with a commondir) work too.
//
// The repository keeps up to 8 pack files open while it is in use, which
// makes its object store unsafe for concurrent use: read it through this
// package, which takes turns, or from one goroutine at a time.
func Open(path string) (*git.Repository, error) {
	// Searching upwards from a path that does not exist would find any
	// repository above it.
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("opening git repository at %q: %w", path, err)
	}
	// go-git's DetectDotGit looks only for a .git in path and its parents,
	// so it never finds a bare repository; try path itself first.
	repo, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainOpenWithOptions(path, &git.PlainOpenOptions{
			DetectDotGit:          true,
			EnableDotGitCommonDir: true,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("opening git repository at %q: %w", path, err)
	}

	// PlainOpen offers no storage options; reopen what it found with
	// pack files kept open.
	st, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return repo, nil
	}
	var wt billy.Filesystem
	if w, err := repo.Worktree(); err == nil { // bare repositories have none
		wt = w.Filesystem
	}
	s := filesystem.NewStorageWithOptions(st.Filesystem(), cache.NewObjectLRUDefault(),
		filesystem.Options{MaxOpenDescriptors: maxOpenPacks})
	if repo, err = git.Open(s, wt); err != nil {
		return nil, fmt.Errorf("opening git repository at %q: %w", path, err)
	}
	return repo, nil
}

// OpenDir opens the repository that holds the folder dir (see Open) and
// returns dir's slash-separated path inside its work tree ("" for the
// top), as TreeFS and the runner take it.
func OpenDir(dir string) (*git.Repository, string, error) {
	repo, err := Open(dir)
	if err != nil {
		return nil, "", err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, "", fmt.Errorf("locating %q in its repository: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", err
	}
	rel, err := filepath.Rel(wt.Filesystem.Root(), abs)
	if err != nil {
		return nil, "", fmt.Errorf("locating %q in its repository: %w", dir, err)
	}
	if rel = filepath.ToSlash(filepath.Clean(rel)); rel == "." {
		rel = ""
	}
	return repo, rel, nil
}
