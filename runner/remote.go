package runner

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/patchwave/patchwave/runner/gitstore"
)

// LockRef is the ref on the remote that holds the runner's lock: a commit
// whose message names the owner and when the lease expires. Creating it is
// a push without force, which the remote accepts only if the ref does not
// exist (its old-id check makes that a compare-and-swap), so two runners
// never hold it at once.
const LockRef = "refs/patchwave/lock"

const (
	localLock  = "refs/patchwave/local-lock"
	remoteLock = "refs/patchwave/remote-lock"
)

// RemoteOptions make Apply work against a remote: take the lock, start
// from the remote's branch, push every stage's commits, release the lock.
type RemoteOptions struct {
	Name string // the git remote, "origin"
	// LockTTL is how long the lease lasts; a runner that died holding it
	// is taken over after that. Default 1h.
	LockTTL time.Duration
	// ForceUnlock takes the lock even when another runner's lease has not
	// expired (for a runner known to be dead).
	ForceUnlock bool
	// Owner names this runner in the lock.
	Owner string
	// Clock is the real time that leases are measured in (not --at).
	Clock func() time.Time
	// Auth authenticates to the remote (an https token from the
	// environment); nil uses none, or ssh's agent for ssh remotes.
	Auth transport.AuthMethod
}

// acquire takes the lock on the remote.
func (a *applier) acquire(ctx context.Context) (plumbing.Hash, error) {
	r := a.o.Remote
	expires := r.Clock().Add(r.LockTTL).UTC()
	h, err := a.lockCommit(fmt.Sprintf("patchwave lock\n\nPatchwave-Lock-Owner: %s\nPatchwave-Lock-Expires: %s\n", r.Owner, expires.Format(time.RFC3339)))
	if err != nil {
		return h, err
	}
	err = a.o.Repo.PushContext(ctx, &git.PushOptions{RemoteName: r.Name, Auth: r.Auth, RefSpecs: []config.RefSpec{localLock + ":" + LockRef}})
	if err == nil {
		return h, nil
	}
	// Held: by whom, and until when?
	if ferr := a.o.Repo.FetchContext(ctx, &git.FetchOptions{RemoteName: r.Name, Auth: r.Auth, RefSpecs: []config.RefSpec{"+" + LockRef + ":" + remoteLock}}); ferr != nil && !errors.Is(ferr, git.NoErrAlreadyUpToDate) {
		return h, fmt.Errorf("taking the lock: %w (and reading it: %v)", err, ferr)
	}
	held, herr := a.o.Repo.Reference(remoteLock, true)
	if herr != nil {
		return h, fmt.Errorf("taking the lock: %w", err)
	}
	c, cerr := a.o.Repo.CommitObject(held.Hash())
	if cerr != nil {
		return h, fmt.Errorf("reading the lock: %w", cerr)
	}
	trailers := gitstore.Trailers(c.Message)
	trailer := func(key string) string {
		if v := gitstore.TrailerValues(trailers, key); len(v) > 0 {
			return v[0]
		}
		return "?"
	}
	owner, until := trailer("Patchwave-Lock-Owner"), trailer("Patchwave-Lock-Expires")
	end, _ := time.Parse(time.RFC3339, until)
	if !r.ForceUnlock && r.Clock().Before(end) {
		return h, fmt.Errorf("%w: the lock %s on %s is held by %s until %s (--force-unlock takes it from a runner known to be dead)", ErrRefused, LockRef, r.Name, owner, until)
	}
	// A forced update that names the old value: the remote updates the
	// ref only if it still holds the lease we read (its old-id check).
	err = a.o.Repo.PushContext(ctx, &git.PushOptions{RemoteName: r.Name, Auth: r.Auth, RefSpecs: []config.RefSpec{"+" + localLock + ":" + LockRef},
		RequireRemoteRefs: []config.RefSpec{config.RefSpec(held.Hash().String() + ":" + LockRef)}})
	if err != nil {
		return h, fmt.Errorf("%w: taking over the lock of %s failed (another runner was faster?): %v", ErrRefused, owner, err)
	}
	fmt.Fprintf(a.o.Log, "took over the lock of %s (expired %s)\n", owner, until)
	return h, nil
}

// release gives the lock back, only if it is still ours.
func (a *applier) release(ctx context.Context, h plumbing.Hash) error {
	err := a.o.Repo.PushContext(ctx, &git.PushOptions{RemoteName: a.o.Remote.Name, Auth: a.o.Remote.Auth, RefSpecs: []config.RefSpec{":" + LockRef},
		RequireRemoteRefs: []config.RefSpec{config.RefSpec(h.String() + ":" + LockRef)}})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("releasing the lock: %w", err)
	}
	return nil
}

// lockCommit stores a commit with an empty tree and msg, under localLock.
func (a *applier) lockCommit(msg string) (plumbing.Hash, error) {
	s := a.o.Repo.Storer
	tree := s.NewEncodedObject()
	if err := (&object.Tree{}).Encode(tree); err != nil {
		return plumbing.ZeroHash, err
	}
	th, err := s.SetEncodedObject(tree)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	sig := object.Signature{Name: a.o.Author.Name, Email: a.o.Author.Email, When: a.o.Remote.Clock()}
	obj := s.NewEncodedObject()
	if err := (&object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: th}).Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return h, s.SetReference(plumbing.NewHashReference(localLock, h))
}

