// Package driver defines how the runner changes assets: the Driver
// interface, optional capabilities found by type assertion (Verifier,
// Rollbacker), and the Registry that cmd fills with the driver types it
// offers. Each driver lives in a sibling package (exec, oci, ...) and runs
// the one conformance suite, drivertest.
//
// A driver is configured by an entry of policy.drivers ({type, ...}); the
// runner hands it one asset at a time, with the changes the plan computed
// (SPEC §3: patch, kind, name, from, to).
package driver
