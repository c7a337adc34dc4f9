package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/patchwave/patchwave/policy"
)

// ErrUnknownRevision is wrapped by TreeFS's error when rev names no commit.
var ErrUnknownRevision = errors.New("unknown revision")

var (
	errIsDir        = errors.New("is a directory")
	errTooManyLinks = errors.New("too many levels of symbolic links")
)

// maxLinks bounds how many symbolic links one lookup follows, as Linux does.
const maxLinks = 40

// TreeFS returns the files of a commit's tree as an fs.FS rooted at the
// folder dir ("" or "." for the top of the repository). rev is anything
// go-git's ResolveRevision accepts: a branch, a tag, a hash or its prefix,
// "HEAD~1".
//
// The FS reads objects from the repository's object store; it needs no
// checkout and ignores the working tree. It implements fs.ReadFileFS,
// fs.ReadDirFS, fs.StatFS and fs.ReadLinkFS. Symbolic links are followed
// while they stay inside the repository; a submodule reads as an empty
// folder, as in a checkout that did not initialise it. Every entry has the
// commit's time as its ModTime, and FileInfo.Sys returns the object's
// Object with the blob's hash, so callers can cache what they derive from
// a file by its content.
//
// The FS is safe for concurrent use, also alongside other FSs over the
// same repository: reads through this package take turns, because
// go-git's storage is not safe for concurrent use. Code outside this
// package must not use the repository's objects at the same moment.
func TreeFS(repo *git.Repository, rev string, dir string) (fs.FS, error) {
	storeMu.Lock()
	commit, err := resolveCommit(repo, rev)
	storeMu.Unlock()
	if err != nil {
		return nil, err
	}
	f := &treeFS{
		s:       repo.Storer,
		top:     commit.TreeHash,
		modTime: commit.Committer.When,
		trees:   map[plumbing.Hash]*object.Tree{},
	}
	if dir == "" {
		dir = "."
	}
	root, err := f.lookup("open", path.Clean(dir), true)
	if err != nil {
		return nil, fmt.Errorf("reading %q at %q: %w", dir, rev, err)
	}
	if !root.isDir() {
		return nil, fmt.Errorf("reading %q at %q: not a directory", dir, rev)
	}
	// Keep the path to dir rather than its tree hash, so that links
	// inside dir can still point to ".." and beyond.
	if dir := path.Clean(dir); dir != "." {
		f.base = strings.Split(dir, "/")
	}
	return f, nil
}

// resolveCommit finds the commit rev names. storeMu must be held.
func resolveCommit(repo *git.Repository, rev string) (*object.Commit, error) {
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		// go-git reports a missing ref as ErrReferenceNotFound, and a
		// "~N" beyond the root commit as a bare io.EOF.
		if errors.Is(err, plumbing.ErrReferenceNotFound) || errors.Is(err, io.EOF) {
			err = ErrUnknownRevision
		}
		return nil, fmt.Errorf("resolving revision %q: %w", rev, err)
	}
	commit, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s (%q): %w", h, rev, err)
	}
	return commit, nil
}

// treeFS is the fs.FS over one commit's tree.
type treeFS struct {
	s       storer.EncodedObjectStorer
	top     plumbing.Hash // the commit's root tree
	base    []string      // the path of the FS's root below top
	modTime time.Time

	trees map[plumbing.Hash]*object.Tree // trees decoded so far, by hash; guarded by storeMu
}

// storeMu serialises every read of a repository's object store through
// this package, and guards the FSs' tree caches. go-git's storage is not
// safe for concurrent use once it keeps pack files open (as Open's
// repositories do), and two FSs over one repository share that storage.
var storeMu sync.Mutex

var (
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
	_ fs.ReadLinkFS = (*treeFS)(nil)
)

// node is one tree entry, or the root.
type node struct {
	name string // base name as the caller asked for it; "." for the root
	mode filemode.FileMode
	hash plumbing.Hash
}

func (n node) isDir() bool {
	return n.mode == filemode.Dir || n.mode == filemode.Submodule
}

// fsMode maps git's few file modes to io/fs's.
func (n node) fsMode() fs.FileMode {
	switch n.mode {
	case filemode.Dir, filemode.Submodule:
		return fs.ModeDir | 0o755
	case filemode.Executable:
		return 0o755
	case filemode.Symlink:
		return fs.ModeSymlink | 0o777
	default:
		return 0o644
	}
}

func (f *treeFS) Open(name string) (fs.File, error) {
	n, err := f.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return &dirFile{fs: f, node: n, path: name}, nil
	}
	return &file{fs: f, node: n, path: name}, nil
}

