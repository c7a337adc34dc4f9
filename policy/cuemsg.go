package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"

	"github.com/patchwave/patchwave/schemas"
)

// cueEntry is one CUE error message on its way to a problem.
type cueEntry struct {
	path string
	pos  Position
	msg  string
	args []any
	fmt  string
}

func (e cueEntry) isConflict() bool {
	return strings.HasPrefix(e.fmt, "conflicting values %s and %s") && len(e.args) >= 2
}
func (e cueEntry) isMismatch() bool { return strings.Contains(e.msg, "mismatched types") }

// cueProblems turns CUE errors into problems at the repository value that
// causes them. CUE reports a value that fails a disjunction once per
// alternative; these are merged into one message that names the value and
// what is accepted, in words rather than the schema's regular expressions.
func cueProblems(err error, root cue.Value) Problems {
	var paths []string
	groups := map[string][]cueEntry{}
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		if strings.Contains(format, "errors in empty disjunction") {
			continue
		}
		path := strings.Join(e.Path(), ".")
		if _, seen := groups[path]; !seen {
			paths = append(paths, path)
		}
		groups[path] = append(groups[path], cueEntry{path: path, pos: cueErrPos(e, root), msg: fmt.Sprintf(format, args...), args: args, fmt: format})
	}
	var out Problems
	for _, path := range paths {
		es := groups[path]
		// A struct written where a scalar alternative was possible shows up
		// as a type mismatch at the struct, beside the real error inside it.
		deeper := slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, path+".") || (path == "" && p != "") })
		if deeper {
			es = slices.DeleteFunc(es, cueEntry.isMismatch)
		}
		if slices.ContainsFunc(es, func(e cueEntry) bool { return !e.isMismatch() && !e.isConflict() }) {
			es = slices.DeleteFunc(es, func(e cueEntry) bool { return e.isMismatch() || e.isConflict() })
		}
		prefix := ""
		if path != "" {
			prefix = path + ": "
		}
		var conflicts []cueEntry
		for _, e := range es {
			if e.isConflict() {
				conflicts = append(conflicts, e)
			}
		}
		if len(conflicts) >= 1 {
			if value, alts, ok := commonSide(conflicts); ok {
				out = append(out, Problem{Position: conflicts[0].pos, Level: LevelError, Code: "schema",
					Message: fmt.Sprintf("%sinvalid value %s (want one of %s)", prefix, value, strings.Join(alts, ", "))})
				es = slices.DeleteFunc(es, cueEntry.isConflict)
			}
		}
		var msgs []string
		for _, e := range es {
			msg := friendly(e.msg)
			if slices.Contains(msgs, msg) {
				continue
			}
			msgs = append(msgs, msg)
			out = append(out, Problem{Position: e.pos, Level: LevelError, Code: "schema", Message: prefix + msg})
		}
	}
	return out
}

// commonSide finds the argument shared by all conflicts, the value that
// was written, and lists the other sides, the accepted values.
func commonSide(conflicts []cueEntry) (string, []string, bool) {
	for side := range 2 {
		value := fmt.Sprintf("%s", conflicts[0].args[side])
		var alts []string
		for _, c := range conflicts {
			a, b := fmt.Sprintf("%s", c.args[0]), fmt.Sprintf("%s", c.args[1])
			switch value {
			case a:
				alts = append(alts, b)
			case b:
				alts = append(alts, a)
			}
		}
		if len(alts) == len(conflicts) {
			// A default of [] beside [...string] is the same alternative.
			if slices.Contains(alts, "[...string]") {
				alts = slices.DeleteFunc(alts, func(a string) bool { return a == "[]" })
			}
			for i, a := range alts {
				if words, ok := typeWords[a]; ok {
					alts[i] = words
				}
			}
			slices.Sort(alts)
			return value, slices.Compact(alts), true
		}
	}
	return "", nil, false
}

// typeWords names the types of the schema's alternatives.
var typeWords = map[string]string{
	"[...string]": "a list of strings",
	"string":      "a string",
	"int":         "an integer",
	"bool":        "true or false",
}

// formatWords says in words what each format definition of the schema
// accepts; TestFormatWordsCoverSchema keeps it complete.
var formatWords = map[string]string{
	"#OSName":   `the distribution or product in lower case, such as "debian" or "rhel"`,
	"#Name":     `letters, digits, ".", "_" and "-", starting with a letter or digit`,
	"#Duration": `a duration such as "72h", "7d", "2w" or "0s"`,
	"#Percent":  `a percentage from "0%" to "100%"`,
	"#HHMM":     `a time of day "HH:MM", from "00:00" to "23:59"`,
	"#MAC":      `a MAC address such as "52:54:00:12:34:56"`,
	"#Digest":   `a digest such as "sha256:" and 64 hex digits`,
	"#CVE":      `a CVE id such as "CVE-2025-9230"`,
}

var (
	outOfBound   = regexp.MustCompile(`^invalid value (.*) \(out of bound (.*)\)$`)
	notSatisfied = regexp.MustCompile(`^invalid value (.*) \(does not satisfy ([a-zA-Z.]+)\(?.*$`)
	schemaRegexp = regexp.MustCompile(`(?m)^(#\w+):\s+(=~"(?:[^"\\]|\\.)*")`)

	// boundWords maps the bounds of the schema, as CUE prints them, to words.
	boundWords = sync.OnceValue(func() map[string]string {
		src, _ := schemas.FS.ReadFile("definitions.cue")
		m := map[string]string{`!=""`: "a value that is not empty", ">=0": "0 or more", ">=1": "1 or more"}
		for _, sm := range schemaRegexp.FindAllStringSubmatch(string(src), -1) {
			if words, ok := formatWords[sm[1]]; ok {
				m[sm[2]] = words
			}
		}
		return m
	})
)

// friendly rewrites CUE's wording of a failed format check.
func friendly(msg string) string {
	if m := outOfBound.FindStringSubmatch(msg); m != nil {
		if words, ok := boundWords()[m[2]]; ok {
			return fmt.Sprintf("invalid value %s (want %s)", m[1], words)
		}
	}
	if m := notSatisfied.FindStringSubmatch(msg); m != nil {
		switch m[2] {
		case "time.Time", "time.Format":
			return fmt.Sprintf("invalid value %s (want an RFC 3339 time such as \"2026-11-20T22:00:00Z\", or a date such as \"2026-11-20\")", m[1])
		case "net.IP":
			return fmt.Sprintf("invalid value %s (want an IPv4 or IPv6 address)", m[1])
		}
	}
	return msg
}
