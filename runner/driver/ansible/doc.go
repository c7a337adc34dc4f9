// Package ansible is the ansible driver: it patches hosts by running
// ansible-playbook with an inventory and a playbook it generates per run,
// and reads the outcome from Ansible's json stdout callback. It is the
// path for fleets that already run Ansible (and AWX, which runs the same
// playbooks): connection plugins, become, forks and ssh settings are
// Ansible's, configured the way operators already do (ansible.cfg,
// ANSIBLE_* variables).
//
// # What it runs
//
// The playbook runs, on each host, the same shell commands as the ssh
// driver (runner/driver/internal/pkgcmd): dpkg-query or rpm to observe;
// apt-get install --only-upgrade pkg=version or dnf upgrade to apply;
// --allow-downgrades or dnf downgrade to roll back; /run/reboot-required or
// needs-restarting -r. A change is two runs: one observes every host, one
// changes the hosts below their targets, with the pre and post hooks
// around the change. Apply to a host at its target runs only the first.
//
// For batches, the driver is a driver.BatchApplier: the second run covers
// the whole batch with the stage's serial and max_fail_percentage, so
// Ansible schedules the hosts; hosts it never started report
// driver.ErrNotAttempted.
//
// Assets need os.name (it picks apt or dnf) and an ip or hostname. The
// driver does not reboot (no driver.Rebooter): the runner records a
// required reboot for the operators' own reboot playbook.
//
// # Settings
//
// A policy.drivers entry of type "ansible" takes, all optional:
//
//	command        argv of ansible-playbook; default ["ansible-playbook"]
//	user, port     ansible_user, ansible_port
//	known_hosts    UserKnownHostsFile for ssh; relative to the repository
//	unknown_hosts  "refuse" (default: StrictHostKeyChecking=yes) or
//	               "accept" (accept-new: a new host's key is recorded)
//	sudo           become root for the change
//	pre, post      shell commands run before and after a change
//	timeout        bound on one ansible-playbook run; default "30m"
//	key_env        the variable naming the private key file (ansible's
//	               ansible_ssh_private_key_file); default PATCHWAVE_SSH_KEY
//
// Without a key file, ssh uses the agent at SSH_AUTH_SOCK and ssh's own
// configuration.
package ansible
