package main

import (
	"strings"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	driverexec "github.com/patchwave/patchwave/runner/driver/exec"
	"github.com/patchwave/patchwave/runner/driver/oci"
	driverssh "github.com/patchwave/patchwave/runner/driver/ssh"
)

// drivers is the registry of the driver types this binary offers,
// registered explicitly. dir is the policy folder that relative commands
// resolve against, env the environment exec commands start from and ssh
// reads its credentials from.
func drivers(dir string, env []string) *driver.Registry {
	var r driver.Registry
	r.Register("exec", func(d policy.Driver) (driver.Driver, error) {
		return driverexec.New(d, driverexec.Options{Dir: dir, Env: env})
	})
	r.Register("oci", func(d policy.Driver) (driver.Driver, error) {
		return oci.New(d, oci.Options{})
	})
	r.Register("ssh", func(d policy.Driver) (driver.Driver, error) {
		return driverssh.New(d, driverssh.Options{Dir: dir, Getenv: lookupIn(env)})
	})
	return &r
}

// lookupIn reads a variable from an environment list, the last setting
// winning as for a process.
func lookupIn(env []string) func(string) string {
	return func(key string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
				return v
			}
		}
		return ""
	}
}
