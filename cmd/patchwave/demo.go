package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/patchwave/patchwave/internal/demo"
)

func newDemoCmd(s streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole loop on the embedded quickstart in a temporary repository",
		Long: `Copies the embedded examples/quickstart into a new git repository with a bare
remote, starts an OCI registry in-process on 127.0.0.1 seeded with the images
the example needs, opens a "pull request" that adds the wave and plans it
against main, merges it, and applies every stage at the times they become due
(--at past windows and soak times). Hosts are a SIMULATION: patchwave's
folder-host command keeps their package lists in files. Then a second pull
request asks to roll the broad stage back; it is planned, merged and applied
like the wave. At the end it shows where everything stands, runs audit verify
and the compliance report, and prints the repository's path for git log.
Nothing leaves 127.0.0.1.

Exit codes: 0 success; 1 failure.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			self, err := os.Executable()
			if err != nil {
				return err
			}
			_, err = demo.Run(cmd.Context(), demo.Options{Dir: dir, Self: self, Out: s.out, Drivers: drivers})
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "demo-dir", "", "make the demo's repositories in this folder (default: a new temporary folder)")
	return cmd
}
