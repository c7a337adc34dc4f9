package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	commitgraph "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// ErrNoCommit is wrapped by Compute's error when the branch has no commit
// as old as the report's time.
var ErrNoCommit = errors.New("no commit is that old")

// commitAsOf finds the commit that rev (a branch, or any revision) pointed
// at as of at: the newest commit on its first-parent line whose committer
// time is not after at. At the head that is one object read; earlier, it
// reads one commit object per step back, and only its header (the
// parent and committer lines), never the message, the tree or a diff;
// where git wrote a commit-graph file, the walk reads that instead.
//
// The first-parent line is the branch's own history: merges of pull
// requests and the runner's commits land on it in order. A commit whose
// clock ran ahead would stop the walk early; git log --until makes the
// same assumption.
func commitAsOf(repo *git.Repository, rev string, at time.Time) (plumbing.Hash, time.Time, error) {
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, time.Time{}, fmt.Errorf("resolving %q: %w", rev, err)
	}
	graph := openCommitGraph(repo)
	if graph != nil {
		defer graph.Close()
	}
	for cur := *h; ; {
		if graph != nil {
			// Commits newer than the graph are not in it; their
			// ancestors from the first one in it on are.
			if i, err := graph.GetIndexByHash(cur); err == nil {
				return walkGraph(graph, i, rev, at)
			}
		}
		parent, when, err := commitHeader(repo, cur)
		if err != nil {
			return plumbing.ZeroHash, time.Time{}, err
		}
		if !when.After(at) {
			return cur, when, nil
		}
		if parent.IsZero() {
			return plumbing.ZeroHash, time.Time{}, noCommit(rev, when, at)
		}
		cur = parent
	}
}

// noCommit is the error for a walk that reached the root commit, from when.
func noCommit(rev string, when, at time.Time) error {
	return fmt.Errorf("%w: the first commit of %q is from %s, after %s",
		ErrNoCommit, rev, when.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
}

// openCommitGraph opens the commit-graph file that git writes (git gc,
// git commit-graph write), or returns nil when there is none or it cannot
// be read: it is only a faster way to the same answer. A single file is
// read whole into memory (about 60 bytes a commit), so that each step of
// the walk costs no system call.
func openCommitGraph(repo *git.Repository) commitgraph.Index {
	st, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return nil
	}
	fsys := st.Filesystem()
	if f, err := fsys.Open(path.Join("objects", "info", "commit-graph")); err == nil {
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil
		}
		idx, err := commitgraph.OpenFileIndex(memFile{bytes.NewReader(data)})
		if err != nil {
			return nil
		}
		return idx
	}
	idx, err := commitgraph.OpenChainIndex(fsys)
	if err != nil {
		return nil
	}
	return idx
}

// memFile is a commit-graph file in memory.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// walkGraph goes on with the walk in the commit graph from index i.
func walkGraph(g commitgraph.Index, i uint32, rev string, at time.Time) (plumbing.Hash, time.Time, error) {
	for {
		d, err := g.GetCommitDataByIndex(i)
		if err != nil {
			return plumbing.ZeroHash, time.Time{}, fmt.Errorf("reading the commit graph: %w", err)
		}
		if !d.When.After(at) {
			h, err := g.GetHashByIndex(i)
			if err != nil {
				return plumbing.ZeroHash, time.Time{}, fmt.Errorf("reading the commit graph: %w", err)
			}
			return h, d.When.UTC(), nil
		}
		if len(d.ParentIndexes) == 0 {
			return plumbing.ZeroHash, time.Time{}, noCommit(rev, d.When, at)
		}
		i = d.ParentIndexes[0]
	}
}

var (
	parentKey    = []byte("parent ")
	committerKey = []byte("committer ")
)

// commitHeader reads a commit's first parent and committer time from its
// header lines. Decoding the whole commit (object.Commit) costs as much
// again, for a message the walk does not need.
func commitHeader(repo *git.Repository, h plumbing.Hash) (plumbing.Hash, time.Time, error) {
	o, err := repo.Storer.EncodedObject(plumbing.CommitObject, h)
	if err != nil {
		return plumbing.ZeroHash, time.Time{}, fmt.Errorf("reading commit %s: %w", h, err)
	}
	r, err := o.Reader()
	if err != nil {
		return plumbing.ZeroHash, time.Time{}, fmt.Errorf("reading commit %s: %w", h, err)
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, 512)
	var parent plumbing.Hash
	var committer object.Signature
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			if errors.Is(err, bufio.ErrBufferFull) {
				// A long header line (a signature): skip the rest of it.
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = br.ReadSlice('\n')
				}
				if err == nil {
					continue
				}
			}
			return plumbing.ZeroHash, time.Time{}, fmt.Errorf("reading commit %s: no committer line: %w", h, err)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		switch {
		case len(line) == 0:
			return plumbing.ZeroHash, time.Time{}, fmt.Errorf("reading commit %s: no committer line", h)
		case parent.IsZero() && bytes.HasPrefix(line, parentKey):
			parent = plumbing.NewHash(string(line[len(parentKey):]))
		case bytes.HasPrefix(line, committerKey):
			committer.Decode(line[len(committerKey):])
			return parent, committer.When, nil
		}
	}
}
