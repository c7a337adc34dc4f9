package main

import (
	"os"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	driverexec "github.com/patchwave/patchwave/runner/driver/exec"
	"github.com/patchwave/patchwave/runner/driver/oci"
)

// drivers is the registry of the driver types this binary offers,
// registered explicitly. dir is the policy folder that relative commands
// resolve against.
func drivers(dir string) *driver.Registry {
	var r driver.Registry
	r.Register("exec", func(d policy.Driver) (driver.Driver, error) {
		return driverexec.New(d, driverexec.Options{Dir: dir, Env: os.Environ()})
	})
	r.Register("oci", func(d policy.Driver) (driver.Driver, error) {
		return oci.New(d, oci.Options{})
	})
	return &r
}
