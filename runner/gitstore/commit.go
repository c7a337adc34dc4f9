package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// ErrConflict is wrapped by Commit's error when the branch is not where
// the request expected it: another writer committed first. The error is a
// *ConflictError with the branch's actual hash; rebase onto it and retry.
var ErrConflict = errors.New("branch moved")

// ConflictError says which branch moved and where it is now.
type ConflictError struct {
	Branch   string
	Expected plumbing.Hash // the request's Parent; zero: must not exist
	Actual   plumbing.Hash // zero when the branch does not exist
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("updating branch %q: expected it at %s, found it at %s: %v",
		e.Branch, hashOrNone(e.Expected), hashOrNone(e.Actual), ErrConflict)
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

func hashOrNone(h plumbing.Hash) string {
	if h.IsZero() {
		return "<none>"
	}
	return h.String()
}

// Store writes commits to a repository's object store and moves branches
// with a compare-and-swap. It never touches a working tree or an index:
// a branch that is checked out somewhere moves under that checkout, whose
// `git status` then shows the commit's changes undone.
//
// A Store is safe for concurrent use, also alongside TreeFS over the same
// repository: writes take turns with this package's reads.
type Store struct {
	repo *git.Repository
}

// NewStore returns a Store over repo (from Open, or any go-git repository,
// in memory too).
func NewStore(repo *git.Repository) *Store { return &Store{repo: repo} }

// Trailer is one git trailer, rendered "Key: Value".
type Trailer struct {
	Key, Value string
}

// CommitRequest describes one commit on top of Parent.
type CommitRequest struct {
	// Branch is the branch to move, "main" or "refs/heads/main".
	Branch string
	// Parent is where the branch must be for the commit to land (the
	// compare-and-swap value); the zero hash means the branch must not
	// exist yet, and the commit is a root commit.
	Parent plumbing.Hash
	// Files are written whole, by slash path from the top of the
	// repository, replacing or adding a regular file; a file that was
	// executable stays so. Nothing else in Parent's tree changes.
	Files map[string][]byte
	// Remove lists files to delete; a path that does not exist is
	// ignored, so a retried request does not fail. Folders left empty
	// disappear, as git stores none.
	Remove []string
	// Message is the subject line, then optionally a blank line and a
	// body. Trailing blank lines are dropped.
	Message string
	// Trailers follow the message after a blank line, in this order,
	// where `git interpret-trailers --parse` finds them. Keys are
	// letters, digits and '-'; values are one line.
	Trailers []Trailer
	// Author is required but for When, which defaults to now. Committer
	// defaults to Author, and its When to Author's.
	Author    object.Signature
	Committer *object.Signature
	// Sign, when set, signs the commit: it gets the encoded commit
	// without a signature, as `git verify-commit` checks it, and returns
	// an ASCII-armored signature for the gpgsig header.
	Sign func(payload []byte) (signature string, err error)
}

// Head returns the hash branch points at, or the zero hash if the branch
// does not exist: the value for CommitRequest.Parent either way.
func (s *Store) Head(branch string) (plumbing.Hash, error) {
	name, err := branchRef(branch)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	storeMu.Lock()
	defer storeMu.Unlock()
	return s.head(name)
}

// head reads a branch. storeMu must be held.
func (s *Store) head(name plumbing.ReferenceName) (plumbing.Hash, error) {
	ref, err := s.repo.Reference(name, true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading branch %q: %w", name.Short(), err)
	}
	return ref.Hash(), nil
}

func branchRef(branch string) (plumbing.ReferenceName, error) {
	name := plumbing.NewBranchReferenceName(strings.TrimPrefix(branch, "refs/heads/"))
	if branch == "" || name.Validate() != nil {
		return "", fmt.Errorf("invalid branch name %q", branch)
	}
	return name, nil
}

// Commit writes req's files, the trees above them and a commit object,
// then moves the branch from req.Parent to the commit. If the branch is
// elsewhere it returns an error wrapping ErrConflict (a *ConflictError)
// and leaves the branch alone; the objects already written are harmless
// and go with the next gc.
//
// Only the trees on the paths of changed files are rewritten; every other
// subtree keeps its hash. Safe to call concurrently: calls take turns, and
// of several calls with the same Parent exactly one succeeds. Against
// other processes, moving an existing branch is a compare-and-swap under
// go-git's lock on the ref file (which the git CLI does not take);
// creating a branch is not.
func (s *Store) Commit(ctx context.Context, req CommitRequest) (plumbing.Hash, error) {
	name, err := branchRef(req.Branch)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	changes, err := buildChanges(req.Files, req.Remove)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing to %q: %w", req.Branch, err)
	}
	msg, err := renderMessage(req.Message, req.Trailers)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing to %q: %w", req.Branch, err)
	}
	author, committer, err := signatures(req.Author, req.Committer)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing to %q: %w", req.Branch, err)
	}
	if err := ctx.Err(); err != nil {
		return plumbing.ZeroHash, err
	}

	storeMu.Lock()
	defer storeMu.Unlock()

	// Check before writing anything: a conflict is the common failure
	// and costs nothing this way. The compare-and-swap below still
	// catches another process moving the branch in between.
	actual, err := s.head(name)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if actual != req.Parent {
		return plumbing.ZeroHash, &ConflictError{Branch: req.Branch, Expected: req.Parent, Actual: actual}
	}

	w := &treeWriter{s: s.repo.Storer}
	var base plumbing.Hash // the empty tree for a root commit
	var parents []plumbing.Hash
	if !req.Parent.IsZero() {
		pc, err := object.GetCommit(s.repo.Storer, req.Parent)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("committing to %q: reading parent %s: %w", req.Branch, req.Parent, err)
		}
		base, parents = pc.TreeHash, []plumbing.Hash{req.Parent}
	}
	tree, _, err := w.write(base, changes, "")
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing to %q: %w", req.Branch, err)
	}

	c := &object.Commit{
		Author:       author,
		Committer:    committer,
		Message:      msg,
		TreeHash:     tree,
		ParentHashes: parents,
	}
	if req.Sign != nil {
		payload := s.repo.Storer.NewEncodedObject()
		if err := c.EncodeWithoutSignature(payload); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("committing to %q: encoding commit: %w", req.Branch, err)
		}
		data, err := readObject(payload)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("committing to %q: encoding commit: %w", req.Branch, err)
		}
		if c.PGPSignature, err = req.Sign(data); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("committing to %q: signing: %w", req.Branch, err)
		}
	}
	obj := s.repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing to %q: encoding commit: %w", req.Branch, err)
	}
	h, err := w.store(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing to %q: %w", req.Branch, err)
	}

	// A cancelled run must not move the branch; the objects stay loose.
	if err := ctx.Err(); err != nil {
		return plumbing.ZeroHash, err
	}
	var old *plumbing.Reference
	if !req.Parent.IsZero() {
		old = plumbing.NewHashReference(name, req.Parent)
	}
	// go-git's check with a nil old is no check at all; creation relies
	// on the head check above.
	if err := s.repo.Storer.CheckAndSetReference(plumbing.NewHashReference(name, h), old); err != nil {
		if errors.Is(err, storage.ErrReferenceHasChanged) {
			actual, _ := s.head(name)
			return plumbing.ZeroHash, &ConflictError{Branch: req.Branch, Expected: req.Parent, Actual: actual}
		}
		return plumbing.ZeroHash, fmt.Errorf("committing to %q: updating %s: %w", req.Branch, name, err)
	}
	return h, nil
}

