// Package hostcfg holds what the drivers of real hosts (ssh, ansible)
// share beyond the commands they run: the settings of a policy.drivers
// entry that mean the same to both (user, port, known_hosts,
// unknown_hosts, sudo, pre, post, timeout, key_env), their parsing, and
// the error of a failed call. How a command's output is quoted in errors
// (Quote, StderrNote) and how a duration setting reads (Duration) serve
// the exec driver too.
package hostcfg
