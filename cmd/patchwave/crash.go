package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// crashAt is the test-only hook behind PATCHWAVE_TEST_CRASH_AT=POINT#N:
// the process kills itself with SIGKILL the Nth time apply passes POINT,
// as a crash or kill -9 would, so that tests can prove that a run resumes
// cleanly from there.
func crashAt(spec string) func(string) {
	point, n := spec, 1
	if p, count, ok := strings.Cut(spec, "#"); ok {
		point = p
		if c, err := strconv.Atoi(count); err == nil {
			n = c
		}
	}
	seen := 0
	return func(at string) {
		if at != point {
			return
		}
		if seen++; seen == n {
			fmt.Fprintf(os.Stderr, "patchwave: test crash at %s\n", spec)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal arrives
		}
	}
}
