package gitstore

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// WorkTreeFS is os.DirFS(dir) for the folder dir of repo's work tree
// (rel is dir inside the repository, as OpenDir returns it), whose
// entries' FileInfo.Sys() tells the git blob hash of every file that the
// index records unchanged: same size and modification time, older than
// the index itself, as git status decides without reading the file. A
// cache keyed by blob hash (policy.Cache) then need not hash what it has
// seen in a commit: plan --base reads the working tree and a revision.
// Files the index does not know, or that changed, read as with DirFS.
func WorkTreeFS(repo *git.Repository, dir, rel string) fs.FS {
	inner := os.DirFS(dir)
	idx, err := repo.Storer.Index()
	if err != nil {
		return inner // no index: nothing known, nothing wrong
	}
	wt, err := repo.Worktree()
	if err != nil {
		return inner
	}
	st, err := os.Stat(filepath.Join(wt.Filesystem.Root(), ".git", "index"))
	if err != nil {
		return inner
	}
	known := map[string]indexed{}
	prefix := rel
	if prefix != "" {
		prefix += "/"
	}
	for _, e := range idx.Entries {
		if len(e.Name) > len(prefix) && e.Name[:len(prefix)] == prefix && e.ModifiedAt.Before(st.ModTime()) {
			known[e.Name[len(prefix):]] = indexed{hash: e.Hash, size: int64(e.Size), mtime: e.ModifiedAt}
		}
	}
	return &workTreeFS{FS: inner, known: known}
}

type indexed struct {
	hash  plumbing.Hash
	size  int64
	mtime time.Time
}

type workTreeFS struct {
	fs.FS
	known map[string]indexed
}

func (w *workTreeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(w.FS, name)
	if err != nil {
		return nil, err
	}
	for i, e := range entries {
		if k, ok := w.known[path.Join(name, e.Name())]; ok && e.Type().IsRegular() {
			entries[i] = indexedEntry{DirEntry: e, k: k}
		}
	}
	return entries, nil
}

func (w *workTreeFS) ReadFile(name string) ([]byte, error) { return fs.ReadFile(w.FS, name) }

type indexedEntry struct {
	fs.DirEntry
	k indexed
}

func (e indexedEntry) Info() (fs.FileInfo, error) {
	info, err := e.DirEntry.Info()
	if err != nil || info.Size() != e.k.size || !info.ModTime().Equal(e.k.mtime) {
		return info, err // changed since the index saw it: hash it
	}
	return indexedInfo{FileInfo: info, hash: e.k.hash}, nil
}

type indexedInfo struct {
	fs.FileInfo
	hash plumbing.Hash
}

// Sys returns the blob's hash as an Object, as a TreeFS entry's does.
func (i indexedInfo) Sys() any { return Object{Hash: i.hash} }