func (f *treeFS) ReadFile(name string) ([]byte, error) {
	n, err := f.lookup("readfile", name, true)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errIsDir}
	}
	storeMu.Lock()
	defer storeMu.Unlock()
	data, err := f.blob(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return data, nil
}

func (f *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	entries, err := f.entries(n)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return entries, nil
}

func (f *treeFS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.lookup("stat", name, true)
	if err != nil {
		return nil, err
	}
	return f.info(n, "stat", name)
}

func (f *treeFS) Lstat(name string) (fs.FileInfo, error) {
	n, err := f.lookup("lstat", name, false)
	if err != nil {
		return nil, err
	}
	return f.info(n, "lstat", name)
}

func (f *treeFS) ReadLink(name string) (string, error) {
	n, err := f.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	storeMu.Lock()
	defer storeMu.Unlock()
	target, err := f.blob(n.hash)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(target), nil
}

var errNotDir = errors.New("not a directory")

// lookup finds name by descending tree entries from the commit's root
// tree, following symbolic links on the way and, if follow, at the end.
// Errors are *fs.PathError with op and name.
func (f *treeFS) lookup(op, name string, follow bool) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	storeMu.Lock()
	defer storeMu.Unlock()
	n, err := f.lookupLocked(name, follow)
	if err != nil {
		return node{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if name == "." {
		n.name = "."
	} else {
		n.name = path.Base(name)
	}
	return n, nil
}

func (f *treeFS) lookupLocked(name string, follow bool) (node, error) {
	pending := slices.Clone(f.base)
	if name != "." {
		pending = append(pending, strings.Split(name, "/")...)
	}
	// stack holds the folders walked so far, from the commit's root.
	stack := []node{{mode: filemode.Dir, hash: f.top}}
	links := 0
	for len(pending) > 0 {
		elem := pending[0]
		pending = pending[1:]
		dir := stack[len(stack)-1]
		switch {
		case elem == "" || elem == ".": // only from link targets
			continue
		case elem == "..": // only from link targets
			if len(stack) == 1 {
				return node{}, fs.ErrNotExist // points outside the repository
			}
			stack = stack[:len(stack)-1]
			continue
		case !dir.isDir():
			return node{}, errNotDir
		case dir.mode == filemode.Submodule:
			return node{}, fs.ErrNotExist // its objects are not in this repository
		}
		t, err := f.tree(dir.hash)
		if err != nil {
			return node{}, err
		}
		e, err := t.FindEntry(elem)
		if err != nil {
			return node{}, fs.ErrNotExist
		}
		n := node{name: e.Name, mode: e.Mode, hash: e.Hash}
		if n.mode == filemode.Symlink && (len(pending) > 0 || follow) {
			if links++; links > maxLinks {
				return node{}, errTooManyLinks
			}
			target, err := f.blob(n.hash)
			if err != nil {
				return node{}, err
			}
			if path.IsAbs(string(target)) {
				return node{}, fs.ErrNotExist // points outside the repository
			}
			pending = append(strings.Split(string(target), "/"), pending...)
			continue
		}
		stack = append(stack, n)
	}
	return stack[len(stack)-1], nil
}

// tree returns the decoded tree object h. storeMu must be held.
func (f *treeFS) tree(h plumbing.Hash) (*object.Tree, error) {
	if t, ok := f.trees[h]; ok {
		return t, nil
	}
	t, err := object.GetTree(f.s, h)
	if err != nil {
		return nil, fmt.Errorf("reading tree %s: %w", h, err)
	}
	f.trees[h] = t
	return t, nil
}

// blob returns the content of blob h. storeMu must be held.
func (f *treeFS) blob(h plumbing.Hash) ([]byte, error) {
	obj, err := f.s.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", h, err)
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", h, err)
	}
	defer r.Close()
	data := make([]byte, obj.Size())
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", h, err)
	}
	return data, nil
}

// info describes n; only a file's size needs the object store.
func (f *treeFS) info(n node, op, name string) (fs.FileInfo, error) {
	fi := &fileInfo{name: n.name, mode: n.fsMode(), modTime: f.modTime, hash: n.hash}
	if n.isDir() {
		return fi, nil
	}
	storeMu.Lock()
	defer storeMu.Unlock()
	size, err := f.s.EncodedObjectSize(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("reading blob %s: %w", n.hash, err)}
	}
	fi.size = size
	return fi, nil
}

