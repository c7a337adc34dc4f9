// Package state reads and writes the recorded state that the runner keeps
// under state/ in the policy repository (SPEC §4): for each wave and stage,
// where it stands, and for each asset the stage touched, what it ran
// before (the rollback state), what it runs after, and the result.
//
// The planner reads it to know what is done; the runner writes it. Files
// are JSON, one per stage run (state/waves/WAVE/STAGE.json), so that a
// stage's commit rewrites only its own file, and every file is written
// whole or not at all.
package state
