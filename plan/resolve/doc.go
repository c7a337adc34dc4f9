// Package resolve turns image references into the digests a registry
// serves for them, so that the plan a reviewer approves pins exactly what
// apply will deploy (SPEC §2: "plan resolves image tags to digests").
//
// Resolver is the one interface: a ref in, a "sha256:..." digest out.
// NewRegistry implements it against real OCI registries with
// go-containerregistry; tests and `plan --offline` can supply their own.
// All resolves a set of refs with bounded concurrency for the planner,
// which itself reads no network: cmd resolves first, then hands the
// digests to plan as data.
//
// Credentials come only from the user's environment (the docker config
// and its credential helpers, through authn.DefaultKeychain), never from
// the policy repository, and errors are scrubbed so that neither a
// password nor an Authorization header can reach a plan, a log or a pull
// request comment.
package resolve
