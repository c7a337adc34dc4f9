// Package exec is the exec driver (SPEC §3): it changes assets by running
// a command the policy names, once per asset and action, and talking JSON
// with it over standard input and output. It is how a team plugs its own
// tooling (an Ansible playbook, a vendor CLI, a shell script) into
// patchwave without writing Go.
//
// # Settings
//
// A policy.drivers entry of type "exec" takes:
//
//	command  argv list, required; a relative path with a slash in it
//	         ("drivers/patch.sh") resolves against the working directory,
//	         a bare name ("ansible-playbook") is looked up in PATH
//	timeout  per call, a duration with d and w units allowed; default "10m"
//	dir      working directory of the command; relative to the policy
//	         repository; default the repository folder (Options.Dir)
//
// # Protocol
//
// The command receives one JSON object on standard input:
//
//	{"action": "observe" | "apply" | "verify" | "rollback",
//	 "asset_id": "web-01",
//	 "asset": {...the asset with SPEC §1 field names...},
//	 "changes": [{"patch", "kind", "name", "from", "to"}],
//	 "previous": {"packages": {...}, "digest": "..."}}
//
// changes is an empty list for observe and rollback; previous is null for
// every action but rollback, where it is what to restore. The command
// answers with one JSON object on standard output, and nothing else there:
//
//	{"ok": true, "packages": {name: version}, "digest": "...",
//	 "reboot_required": false, "error": "..."}
//
// A non-zero exit, no valid answer, "ok": false or a timeout fails the
// call. On timeout or cancellation the command's whole process group is
// killed, so the children it started die with it. An ok answer to apply
// or verify must report every changed package at its target version (or
// newer, in the asset's version order) and an image's target digest;
// otherwise the call fails, because the runner records that answer as what
// the asset runs.
//
// # Environment
//
// The command inherits the runner's environment (or Options.Env), and
// these variables describe the call, so that simple scripts need not parse
// JSON; a field the asset lacks is set to the empty string:
//
//	PATCHWAVE_ACTION        observe | apply | verify | rollback
//	PATCHWAVE_DRIVER        name of the policy.drivers entry
//	PATCHWAVE_ASSET_ID      the asset id
//	PATCHWAVE_HOSTNAME      hostname
//	PATCHWAVE_IP            first ip
//	PATCHWAVE_MAC           first mac
//	PATCHWAVE_LOCATION      location
//	PATCHWAVE_KIND          host | image
//	PATCHWAVE_OS_FAMILY     os.family
//	PATCHWAVE_OS_NAME       os.name
//	PATCHWAVE_OS_VERSION    os.version
//	PATCHWAVE_REVISION      revision
//	PATCHWAVE_CRITICALITY   criticality
//	PATCHWAVE_EXPOSURE      exposure
//	PATCHWAVE_OWNER         owner
//	PATCHWAVE_IMAGE_REF     image.ref
//	PATCHWAVE_IMAGE_DIGEST  image.digest
package exec
