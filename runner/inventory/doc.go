// Package inventory keeps the asset inventory in step with the fleet:
// Scan asks each asset's driver for the host's facts (driver.Scanner:
// hostname, addresses, MACs, operating system, installed packages) and
// writes them into the inventory's JSON files under assets/, so that
// drift shows up as a pull-request diff.
//
// A scan rewrites only what a host can tell about itself; the fields it
// cannot know (criticality, exposure, data, owner, tags, location, driver,
// and any field it does not recognise) are kept as they are. Files are
// written whole or not at all (internal/atomicfile), indented, with keys in
// sorted order, so that a rescan of an unchanged fleet changes nothing.
//
// Assets defined in CUE or YAML files are not rewritten (their comments
// and layout are the authors'); Scan reports them as skipped. Scanners and
// CMDB exports keep their assets in JSON, which is what SPEC §1 names for
// them.
package inventory
