// Package plan computes what a policy repository will do to the fleet: a
// pure function from the repository, the recorded state, the time and the
// image digests resolved beforehand, to a Plan value. Renderers
// (plan/render) turn the one Plan into text, markdown, JSON and a diff; the
// runner carries it out.
//
// For each wave and stage the plan lists its members, one action per asset
// and patch the asset needs, and the stage's status with its reason: done,
// due now, or blocked by the previous stage, soak, a closed window, a
// freeze or not_before, each with the time it ends. Findings hold what a
// reviewer must see: forecast SLA breaches, patches that no wave
// schedules, assets that two waves target for the same package, and
// exceptions that expire before their wave ends.
//
// The package reads no files, network or clock: everything comes in as
// arguments, so the same inputs give the same plan, byte for byte.
//
// plan --base computes two plans of nearly the same repository: Start
// computes one in its own goroutine, and Compute of the other takes from
// it (Input.Reuse) each part whose inputs are equal, waiting for that part
// only, so that the parts that differ are computed on the second core.
package plan
