package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes shared by all commands; each command's help lists those it uses.
const (
	exitOK      = 0
	exitFailure = 1 // invalid input, an error, a failed stage
	exitChanges = 2 // plan --detailed-exitcode: changes pending
	exitUsage   = 3 // bad flags or arguments
	exitRefused = 4 // apply refused: stale plan, wrong branch, lock held
)

// exitError ends the program with a code; a nil err prints nothing more,
// because the command has already said what happened.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad flags or arguments.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCode reports err on w and maps it to the process exit code: the one
// table from errors to codes.
func exitCode(err error, w io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(w, "patchwave: %v\n", ee.err)
		}
		return ee.code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "patchwave: %v\n(see patchwave --help)\n", ue.err)
		return exitUsage
	}
	fmt.Fprintf(w, "patchwave: %v\n", err)
	return exitFailure
}
