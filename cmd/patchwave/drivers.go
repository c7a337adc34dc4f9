package main

import (
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/ansible"
	driverexec "github.com/patchwave/patchwave/runner/driver/exec"
	"github.com/patchwave/patchwave/runner/driver/oci"
	driverssh "github.com/patchwave/patchwave/runner/driver/ssh"
)

// drivers is the registry of the driver types this binary offers,
// registered explicitly. dir is the policy folder that relative commands
// resolve against, env the environment exec and ansible-playbook start
// from and ssh reads its credentials from.
func drivers(dir string, env []string) *driver.Registry {
	var r driver.Registry
	r.Register("exec", func(d policy.Driver) (driver.Driver, error) {
		return driverexec.New(d, driverexec.Options{Dir: dir, Env: env})
	})
	r.Register("oci", func(d policy.Driver) (driver.Driver, error) {
		return oci.New(d, oci.Options{})
	})
	r.Register("ansible", func(d policy.Driver) (driver.Driver, error) {
		return ansible.New(d, ansible.Options{Dir: dir, Env: env})
	})
	r.Register("ssh", func(d policy.Driver) (driver.Driver, error) {
		return driverssh.New(d, driverssh.Options{Dir: dir, Getenv: lookupIn(env)})
	})
	return &r
}

// lookupIn reads variables from an environment list.
func lookupIn(env []string) func(string) string {
	return func(key string) string {
		v, _ := driver.EnvValue(env, key)
		return v
	}
}
