// Package pkgcmd is what the ssh and ansible drivers run on a host, for
// each package manager family: the shell commands that list installed
// packages, upgrade, downgrade and tell whether a reboot is required, and
// the parsers of their output. Both drivers run the same commands, over
// their own transport, so that they agree on what a host runs.
package pkgcmd
