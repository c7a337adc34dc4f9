package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/internal/folderhost"
)

// newFolderHostCmd runs the simulated hosts of the quickstart and the demo
// as an exec driver command (SPEC §3). Hidden: it is a simulation, not a
// way to patch anything.
func newFolderHostCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:    "folder-host",
		Short:  "A simulated host for the exec driver (the quickstart and the demo)",
		Hidden: true,
		Long: `Serves one exec driver request (SPEC §3) from standard input for a SIMULATED
host that keeps its package list in $PATCHWAVE_HOSTS_DIR/<asset id>.json.
The quickstart and the demo patch their hosts with it.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if code := folderhost.Main(os.Stdin, s.out, s.err, os.Getenv("PATCHWAVE_HOSTS_DIR")); code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
}