func readObject(o plumbing.EncodedObject) ([]byte, error) {
	r, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// signatures validates and completes the author and committer.
func signatures(author object.Signature, committer *object.Signature) (object.Signature, object.Signature, error) {
	if author.When.IsZero() {
		author.When = time.Now()
	}
	c := author
	if committer != nil {
		c = *committer
		if c.When.IsZero() {
			c.When = author.When
		}
	}
	for _, sig := range []struct {
		role string
		s    object.Signature
	}{{"author", author}, {"committer", c}} {
		if strings.TrimSpace(sig.s.Name) == "" || strings.TrimSpace(sig.s.Email) == "" {
			return author, c, fmt.Errorf("%s needs a name and an email, got %q <%s>", sig.role, sig.s.Name, sig.s.Email)
		}
		if strings.ContainsAny(sig.s.Name+sig.s.Email, "<>\n\x00") {
			return author, c, fmt.Errorf("%s %q <%s> contains '<', '>' or a newline", sig.role, sig.s.Name, sig.s.Email)
		}
	}
	return author, c, nil
}

// renderMessage appends the trailers as the message's last paragraph.
func renderMessage(msg string, trailers []Trailer) (string, error) {
	msg = strings.TrimRight(msg, " \t\r\n")
	subject, _, _ := strings.Cut(msg, "\n")
	if strings.TrimSpace(subject) == "" {
		return "", errors.New("the commit message needs a subject line")
	}
	var b strings.Builder
	b.WriteString(msg)
	b.WriteString("\n")
	for i, t := range trailers {
		if t.Key == "" || strings.TrimLeft(t.Key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != "" || t.Key[0] == '-' {
			return "", fmt.Errorf("trailer key %q: want letters, digits and '-'", t.Key)
		}
		v := strings.TrimSpace(t.Value)
		if v == "" || strings.ContainsAny(v, "\r\n\x00") {
			return "", fmt.Errorf("trailer %s: value %q must be one non-empty line", t.Key, t.Value)
		}
		if i == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s: %s\n", t.Key, v)
	}
	return b.String(), nil
}

// change is what a commit does inside one folder.
type change struct {
	files map[string][]byte  // name -> new content; nil content removes
	dirs  map[string]*change // name -> changes below it
}

func (c *change) dir(name string) *change {
	if c.dirs == nil {
		c.dirs = map[string]*change{}
	}
	d := c.dirs[name]
	if d == nil {
		d = &change{}
		c.dirs[name] = d
	}
	return d
}

// buildChanges sorts files and removals into a tree of changes, checking
// every path as git fsck would.
func buildChanges(files map[string][]byte, remove []string) (*change, error) {
	root := &change{}
	add := func(p string, data []byte) error {
		if p == "." || !fs.ValidPath(p) {
			return fmt.Errorf("invalid path %q: want a slash path inside the repository", p)
		}
		elems := strings.Split(p, "/")
		for _, e := range elems {
			if strings.EqualFold(e, ".git") {
				return fmt.Errorf("invalid path %q: git refuses a .git entry", p)
			}
		}
		c := root
		for _, e := range elems[:len(elems)-1] {
			if _, ok := c.files[e]; ok {
				return fmt.Errorf("path %q is below a file the same commit writes or removes", p)
			}
			c = c.dir(e)
		}
		base := elems[len(elems)-1]
		if _, ok := c.files[base]; ok {
			return fmt.Errorf("path %q is both written and removed", p)
		}
		if _, ok := c.dirs[base]; ok {
			return fmt.Errorf("path %q is a folder of another path in the same commit", p)
		}
		if c.files == nil {
			c.files = map[string][]byte{}
		}
		c.files[base] = data
		return nil
	}
	// Sorted, so that errors do not depend on map order.
	for _, p := range slices.Sorted(maps.Keys(files)) {
		data := files[p]
		if data == nil {
			data = []byte{} // nil means remove below
		}
		if err := add(p, data); err != nil {
			return nil, err
		}
	}
	for _, p := range remove {
		if err := add(p, nil); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// treeWriter writes blobs and trees to an object store.
type treeWriter struct {
	s storer.EncodedObjectStorer
}

// store writes obj unless the store has it already.
func (w *treeWriter) store(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	h := obj.Hash()
	if w.s.HasEncodedObject(h) == nil {
		return h, nil
	}
	if _, err := w.s.SetEncodedObject(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("writing %s %s: %w", obj.Type(), h, err)
	}
	return h, nil
}

func (w *treeWriter) blob(data []byte) (plumbing.Hash, error) {
	obj := w.s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	wr, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := wr.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := wr.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return w.store(obj)
}

// write applies c to tree base (zero: none) at folder dir and returns the
// new tree's hash, and whether it has no entries.
func (w *treeWriter) write(base plumbing.Hash, c *change, dir string) (plumbing.Hash, bool, error) {
	var entries []object.TreeEntry
	if !base.IsZero() {
		t, err := object.GetTree(w.s, base)
		if err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("reading tree %s (%q): %w", base, dir, err)
		}
		entries = slices.Clone(t.Entries)
	}
	find := func(name string) int {
		return slices.IndexFunc(entries, func(e object.TreeEntry) bool { return e.Name == name })
	}
	for name, data := range c.files {
		p := path.Join(dir, name)
		i := find(name)
		if i >= 0 && (entries[i].Mode == filemode.Dir || entries[i].Mode == filemode.Submodule) {
			return plumbing.ZeroHash, false, fmt.Errorf("cannot write or remove %q: it is a folder", p)
		}
		if data == nil { // remove
			if i >= 0 {
				entries = slices.Delete(entries, i, i+1)
			}
			continue
		}
		h, err := w.blob(data)
		if err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("writing %q: %w", p, err)
		}
		mode := filemode.Regular
		if i >= 0 && entries[i].Mode == filemode.Executable {
			mode = filemode.Executable
		}
		e := object.TreeEntry{Name: name, Mode: mode, Hash: h}
		if i >= 0 {
			entries[i] = e
		} else {
			entries = append(entries, e)
		}
	}
	for name, sub := range c.dirs {
		p := path.Join(dir, name)
		i := find(name)
		var subBase plumbing.Hash
		if i >= 0 {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, false, fmt.Errorf("cannot write below %q: it is not a folder", p)
			}
			subBase = entries[i].Hash
		}
		h, empty, err := w.write(subBase, sub, p)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		switch {
		case empty && i >= 0:
			entries = slices.Delete(entries, i, i+1)
		case empty: // only removals of what was not there
		case i >= 0:
			entries[i].Hash = h
		default:
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
		}
	}
	if len(entries) == 0 && dir != "" { // the root may be empty
		return plumbing.ZeroHash, true, nil
	}
	// Git orders entries by name, a folder's name as if it ended in '/'.
	slices.SortFunc(entries, func(a, b object.TreeEntry) int {
		return strings.Compare(sortName(a), sortName(b))
	})
	t := &object.Tree{Entries: entries}
	obj := w.s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("encoding tree %q: %w", dir, err)
	}
	h, err := w.store(obj)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	return h, false, nil
}

