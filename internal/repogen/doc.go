// Package repogen writes valid policy repositories of any size, for
// benchmarks and tests: a policy, three groups (canary, pilot, broad), a
// Debian and an RPM package patch and an image patch, one wave in three
// stages, and an inventory of N assets (~5 tags and ~10 packages each)
// as JSON, YAML or CUE files.
//
// The output is deterministic for a given Options, so benchmarks compare
// like with like.
package repogen
