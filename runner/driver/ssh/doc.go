// Package ssh is the ssh driver: it patches Linux hosts over ssh
// (golang.org/x/crypto/ssh) with their own package manager, apt on the
// Debian family and dnf on the RHEL family, chosen by the asset's os.name
// (or, when the asset names none, by asking the host).
//
// # What it runs on the host
//
//	observe   dpkg-query -W  |  rpm -qa --qf ...
//	apply     apt-get install -y --only-upgrade pkg=version ...
//	          (DEBIAN_FRONTEND=noninteractive, keeping changed conffiles)
//	          |  dnf -y upgrade pkg-version ...
//	verify    observe, then every change's package at its target or newer
//	rollback  apt-get install -y --allow-downgrades pkg=previous ...
//	          |  dnf -y downgrade pkg-previous ... (install when missing)
//	reboot    the reboot command, detached; then waits for a new boot id
//	scan      hostname, os-release, MACs from /sys, addresses from /proc,
//	          and the packages (driver.Scanner, for inventory scan)
//
// Apply changes only packages below their target (in the asset's version
// order), so an asset at the target is a successful no-op and runs no
// hooks. When apt does not know a version, the driver runs apt-get update
// once and tries again; a version still unknown, an unknown package, a
// refused credential or an unknown or changed host key is a permanent
// error (driver.Permanent). Whether a reboot is required comes from
// /run/reboot-required (Debian) or needs-restarting -r (RHEL, when
// installed).
//
// # Settings
//
// A policy.drivers entry of type "ssh" takes, all optional:
//
//	user             login name; default "root"
//	port             default 22
//	known_hosts      file of known host keys; relative to the policy
//	                 repository; default ~/.ssh/known_hosts
//	unknown_hosts    "refuse" (default) or "accept": whether a host absent
//	                 from known_hosts may be used; a changed key is always
//	                 refused
//	sudo             true: run package commands through sudo -n
//	pre, post        shell commands run on the host before and after a
//	                 change (apply or rollback that changes something);
//	                 a failing hook fails the call
//	timeout          bound on one call, connection included; default "30m"
//	connect_timeout  bound on connecting and the handshake; default "30s"
//	reboot_command   default "systemctl reboot || reboot"
//	reboot_timeout   how long Reboot waits for the host; default "10m"
//	key_env          the environment variable naming the private key file;
//	                 default "PATCHWAVE_SSH_KEY"
//
// The host is the asset's first ip, else its hostname.
//
// # Credentials
//
// Keys never come from the policy repository: the driver authenticates
// with the key file named by $PATCHWAVE_SSH_KEY (or key_env; an encrypted
// key takes its passphrase from $PATCHWAVE_SSH_KEY_PASSPHRASE) and with
// the agent at $SSH_AUTH_SOCK, whichever are set. Errors name the
// variables, never key material.
package ssh
