// Package procgroup runs a driver's command (the exec driver's, and
// ansible-playbook) in a process group of its own, killed whole when the
// call is cancelled or times out.
package procgroup
