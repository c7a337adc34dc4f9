// Package oci is the driver for image assets (SPEC §1 #Asset image): it
// observes and changes the digest that a deployment reference, such as
// "registry.example.com/shop/api:prod", names in an OCI registry.
// Deployments follow that tag, so moving the tag is the deployment; the
// driver talks only to the registry, never to the cluster that pulls.
//
// # Changes
//
// A change of kind "image" has Name = the asset's image.ref and To = what
// the ref should name afterwards, in one of three forms:
//
//	"sha256:…"                          a bare digest: the image must
//	                                     already be in the ref's own
//	                                     repository (the patch pushed it
//	                                     there); only the tag moves
//	"registry/repo@sha256:…"            the image is copied (blobs
//	                                     mounted within one registry) from
//	                                     that repository to the ref's tag
//	"registry/repo:tag"                  a plan made --offline: the tag is
//	                                     resolved to a digest first, then
//	                                     as the form above
//
// Apply promotes the target to the ref's tag, and is a successful no-op
// when the ref already names the target digest. Observe, Verify and
// Rollback resolve the ref (HEAD, falling back to GET); Rollback tags the
// ref back to the recorded digest, which must still be in the ref's
// repository. Every Observation holds a bare "sha256:…" digest.
//
// # Settings
//
// A policy.drivers entry of type "oci" takes:
//
//	insecure  list of registries ("host" or "host:port") that may be
//	          spoken to over plain HTTP; loopback registries need no entry
//
// Credentials come from the user's docker config and credential helpers
// (authn.DefaultKeychain), never from the policy, and errors are scrubbed
// of them with the same rules as plan/resolve. An error names the driver,
// the action, the asset and its ref; a missing image or repository, a bad
// reference or a refused credential is driver.Permanent, a network error
// is not.
package oci
