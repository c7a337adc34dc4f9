// Package drivers holds example exec drivers (SPEC §3) for real hosts,
// as scripts to copy into a policy repository: apt-ssh (Debian family
// over ssh), dnf-ssh (RHEL family over ssh) and ansible-playbook (either,
// through Ansible). The Go package exists for its test, which runs
// apt-ssh through the exec driver and the conformance suite against real
// Debian hosts (internal/e2ehost). See README.md.
package drivers
