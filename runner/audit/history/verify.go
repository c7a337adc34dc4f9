package history

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/audit"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// Kinds of tampering Verify reports.
const (
	KindNotRunner      = "not-a-runner-commit"    // state/ or audit/ changed by another commit
	KindOutside        = "runner-commit-outside"  // a runner commit changed other files
	KindRecordChanged  = "record-changed"         // a record changed after its commit
	KindRecordRemoved  = "record-removed"         // a record removed after its commit
	KindRecordUnnamed  = "record-not-in-trailer"  // a record added that the trailer does not name
	KindRecordMissing  = "trailer-record-missing" // the trailer names a record the commit does not add
	KindChain          = "chain-broken"           // the hash chain of records breaks
	KindUnsigned       = "unsigned"               // a runner commit without a signature, where keys are trusted
	KindUntrusted      = "untrusted-signature"    // signed, but not by a trusted key
	KindPolicyUnloaded = "policy-unreadable"      // the trusted keys could not be read
)

const (
	runnerTrailer      = "Patchwave-Record"
	waveTrailer        = "Patchwave-Wave"
	stateDir, auditDir = state.Dir, audit.Dir
)

// Problem is one sign of tampering, at a commit and a file.
type Problem struct {
	Commit  string `json:"commit"`
	Path    string `json:"path,omitempty"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	where := gitstore.ShortHash(p.Commit)
	if p.Path != "" {
		where += " " + p.Path
	}
	return fmt.Sprintf("%s: %s: %s", where, p.Kind, p.Message)
}

// Summary counts what Verify looked at.
type Summary struct {
	Commits       int `json:"commits"`
	RunnerCommits int `json:"runner_commits"`
	Signed        int `json:"signed"`
	Records       int `json:"records"`
}

// Verify walks the branch's history and returns every sign of tampering
// it finds (none for an honest history), in history order.
func Verify(ctx context.Context, o Options) ([]Problem, Summary, error) {
	var sum Summary
	line, err := firstParents(ctx, o)
	if err != nil {
		return nil, sum, err
	}
	v := &verifier{o: o, keys: map[string]*trusted{}, cache: policy.NewCache()}
	addedIn := map[string]string{} // record path -> commit that added it
	touched := map[string]string{} // record path -> commit that last added or changed it
	var parent *snapshot
	for _, c := range line {
		if err := ctx.Err(); err != nil {
			return nil, sum, err
		}
		sum.Commits++
		cur, err := newSnapshot(c)
		if err != nil {
			return nil, sum, err
		}
		if err := v.commit(parent, cur, addedIn, touched, &sum); err != nil {
			return nil, sum, err
		}
		parent = cur
	}
	if len(line) > 0 {
		head := line[len(line)-1]
		fsys, err := gitstore.TreeFS(o.Repo, head.Hash.String(), o.Dir)
		if err != nil {
			return nil, sum, err
		}
		records, err := audit.Load(fsys)
		if err != nil {
			return nil, sum, err
		}
		sum.Records = len(records)
		for _, e := range audit.VerifyChain(records) {
			ce := e.(*audit.ChainError)
			p := path.Join(o.Dir, ce.Path)
			v.add(cmp.Or(touched[p], head.Hash.String()), p, KindChain, "%s", ce.Problem)
		}
	}
	return v.problems, sum, nil
}

type verifier struct {
	o        Options
	problems []Problem
	// keys holds the trusted keys of each policy seen, by the hash of the
	// files outside state/ and audit/ (runner commits keep it).
	keys map[string]*trusted
	// cache keeps inventory files decoded between the policies loaded
	// for their keys: pull requests seldom change most of them.
	cache *policy.Cache
}

type trusted struct {
	keyring string // armored keys, concatenated; "" when none are trusted
	err     error
}

func (v *verifier) add(commit, p, kind, format string, args ...any) {
	v.problems = append(v.problems, Problem{Commit: commit, Path: p, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// commit checks one commit against its first parent (nil for the root).
func (v *verifier) commit(parent, cur *snapshot, addedIn, touched map[string]string, sum *Summary) error {
	repo, c := v.o.Repo, cur.c
	id := c.Hash.String()
	trailers := gitstore.Trailers(c.Message)
	runner := len(gitstore.TrailerValues(trailers, waveTrailer)) > 0
	var changed []fileChange
	for _, dir := range []string{stateDir, auditDir} {
		p := path.Join(v.o.Dir, dir)
		d, err := diffTree(repo, p, parent.lookup(p), cur.lookup(p))
		if err != nil {
			return fmt.Errorf("commit %s: %w", c.Hash, err)
		}
		changed = append(changed, d...)
	}
	slices.SortFunc(changed, func(a, b fileChange) int { return cmp.Compare(a.path, b.path) })
	if runner {
		sum.RunnerCommits++
	} else {
		for _, ch := range changed {
			v.add(id, ch.path, KindNotRunner, "changed by a commit that is not a runner commit (%s, %q)", c.Author.Name, firstLine(c.Message))
		}
	}
	named := gitstore.TrailerValues(trailers, runnerTrailer)
	auditPrefix := path.Join(v.o.Dir, auditDir) + "/"
	for _, ch := range changed {
		if !strings.HasPrefix(ch.path, auditPrefix) {
			continue
		}
		if !ch.after.IsZero() {
			touched[ch.path] = id
		}
		switch {
		case !ch.before.IsZero() && !ch.after.IsZero():
			v.add(id, ch.path, KindRecordChanged, "the record was changed after its commit %s", gitstore.ShortHash(addedIn[ch.path]))
		case !ch.before.IsZero():
			v.add(id, ch.path, KindRecordRemoved, "the record was removed after its commit %s", gitstore.ShortHash(addedIn[ch.path]))
		default:
			addedIn[ch.path] = id
			if runner && !slices.Contains(named, ch.path) {
				v.add(id, ch.path, KindRecordUnnamed, "added by a runner commit whose Patchwave-Record trailer does not name it")
			}
		}
	}
	for _, p := range named {
		if addedIn[p] != id {
			v.add(id, p, KindRecordMissing, "the Patchwave-Record trailer names a record this commit does not add")
		}
	}
	if !runner {
		return nil
	}
	keyC, err := cur.configKey(repo, v.o.Dir)
	if err != nil {
		return err
	}
	if parent != nil {
		keyP, err := parent.configKey(repo, v.o.Dir)
		if err != nil {
			return err
		}
		if keyC != keyP {
			v.add(id, "", KindOutside, "a runner commit changed files outside %s/ and %s/ (%q)", stateDir, auditDir, firstLine(c.Message))
		}
	}
	return v.signature(c, keyC, sum)
}

// signature checks a runner commit's signature against the keys its
// policy trusts.
func (v *verifier) signature(c *object.Commit, key string, sum *Summary) error {
	if c.PGPSignature != "" {
		sum.Signed++
	}
	t, ok := v.keys[key]
	if !ok {
		t = &trusted{}
		fsys, err := gitstore.TreeFS(v.o.Repo, c.Hash.String(), v.o.Dir)
		if err != nil {
			return err
		}
		repo, probs, err := policy.Load(context.Background(), fsys, policy.Options{Now: c.Committer.When, Cache: v.cache})
		switch {
		case err != nil:
			t.err = err
		case probs.HasErrors():
			i := slices.IndexFunc(probs, func(p policy.Problem) bool { return p.Level == policy.LevelError })
			t.err = fmt.Errorf("the policy is invalid: %v", probs[i])
		default:
			t.keyring = strings.Join(repo.Policy.TrustedKeys, "\n")
		}
		v.keys[key] = t
	}
	id := c.Hash.String()
	switch {
	case t.err != nil:
		v.add(id, "", KindPolicyUnloaded, "cannot read the keys the policy trusts: %v", t.err)
	case t.keyring == "":
		// No keys trusted: signatures are not required.
	case c.PGPSignature == "":
		v.add(id, "", KindUnsigned, "a runner commit without a signature, where the policy trusts keys (%q)", firstLine(c.Message))
	default:
		if _, err := c.Verify(t.keyring); err != nil {
			v.add(id, "", KindUntrusted, "the signature is not by a key the policy trusts: %v", err)
		}
	}
	return nil
}

// configKey identifies everything of the snapshot's tree but state/ and
// audit/ of the policy folder: equal keys, equal files outside them. It
// is worked out once per commit.
func (s *snapshot) configKey(repo *git.Repository, dir string) (string, error) {
	if s.key != "" {
		return s.key, nil
	}
	var b strings.Builder
	t := s.root
	var parts []string
	if dir != "" && dir != "." {
		parts = strings.Split(dir, "/")
	}
	for level := 0; ; level++ {
		onPath := ""
		if level < len(parts) {
			onPath = parts[level]
		}
		for _, e := range t.Entries {
			if e.Name == onPath || (level == len(parts) && (e.Name == stateDir || e.Name == auditDir)) {
				continue
			}
			fmt.Fprintf(&b, "%d %s %s %s\n", level, e.Mode, e.Hash, e.Name)
		}
		if level == len(parts) {
			break
		}
		e, err := t.FindEntry(onPath)
		if err != nil {
			break // the policy folder is gone: the rest still counts
		}
		if t, err = repo.TreeObject(e.Hash); err != nil {
			return "", err
		}
	}
	s.key = b.String()
	return s.key, nil
}

func firstLine(msg string) string {
	s, _, _ := strings.Cut(msg, "\n")
	return s
}
