// Command folderhost runs the simulated hosts of internal/folderhost as a
// program of its own: an exec driver command (SPEC §3) for the quickstart.
// The patchwave binary runs the same code as `patchwave folder-host`.
//
//	go build -o /tmp/folderhost ./examples/quickstart/drivers/folderhost
//	echo '{"action":"observe","asset_id":"web-01","asset":{"packages":{"openssl":"3.0.17"}},"changes":[],"previous":null}' |
//	  PATCHWAVE_HOSTS_DIR=/tmp/hosts /tmp/folderhost
package main

import (
	"os"

	"github.com/patchwave/patchwave/internal/folderhost"
)

func main() {
	os.Exit(folderhost.Main(os.Stdin, os.Stdout, os.Stderr, os.Getenv("PATCHWAVE_HOSTS_DIR")))
}
