// Package schemas holds the CUE schema of a patchwave policy repository
// (SPEC §1): definitions.cue defines #Policy, #Asset, #Group, #Patch, #Wave,
// #Stage and #Rollback, and repository.cue binds them to the top-level fields.
//
// The files are embedded so that the binary needs nothing on disk, and they
// stay plain CUE so that the `cue` tool can vet a repository against them.
// The policy package evaluates the small configuration (policy, groups,
// patches, waves, rollbacks) against them with the CUE evaluator; the asset
// inventory is checked in Go for speed, and a test keeps the two in step.
package schemas
