// Package gitstore keeps go-git behind a narrow interface for the runner:
// reading the policy repository at a commit, and committing the runner's
// state/ and audit/ files back with a compare-and-swap ref update.
//
// Reading goes through TreeFS, an io/fs.FS over one commit's tree that the
// policy loader takes like any folder: no checkout, no working tree, so
// `plan --base REF` can load the base and the pull request side by side,
// and apply can load exactly the commit it was asked to.
//
// Trees are read lazily: opening "a/b/c.cue" decodes the root tree, a and
// b, and nothing else; ReadDir decodes only the tree it lists. Whole-tree
// walks and diffs are what make go-git slow on large histories (see
// PERF-NOTES.md), so nothing here builds a map of a whole tree.
//
// Writing goes through Store.Commit, with plumbing only: blobs for the
// changed files, new trees on their paths (every other subtree keeps its
// hash), a commit with the trailers auditors filter on, and a
// compare-and-swap of the branch that fails with ErrConflict when another
// runner got there first, so the caller can rebase and retry. The working
// tree and the index are never touched: there is no checkout, and no
// Worktree.Status, which costs a full scan of a large repository.
// Store.Repack packs the loose objects go-git writes, for the git CLI.
package gitstore
