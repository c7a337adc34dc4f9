package history

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/patchwave/patchwave/runner/audit"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// Entry is one audit record and the commit that added it.
type Entry struct {
	Commit    string       `json:"commit"`
	Author    string       `json:"author"` // "Name <email>"
	Committed time.Time    `json:"committed"`
	Signed    bool         `json:"signed"` // the commit carries a signature (Verify checks it)
	Path      string       `json:"path"`
	Record    audit.Record `json:"record"`
}

// LogOptions filter Log; zero values filter nothing.
type LogOptions struct {
	Options
	Asset, Wave string
	// Since and Until bound the commit time, inclusive.
	Since, Until time.Time
}

// Log returns the audit records on the branch, oldest first, each with
// the commit that added it: the commits whose Patchwave-Record trailer
// names a record, whose file is read from that commit's tree.
func Log(ctx context.Context, o LogOptions) ([]Entry, error) {
	line, err := firstParents(ctx, o.Options)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, c := range line {
		trailers := gitstore.Trailers(c.Message)
		paths := gitstore.TrailerValues(trailers, "Patchwave-Record")
		if len(paths) == 0 {
			continue
		}
		if o.Wave != "" && !slices.Contains(gitstore.TrailerValues(trailers, "Patchwave-Wave"), o.Wave) {
			continue
		}
		when := c.Committer.When
		if (!o.Since.IsZero() && when.Before(o.Since)) || (!o.Until.IsZero() && when.After(o.Until)) {
			continue
		}
		for _, p := range paths {
			e, err := readEntry(c, p)
			if err != nil {
				return nil, err
			}
			if o.Asset != "" && !slices.ContainsFunc(e.Record.Assets, func(a audit.Asset) bool { return a.ID == o.Asset }) {
				continue
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func readEntry(c *object.Commit, p string) (Entry, error) {
	e := Entry{Commit: c.Hash.String(), Author: fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email),
		Committed: c.Committer.When.UTC(), Signed: c.PGPSignature != "", Path: p}
	f, err := c.File(p)
	if err != nil {
		return e, fmt.Errorf("commit %s names record %q, which its tree lacks: %w", c.Hash, p, err)
	}
	data, err := f.Contents()
	if err != nil {
		return e, fmt.Errorf("reading %q at %s: %w", p, c.Hash, err)
	}
	if err := json.Unmarshal([]byte(data), &e.Record); err != nil {
		return e, fmt.Errorf("reading %q at %s: %w", p, c.Hash, err)
	}
	return e, nil
}
