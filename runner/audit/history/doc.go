// Package history reads the audit trail from git history for auditors:
// Log lists the audit records with the commits that added them, and
// Verify proves that the trail was not tampered with after the fact.
//
// Both walk the branch's first-parent history, the line of commits the
// branch really went through (pull requests arrive as merges or rebased
// commits on it). Following PERF-NOTES, they never diff whole trees: the
// runner's commit messages carry trailers naming the wave, stage, result
// and record, and Verify compares subtree hashes, descending only where
// they differ.
//
// What Verify checks, per commit, against its first parent:
//   - state/ and audit/ change only in runner commits (those with
//     Patchwave-* trailers);
//   - a runner commit changes nothing outside state/ and audit/;
//   - records are only ever added, never changed or removed, and a runner
//     commit adds exactly the record its Patchwave-Record trailer names;
//   - where the policy of the commit lists trusted_keys, a runner commit
//     carries an OpenPGP signature by one of them;
//
// and, at the head, that the records' hash chain is whole (runner/audit
// VerifyChain): no record changed, removed or reordered. A history
// rewritten from some commit on, with every later commit forged, passes
// the first checks; only signatures (and comparing with another clone)
// catch that, which is why the policy can require them.
package history
