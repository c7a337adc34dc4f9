package schemas

import "embed"

// FS holds definitions.cue and repository.cue.
//
//go:embed definitions.cue repository.cue
var FS embed.FS

// Package is the CUE package name of the schema files. The loader gives
// every repository file this package name, so that files written without a
// package clause, or with another name, unify into one configuration.
const Package = "patchwave"

// Files lists the embedded schema files in load order.
var Files = []string{"definitions.cue", "repository.cue"}
