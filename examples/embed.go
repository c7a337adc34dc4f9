// Package examples embeds the example policy repositories, so that
// `patchwave demo` carries the quickstart inside the binary.
package examples

import (
	"embed"
	"io/fs"
)

//go:embed quickstart
var files embed.FS

// Quickstart is examples/quickstart as a file system.
func Quickstart() fs.FS {
	sub, err := fs.Sub(files, "quickstart")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	return sub
}
