package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = ""

func newVersionCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of patchwave",
		Long: `Prints the patchwave version, the Go version it was built with and, when
built from a git checkout, the commit.

Exit codes: 0.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(s.out, versionString())
			return nil
		},
	}
}

func versionString() string {
	v, goVersion, commit := version, "", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				commit = " commit " + s.Value[:12]
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	return fmt.Sprintf("patchwave %s (%s%s)", v, goVersion, commit)
}