// syncRemote makes the local branch the remote's, with the runner's
// commits that did not reach it (a run that died before pushing) replayed
// on top.
func (a *applier) syncRemote(ctx context.Context) error {
	remoteRef := plumbing.ReferenceName("refs/remotes/" + a.o.Remote.Name + "/" + branchName(a.o.Branch))
	err := a.o.Repo.FetchContext(ctx, &git.FetchOptions{RemoteName: a.o.Remote.Name, Auth: a.o.Remote.Auth,
		RefSpecs: []config.RefSpec{config.RefSpec("+refs/heads/" + branchName(a.o.Branch) + ":" + string(remoteRef))}})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetching %s: %w", a.o.Remote.Name, err)
	}
	theirs, err := a.o.Repo.Reference(remoteRef, true)
	if err != nil {
		return fmt.Errorf("the remote has no branch %q: %w", branchName(a.o.Branch), err)
	}
	ours, err := a.store.Head(a.o.Branch)
	if err != nil {
		return err
	}
	if ours == theirs.Hash() {
		return nil
	}
	local, err := a.localCommits(ours, theirs.Hash())
	if err != nil {
		return err
	}
	// Start from the remote's branch, then make the runner's own commits
	// again on top of it.
	ref := plumbing.NewHashReference(plumbing.NewBranchReferenceName(branchName(a.o.Branch)), theirs.Hash())
	if err := a.o.Repo.Storer.SetReference(ref); err != nil {
		return err
	}
	head := theirs.Hash()
	for _, c := range local {
		if head, err = a.replay(ctx, c, head); err != nil {
			return err
		}
	}
	return nil
}

// pushBranch pushes the branch, never by force. When the remote moved on
// (someone merged meanwhile), it rebuilds the runner's commits on the
// remote's head and tries again.
func (a *applier) pushBranch(ctx context.Context) error {
	spec := config.RefSpec("refs/heads/" + branchName(a.o.Branch) + ":refs/heads/" + branchName(a.o.Branch))
	var err error
	for range 5 {
		err = a.o.Repo.PushContext(ctx, &git.PushOptions{RemoteName: a.o.Remote.Name, Auth: a.o.Remote.Auth, RefSpecs: []config.RefSpec{spec}})
		if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil
		}
		fmt.Fprintf(a.o.Log, "push refused (%v): rebuilding the runner's commits on %s's head\n", err, a.o.Remote.Name)
		if serr := a.syncRemote(ctx); serr != nil {
			return serr
		}
	}
	return fmt.Errorf("pushing %s: %w", branchName(a.o.Branch), err)
}

// localCommits lists, oldest first, the commits of ours that theirs does
// not have. Commits that are not the runner's are an error: the branch
// was changed here by hand.
func (a *applier) localCommits(ours, theirs plumbing.Hash) ([]*object.Commit, error) {
	tc, err := a.o.Repo.CommitObject(theirs)
	if err != nil {
		return nil, err
	}
	var out []*object.Commit
	for h := ours; !h.IsZero(); {
		c, err := a.o.Repo.CommitObject(h)
		if err != nil {
			return nil, err
		}
		if isAncestor, _ := c.IsAncestor(tc); isAncestor || h == theirs {
			break
		}
		if !strings.HasPrefix(c.Message, "patchwave: ") {
			return nil, fmt.Errorf("%w: branch %q has commit %s that the remote lacks and that is not the runner's: push or drop it first", ErrRefused, branchName(a.o.Branch), c.Hash)
		}
		out = append([]*object.Commit{c}, out...)
		if c.NumParents() == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	return out, nil
}

// replay makes c's changes to state/ and audit/ again on top of head,
// with c's message and trailers.
func (a *applier) replay(ctx context.Context, c *object.Commit, head plumbing.Hash) (plumbing.Hash, error) {
	files := map[string][]byte{}
	var removed []string
	parent, err := c.Parent(0)
	if err != nil {
		return head, err
	}
	for _, dir := range []string{"state", "audit"} {
		p := path.Join(a.o.Dir, dir)
		now, before := subtreeFiles(c, p), subtreeFiles(parent, p)
		for name, blob := range now {
			if before[name] != blob {
				f, err := c.File(name)
				if err != nil {
					return head, err
				}
				data, err := f.Contents()
				if err != nil {
					return head, err
				}
				files[name] = []byte(data)
			}
		}
		for name := range before {
			if _, ok := now[name]; !ok {
				removed = append(removed, name)
			}
		}
	}
	author := c.Author
	h, err := a.store.Commit(ctx, gitstore.CommitRequest{Branch: a.o.Branch, Parent: head, Files: files, Remove: removed,
		Message: strings.TrimRight(c.Message, "\n"), Author: author, Committer: &c.Committer, Sign: a.o.Sign})
	if err != nil {
		return head, fmt.Errorf("replaying %s: %w", c.Hash, err)
	}
	return h, nil
}

// subtreeFiles maps the files under dir of a commit to their blob hashes.
func subtreeFiles(c *object.Commit, dir string) map[string]plumbing.Hash {
	out := map[string]plumbing.Hash{}
	tree, err := c.Tree()
	if err != nil {
		return out
	}
	sub, err := tree.Tree(dir)
	if err != nil {
		return out
	}
	sub.Files().ForEach(func(f *object.File) error {
		out[path.Join(dir, f.Name)] = f.Hash
		return nil
	})
	return out
}
