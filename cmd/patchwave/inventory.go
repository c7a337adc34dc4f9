package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/runner/inventory"
)

func newInventoryCmd(g *globalOptions, s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Keep the asset inventory in step with the fleet",
		Long: `Commands that read the fleet into the inventory under assets/.

Exit codes: 0 success; 1 failure; 3 usage.`,
		// Runnable, so that an unknown subcommand is a usage error (the
		// root checks its arguments) rather than help.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newInventoryScanCmd(g, s))
	return cmd
}

type scanOptions struct {
	assets   []string
	parallel int
}

func newInventoryScanCmd(g *globalOptions, s streams) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan [ASSET...]",
		Short: "Collect hosts' facts through their drivers into assets/*.json",
		Long: `Asks each host's driver (one that can scan: ssh) for the host's name,
addresses, MACs, operating system and installed packages, and writes them
into the JSON inventory file under assets/ where the asset is defined, so
that drift becomes a pull-request diff. Fields a scan cannot know
(criticality, exposure, data, owner, tags, location, driver, ...) are kept.
Files are rewritten atomically, indented, with sorted keys: a rescan of an
unchanged fleet changes nothing.

Without arguments, every host whose driver can scan is scanned; assets
defined in CUE or YAML files are listed as skipped (move them to
assets/*.json to let scan maintain them). Named assets must be scannable.
Credentials come from the environment, as for apply (ssh: PATCHWAVE_SSH_KEY
or SSH_AUTH_SOCK). The working tree of --dir is read and written; commit
the change and open a pull request as for any other change.

Examples:
  patchwave inventory scan --dir fleet
  patchwave inventory scan --dir fleet web-01 web-02
  patchwave inventory scan && git diff assets/

Exit codes: 0 every host scanned (or skipped); 1 a scan failed (the others
are written), or the repository is invalid; 3 usage.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			abs, err := filepath.Abs(g.dir)
			if err != nil {
				return err
			}
			rep, err := inventory.Scan(cmd.Context(), inventory.ScanOptions{
				Dir: abs, Drivers: drivers(abs, os.Environ()), Assets: args, Parallel: o.parallel,
			})
			if err != nil {
				return err
			}
			for _, a := range rep.Assets {
				switch {
				case a.Outcome == inventory.Scanned && a.Changed:
					fmt.Fprintf(s.out, "%s: scanned, changed (%s)\n", a.ID, a.File)
				case a.Outcome == inventory.Scanned:
					fmt.Fprintf(s.out, "%s: scanned, unchanged\n", a.ID)
				default:
					fmt.Fprintf(s.out, "%s: %s: %s\n", a.ID, a.Outcome, a.Reason)
				}
			}
			if n := rep.Failed(); n > 0 {
				return &exitError{code: exitFailure, err: fmt.Errorf("inventory scan: %d of %d hosts failed", n, len(rep.Assets))}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&o.parallel, "parallel", 8, "how many hosts to scan at once")
	return cmd
}
