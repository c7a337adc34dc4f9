package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Position is a place in an input file. Line and Column start at 1; zero
// means unknown.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String formats the position the way go vet does: file:line:col.
func (p Position) String() string {
	switch {
	case p.File == "":
		return "-"
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Level tells whether a problem makes the repository invalid.
type Level string

// The levels of a problem.
const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
)

// Problem is one thing wrong with the repository, at the value that causes it.
type Problem struct {
	Position
	Level   Level  `json:"level"`
	Code    string `json:"code"`    // stable, for machines: "unknown-group", "schema", ...
	Message string `json:"message"` // names the culprit value
}

func (p Problem) String() string {
	if p.Level == LevelWarning {
		return fmt.Sprintf("%s: warning: %s", p.Position, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Position, p.Message)
}

// Problems is a list of problems in file order.
type Problems []Problem

// HasErrors reports whether any problem is an error.
func (ps Problems) HasErrors() bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Level == LevelError })
}

// Count returns the number of errors and of warnings.
func (ps Problems) Count() (errs, warnings int) {
	for _, p := range ps {
		if p.Level == LevelError {
			errs++
		} else {
			warnings++
		}
	}
	return errs, warnings
}

// Err returns nil when there is no error, else an error summarising them.
func (ps Problems) Err() error {
	errs, _ := ps.Count()
	if errs == 0 {
		return nil
	}
	var b strings.Builder
	for _, p := range ps {
		if p.Level == LevelError {
			b.WriteString("\n" + p.String())
		}
	}
	return fmt.Errorf("%d problem(s) in the repository:%s", errs, b.String())
}

// sort orders problems by file, line, column and message, and drops exact
// repeats (CUE reports some errors once per path that reaches them).
func (ps Problems) sort() Problems {
	slices.SortFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Message, b.Message),
			cmp.Compare(a.Level, b.Level))
	})
	return slices.Compact(ps)
}

// report collects problems; it is not safe for concurrent use.
type report struct{ list Problems }

func (r *report) errorf(pos Position, code, format string, args ...any) {
	r.list = append(r.list, Problem{Position: pos, Level: LevelError, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (r *report) warnf(pos Position, code, format string, args ...any) {
	r.list = append(r.list, Problem{Position: pos, Level: LevelWarning, Code: code, Message: fmt.Sprintf(format, args...)})
}
