// Command patchwave is patch policy as code: it validates a policy
// repository, plans rollouts on pull requests, applies them in waves and
// reads the audit trail back from git. See `patchwave --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], streams{out: os.Stdout, err: os.Stderr}, os.Getenv)
	stop()
	os.Exit(code)
}
