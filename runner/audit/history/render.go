package history

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// LogText writes entries one per line: when, commit, what, result,
// assets, actor, record. With asset set, each line also says what became
// of that asset.
func LogText(w io.Writer, entries []Entry, asset string) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "no audit records")
		return err
	}
	for _, e := range entries {
		r := e.Record
		what := fmt.Sprintf("wave %s stage %s", r.Wave, r.Stage)
		if r.Rollback != "" {
			what = fmt.Sprintf("%s %s of wave %s (%s)", r.Kind, r.Rollback, r.Wave, strings.Join(r.Stages, ", "))
		}
		counts := map[string]int{}
		for _, a := range r.Assets {
			counts[a.Result]++
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(counts)) {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
		signed := ""
		if e.Signed {
			signed = " signed"
		}
		fmt.Fprintf(w, "%s  %s%s  %s  %s  [%s]  by %s (%s)  %s\n", e.Committed.Format("2006-01-02T15:04:05Z"), gitstore.ShortHash(e.Commit), signed,
			what, r.Result, strings.Join(parts, ", "), r.Actor.Name, r.Actor.Via, e.Path)
		if asset == "" {
			continue
		}
		for _, a := range r.Assets {
			if a.ID == asset {
				fmt.Fprintf(w, "    %s %s: %s%s\n", a.ID, a.Result, changes(a.Before, a.After), errorText(a.Error))
			}
		}
	}
	return nil
}

// changes says what differs between two observations: "name from -> to"
// per package, or the digests.
func changes(before, after *state.Observation) string {
	if before == nil || after == nil {
		return "no change recorded"
	}
	if before.Digest != "" || after.Digest != "" {
		if before.Digest == after.Digest {
			return "unchanged " + before.Digest
		}
		return before.Digest + " -> " + after.Digest
	}
	var parts []string
	names := slices.Sorted(maps.Keys(before.Packages))
	for name := range after.Packages {
		if _, ok := before.Packages[name]; !ok {
			names = append(names, name)
		}
	}
	for _, name := range names {
		if b, a := before.Packages[name], after.Packages[name]; a != b {
			parts = append(parts, fmt.Sprintf("%s %s -> %s", name, cmp.Or(b, "(none)"), cmp.Or(a, "(none)")))
		}
	}
	if len(parts) == 0 {
		return "unchanged"
	}
	return strings.Join(parts, ", ")
}

func errorText(e string) string {
	if e == "" {
		return ""
	}
	return " (" + e + ")"
}

// LogJSON writes entries as a JSON array, the records as stored.
func LogJSON(w io.Writer, entries []Entry) error {
	if entries == nil {
		entries = []Entry{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(entries)
}

// VerifyText writes the result of Verify for people.
func VerifyText(w io.Writer, problems []Problem, sum Summary) error {
	for _, p := range problems {
		fmt.Fprintln(w, p)
	}
	verdict := "intact"
	if len(problems) > 0 {
		verdict = fmt.Sprintf("TAMPERED: %d problems", len(problems))
	}
	_, err := fmt.Fprintf(w, "audit trail %s: %d commits, %d runner commits (%d signed), %d records\n",
		verdict, sum.Commits, sum.RunnerCommits, sum.Signed, sum.Records)
	return err
}

// VerifyJSON writes the result of Verify for machines:
// {"intact": bool, "problems": [...], "summary": {...}}.
func VerifyJSON(w io.Writer, problems []Problem, sum Summary) error {
	if problems == nil {
		problems = []Problem{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Intact   bool      `json:"intact"`
		Problems []Problem `json:"problems"`
		Summary  Summary   `json:"summary"`
	}{len(problems) == 0, problems, sum})
}