func sortName(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

// Repack writes every object reachable from a ref into one new pack,
// deletes the old packs and then the loose copies of packed objects
// (what `git prune-packed` does). go-git writes only loose objects, which
// barely slow go-git but slow the git CLI that auditors use 3–20 times;
// call Repack now and then, for example after a run. Skipping it is safe.
//
// It returns nil at once for storage that has no packs (in memory).
// go-git's repack walks refs only: objects reachable only from reflogs,
// another worktree's HEAD or an index are dropped if an old pack held
// them, and it fails, changing nothing, on a shallow clone or a tree with
// a submodule entry (it looks for the commit a submodule names). Use it
// on the runner's own full clone.
func (s *Store) Repack() error {
	// go-git's memory storage lists packs but cannot write one.
	if _, ok := s.repo.Storer.(storer.PackfileWriter); !ok {
		return nil
	}
	storeMu.Lock()
	defer storeMu.Unlock()
	err := s.repo.RepackObjects(&git.RepackConfig{})
	if errors.Is(err, git.ErrPackedObjectsNotSupported) {
		return nil
	}
	// The old packs are gone; go-git's index of them must go too.
	if r, ok := s.repo.Storer.(interface{ Reindex() }); ok {
		r.Reindex()
	}
	if err != nil {
		return fmt.Errorf("repacking: %w", err)
	}
	if err := s.prunePacked(); err != nil {
		return fmt.Errorf("repacking: removing packed loose objects: %w", err)
	}
	return nil
}

// prunePacked deletes loose objects that a pack holds. storeMu must be
// held.
func (s *Store) prunePacked() error {
	st, ok := s.repo.Storer.(*filesystem.Storage)
	if !ok {
		return nil
	}
	packs, err := st.ObjectPacks()
	if err != nil {
		return err
	}
	var idxs []*idxfile.MemoryIndex
	for _, h := range packs {
		f, err := st.Filesystem().Open(path.Join("objects", "pack", "pack-"+h.String()+".idx"))
		if err != nil {
			return err
		}
		idx := idxfile.NewMemoryIndex()
		err = idxfile.NewDecoder(f).Decode(idx)
		f.Close()
		if err != nil {
			return fmt.Errorf("reading pack index %s: %w", h, err)
		}
		idxs = append(idxs, idx)
	}
	var packed []plumbing.Hash
	err = st.ForEachObjectHash(func(h plumbing.Hash) error {
		for _, idx := range idxs {
			if ok, _ := idx.Contains(h); ok {
				packed = append(packed, h)
				break
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, h := range packed {
		if err := st.DeleteLooseObject(h); err != nil {
			return err
		}
	}
	return nil
}
