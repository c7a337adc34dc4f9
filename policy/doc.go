// Package policy loads a patchwave policy repository into typed Go values
// and checks it: the schema (schemas/), references between entries, and
// the policy rules that a reviewer should not have to check by eye.
//
// Load is the one entry point. It reads *.cue files, which the CUE
// evaluator unifies with the embedded schema, and the inventory in
// assets/*.json and assets/*.yaml. For fleets of 100,000 assets the
// inventory stays out of CUE: assets written as plain data (in JSON, YAML
// or CUE) are decoded file by file in parallel and checked in Go against
// the same rules as #Asset. Every problem is reported, not just the first,
// at the file, line and column of the value that causes it.
//
// Group membership is computed here too (Repository.Members), so that the
// planner and the checks agree on it. The package does not import go-git
// or any driver: it reads an fs.FS, which may be a folder or a git tree.
package policy

// Time zones must resolve on machines without tzdata.
import _ "time/tzdata"
