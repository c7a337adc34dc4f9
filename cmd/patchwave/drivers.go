package main

import (
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	driverexec "github.com/patchwave/patchwave/runner/driver/exec"
	"github.com/patchwave/patchwave/runner/driver/oci"
)

// drivers is the registry of the driver types this binary offers,
// registered explicitly. dir is the policy folder that relative commands
// resolve against, env the environment exec commands start from.
func drivers(dir string, env []string) *driver.Registry {
	var r driver.Registry
	r.Register("exec", func(d policy.Driver) (driver.Driver, error) {
		return driverexec.New(d, driverexec.Options{Dir: dir, Env: env})
	})
	r.Register("oci", func(d policy.Driver) (driver.Driver, error) {
		return oci.New(d, oci.Options{})
	})
	return &r
}
