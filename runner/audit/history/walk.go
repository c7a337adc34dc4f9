package history

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Options name the history to read.
type Options struct {
	Repo *git.Repository
	// Dir is the policy folder inside the repository (slash-separated,
	// "" for the top).
	Dir string
	// Branch is the branch whose history is read.
	Branch string
}

// firstParents returns the branch's first-parent line of commits, oldest
// first.
func firstParents(ctx context.Context, o Options) ([]*object.Commit, error) {
	ref, err := o.Repo.Reference(plumbing.NewBranchReferenceName(strings.TrimPrefix(o.Branch, "refs/heads/")), true)
	if err != nil {
		return nil, fmt.Errorf("reading branch %q: %w", o.Branch, err)
	}
	var line []*object.Commit
	h := ref.Hash()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := o.Repo.CommitObject(h)
		if err != nil {
			return nil, fmt.Errorf("reading commit %s: %w", h, err)
		}
		line = append(line, c)
		if len(c.ParentHashes) == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	for i, j := 0, len(line)-1; i < j; i, j = i+1, j-1 {
		line[i], line[j] = line[j], line[i]
	}
	return line, nil
}

// entry is a tree entry, or the zero entry when there is none.
type entry struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// snapshot is a commit with its root tree read once, and what verify
// derives from it, kept for the next commit, whose first parent it is.
type snapshot struct {
	c    *object.Commit
	root *object.Tree
	key  string // configKey, "" until asked
}

func newSnapshot(c *object.Commit) (*snapshot, error) {
	root, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", c.Hash, err)
	}
	return &snapshot{c: c, root: root}, nil
}

// lookup returns the entry at p in the snapshot's tree, or the zero entry
// (also for no snapshot: the parent of the root commit).
func (s *snapshot) lookup(p string) entry {
	if s == nil {
		return entry{}
	}
	if p == "" || p == "." {
		return entry{hash: s.c.TreeHash, mode: filemode.Dir}
	}
	e, err := s.root.FindEntry(p)
	if err != nil {
		return entry{} // absent
	}
	return entry{hash: e.Hash, mode: e.Mode}
}

// fileChange is a file that differs between two trees.
type fileChange struct {
	path   string
	before plumbing.Hash // zero: added
	after  plumbing.Hash // zero: removed
}

// diffTree lists the files that differ under p between two trees,
// descending only into subtrees whose hashes differ.
func diffTree(repo *git.Repository, p string, a, b entry) ([]fileChange, error) {
	if a.hash == b.hash {
		return nil, nil
	}
	aDir, bDir := a.mode == filemode.Dir, b.mode == filemode.Dir
	if !aDir && !bDir {
		return []fileChange{{path: p, before: a.hash, after: b.hash}}, nil
	}
	entries := func(e entry, dir bool) (map[string]entry, error) {
		out := map[string]entry{}
		if e.hash.IsZero() {
			return out, nil
		}
		if !dir { // a file replaced by a folder, or the reverse
			out[""] = e
			return out, nil
		}
		t, err := repo.TreeObject(e.hash)
		if err != nil {
			return nil, fmt.Errorf("reading tree %s of %q: %w", e.hash, p, err)
		}
		for _, te := range t.Entries {
			out[te.Name] = entry{hash: te.Hash, mode: te.Mode}
		}
		return out, nil
	}
	ae, err := entries(a, aDir)
	if err != nil {
		return nil, err
	}
	be, err := entries(b, bDir)
	if err != nil {
		return nil, err
	}
	var out []fileChange
	for name, x := range ae {
		sub, err := diffTree(repo, path.Join(p, name), x, be[name])
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	for name, y := range be {
		if _, ok := ae[name]; !ok {
			sub, err := diffTree(repo, path.Join(p, name), entry{}, y)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
	}
	return out, nil
}
