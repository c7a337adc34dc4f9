package driver

import (
	"context"

	"github.com/patchwave/patchwave/policy"
)

// Facts are what a scan finds out about a host: the fields of an asset
// that the host itself can tell (SPEC §1 #Asset). Fields a scan cannot
// know (criticality, exposure, owner, tags, driver) are not here.
type Facts struct {
	Hostname string
	IP       []string // addresses other than loopback, sorted
	MAC      []string // of interfaces other than loopback, sorted
	OS       policy.OS
	// Revision is the distribution's patch level, when it tells one
	// (Debian's /etc/debian_version, "12.11"); empty otherwise.
	Revision string
	Packages map[string]string // name -> installed version
}

// Scanner is implemented by drivers that can collect an asset's facts,
// for `patchwave inventory scan`.
type Scanner interface {
	// Scan reports the facts of the asset's host. It changes nothing and
	// is safe to call concurrently for different assets. The target's
	// asset may hold only an address (ip or hostname) and a driver.
	Scan(ctx context.Context, t Target) (Facts, error)
}
