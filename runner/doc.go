// Package runner carries out plans: it loads a repository with its
// recorded state, computes the plan with the planner, and (in later
// work) executes the stages that are due through drivers, writing state
// and audit records back to git.
//
// Planning lives here too, in Prepare, because `plan` and `apply` must
// compute the same plan from the same inputs: the repository (a folder or
// a git revision), state/, the time, and image digests resolved through
// the registry. The plan package itself stays pure.
package runner
