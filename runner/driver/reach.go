package driver

import (
	"fmt"
	"strings"

	"github.com/patchwave/patchwave/plan/version"
)

// Reaches reports how an observation falls short of the changes'
// targets: every package at its To or newer, in the version order of
// osName (the asset's os.name; exact equality when it names no order),
// and an image at To when To is a digest. Drivers check what they are
// about to report with it, because the runner records that answer as
// what the asset runs.
func Reaches(osName string, o Observation, changes []Change) error {
	scheme, ordered := version.SchemeFor(osName)
	for _, c := range changes {
		if c.Kind == KindImage {
			if strings.HasPrefix(c.To, "sha256:") && o.Digest != c.To {
				return fmt.Errorf("digest is %q (want %q)", o.Digest, c.To)
			}
			continue
		}
		got, ok := o.Packages[c.Name]
		switch {
		case !ok:
			return fmt.Errorf("reports no version of %q (want %q)", c.Name, c.To)
		case got == c.To:
		case ordered:
			if cmp, err := version.Compare(scheme, got, c.To); err != nil || cmp < 0 {
				return fmt.Errorf("%q is %q (want %q)", c.Name, got, c.To)
			}
		default:
			return fmt.Errorf("%q is %q (want %q)", c.Name, got, c.To)
		}
	}
	return nil
}
