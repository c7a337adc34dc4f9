// Package hostcfg holds what the drivers of real hosts (ssh, ansible)
// share beyond the commands they run: the settings of a policy.drivers
// entry that mean the same to both (user, port, known_hosts,
// unknown_hosts, sudo, pre, post, timeout, key_env), their parsing, how
// they quote a host's output in errors, and the error of a failed call.
package hostcfg