// entries lists folder n, sorted by name as fs.ReadDirFS requires (git
// sorts a folder "a" as "a/", after "a.txt").
func (f *treeFS) entries(n node) ([]fs.DirEntry, error) {
	if n.mode == filemode.Submodule {
		return []fs.DirEntry{}, nil
	}
	storeMu.Lock()
	t, err := f.tree(n.hash)
	storeMu.Unlock()
	if err != nil {
		return nil, err
	}
	list := make([]fs.DirEntry, len(t.Entries))
	for i, e := range t.Entries {
		list[i] = &dirEntry{fs: f, node: node{name: e.Name, mode: e.Mode, hash: e.Hash}}
	}
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return list, nil
}

type fileInfo struct {
	name    string
	mode    fs.FileMode
	size    int64
	modTime time.Time
	hash    plumbing.Hash
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.modTime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }

// Sys returns the git object's hash as an Object.
func (fi *fileInfo) Sys() any { return Object{Hash: fi.hash} }

// Object is what FileInfo.Sys returns for an entry of a TreeFS: the hash
// of its git object, by which callers can cache what they derive from a
// file without reading it (policy.Cache does).
type Object struct {
	Hash plumbing.Hash
}

// GitBlobHash returns the object's hash in hex (policy.GitBlobHasher).
func (o Object) GitBlobHash() string { return o.Hash.String() }

func (o Object) String() string { return o.Hash.String() }

var _ policy.GitBlobHasher = Object{}

type dirEntry struct {
	fs   *treeFS
	node node
}

func (d *dirEntry) Name() string      { return d.node.name }
func (d *dirEntry) IsDir() bool       { return d.node.isDir() }
func (d *dirEntry) Type() fs.FileMode { return d.node.fsMode().Type() }

// Info describes the entry itself, not a link's target, and reads the
// object store only for a file's size, only when asked.
func (d *dirEntry) Info() (fs.FileInfo, error) { return d.fs.info(d.node, "stat", d.node.name) }

func (d *dirEntry) String() string { return fs.FormatDirEntry(d) }

// GitBlobHash returns the entry's object hash (policy.GitBlobHasher):
// unlike Info, it does not read the object store for a size.
func (d *dirEntry) GitBlobHash() string { return d.node.hash.String() }

var _ policy.GitBlobHasher = (*dirEntry)(nil)

// file is an open regular file (or a followed link to one). Its content
// is read on the first Read, Seek or ReadAt.
type file struct {
	fs     *treeFS
	node   node
	path   string
	r      *bytes.Reader
	closed bool
}

func (fl *file) Stat() (fs.FileInfo, error) {
	if fl.closed {
		return nil, &fs.PathError{Op: "stat", Path: fl.path, Err: fs.ErrClosed}
	}
	return fl.fs.info(fl.node, "stat", fl.path)
}

func (fl *file) load(op string) error {
	if fl.closed {
		return &fs.PathError{Op: op, Path: fl.path, Err: fs.ErrClosed}
	}
	if fl.r != nil {
		return nil
	}
	storeMu.Lock()
	data, err := fl.fs.blob(fl.node.hash)
	storeMu.Unlock()
	if err != nil {
		return &fs.PathError{Op: op, Path: fl.path, Err: err}
	}
	fl.r = bytes.NewReader(data)
	return nil
}

func (fl *file) Read(p []byte) (int, error) {
	if err := fl.load("read"); err != nil {
		return 0, err
	}
	return fl.r.Read(p)
}

func (fl *file) ReadAt(p []byte, off int64) (int, error) {
	if err := fl.load("read"); err != nil {
		return 0, err
	}
	return fl.r.ReadAt(p, off)
}

func (fl *file) Seek(offset int64, whence int) (int64, error) {
	if err := fl.load("seek"); err != nil {
		return 0, err
	}
	return fl.r.Seek(offset, whence)
}

func (fl *file) Close() error {
	if fl.closed {
		return &fs.PathError{Op: "close", Path: fl.path, Err: fs.ErrClosed}
	}
	fl.closed = true
	fl.r = nil
	return nil
}

// dirFile is an open folder; its entries are listed on the first ReadDir.
type dirFile struct {
	fs      *treeFS
	node    node
	path    string
	entries []fs.DirEntry
	listed  bool
	off     int
	closed  bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "stat", Path: d.path, Err: fs.ErrClosed}
	}
	return d.fs.info(d.node, "stat", d.path)
}

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: errIsDir}
}

// ReadDir follows fs.ReadDirFile: n > 0 returns at most n entries and
// io.EOF at the end; n <= 0 returns all that remain.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.path, Err: fs.ErrClosed}
	}
	if !d.listed {
		entries, err := d.fs.entries(d.node)
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: d.path, Err: err}
		}
		d.entries, d.listed = entries, true
	}
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.off += len(rest)
	return rest, nil
}

func (d *dirFile) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.path, Err: fs.ErrClosed}
	}
	d.closed = true
	return nil
}
