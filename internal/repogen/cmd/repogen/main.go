// Command repogen writes a generated policy repository, for measuring
// patchwave on fleets of any size:
//
//	go run ./internal/repogen/cmd/repogen -assets 100000 -format json /tmp/fleet
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/patchwave/patchwave/internal/repogen"
)

func main() {
	var o repogen.Options
	flag.IntVar(&o.Assets, "assets", 1000, "number of assets")
	flag.StringVar(&o.Format, "format", "json", "inventory format: json, yaml or cue")
	flag.IntVar(&o.PerFile, "per-file", 1000, "assets per inventory file")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of the generated fleet")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: repogen [flags] DIR")
		os.Exit(3)
	}
	if err := repogen.Write(flag.Arg(0), o); err != nil {
		fmt.Fprintln(os.Stderr, "repogen:", err)
		os.Exit(1)
	}
}
