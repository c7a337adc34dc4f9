// Package e2ehost gives end-to-end tests a real Debian host to patch: a
// Debian 12 (bookworm) minbase root file system, made by debootstrap from
// deb.debian.org (bookworm main only), served by the machine's own sshd
// inside a network namespace that the test creates.
//
// # Design
//
// The root file system is built once and cached as a tarball under
// $PATCHWAVE_E2E_CACHE (default /var/cache/patchwave-e2e), with an
// extracted copy next to it; a rerun starts a host in about a second. The
// build also runs apt-get update against bookworm and bookworm-security and
// downloads the .deb files of both versions of the packages the tests
// upgrade (Upgrades), so that apt-get install and its downgrade work
// inside the namespace, which has no route to the internet.
//
// Each host gets:
//   - its own copy of the root: an overlay mount over the cached tree, so
//     that apt-get and dpkg really change it and the cache stays intact;
//   - a network namespace with a veth pair on a 10.64.0.0/10 /30 subnet
//     that no other live host (in this process or another) holds;
//   - the host's /usr/sbin/sshd (openssh-server) running in the namespace
//     with ChrootDirectory set to the root, so every session (apt-get,
//     dpkg-query, python for Ansible) runs inside it; a fresh ed25519 host
//     key and user key, a known_hosts file and an authorized key for root.
//
// t.Cleanup kills every process in the namespace, unmounts, deletes the
// namespace and the files.
//
// Require skips a test when the machine cannot do this (not root, no
// debootstrap, sshd or ip), except under CI (CI set), where it fails
// instead, so that a CI machine missing a prerequisite is noticed.
package e2ehost
