package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/patchwave/patchwave/internal/atomicfile"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
)

// ScanOptions say what to scan.
type ScanOptions struct {
	// Dir is the policy repository folder (its working tree).
	Dir string
	// Drivers builds the assets' drivers.
	Drivers *driver.Registry
	// Assets are the ids to scan; empty means every asset whose driver
	// can scan. Naming one whose driver cannot is an error.
	Assets []string
	// Parallel is how many hosts are scanned at once; 0 means 8.
	Parallel int
}

// Outcome of one asset.
const (
	Scanned = "scanned"
	Skipped = "skipped"
	Failed  = "failed"
)

// AssetResult is what became of one asset.
type AssetResult struct {
	ID      string
	Outcome string // Scanned | Skipped | Failed
	Reason  string // why skipped, or the error
	File    string // the inventory file, relative to Dir
	Changed bool   // whether the scan changed the asset's entry
}

// Report lists every asset considered, sorted by id, and the files
// written.
type Report struct {
	Assets []AssetResult
	Files  []string
}

// Failed counts the assets whose scan failed.
func (r *Report) Failed() int {
	n := 0
	for _, a := range r.Assets {
		if a.Outcome == Failed {
			n++
		}
	}
	return n
}

// ErrInvalid is returned when the repository does not validate: a scan
// writes into files that must load afterwards.
var ErrInvalid = errors.New("the repository is invalid (patchwave validate lists the problems)")

// Scan scans the assets and writes their facts into their JSON files.
// Failed scans leave their assets as they were; the report says why.
func Scan(ctx context.Context, opts ScanOptions) (*Report, error) {
	repo, probs, err := policy.Load(ctx, os.DirFS(opts.Dir), policy.Options{})
	if err != nil {
		return nil, err
	}
	if probs.HasErrors() {
		return nil, ErrInvalid
	}
	ids := opts.Assets
	all := len(ids) == 0
	if all {
		ids = policy.SortedKeys(repo.Assets)
	}
	rep := &Report{}
	type job struct {
		res     *AssetResult
		scanner driver.Scanner
		asset   *policy.Asset
	}
	var jobs []job
	scanners := map[string]driver.Scanner{}
	for _, id := range ids {
		a, ok := repo.Assets[id]
		if !ok {
			return nil, fmt.Errorf("asset %q is not in the inventory", id)
		}
		res := AssetResult{ID: id, File: a.Source.File}
		sc, reason, err := scannerFor(repo, a, opts.Drivers, scanners)
		switch {
		case err != nil:
			return nil, fmt.Errorf("asset %q: %w", id, err)
		case reason == "" && !isJSON(a.Source.File):
			reason = fmt.Sprintf("defined in %s, which scan does not rewrite: move it to an assets/*.json file", a.Source.File)
		}
		if reason != "" {
			if !all {
				return nil, fmt.Errorf("asset %q cannot be scanned: %s", id, reason)
			}
			res.Outcome, res.Reason = Skipped, reason
			rep.Assets = append(rep.Assets, res)
			continue
		}
		rep.Assets = append(rep.Assets, res)
		jobs = append(jobs, job{res: &rep.Assets[len(rep.Assets)-1], scanner: sc, asset: a})
	}
	// rep.Assets is not appended to from here on, so the pointers hold.
	facts := make([]driver.Facts, len(jobs))
	limit := opts.Parallel
	if limit <= 0 {
		limit = 8
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			j := jobs[i]
			f, err := j.scanner.Scan(ctx, driver.Target{ID: j.res.ID, Asset: j.asset})
			if err != nil {
				j.res.Outcome, j.res.Reason = Failed, err.Error()
				return
			}
			j.res.Outcome, facts[i] = Scanned, f
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	byFile := map[string]map[string]driver.Facts{}
	for i, j := range jobs {
		if j.res.Outcome != Scanned {
			continue
		}
		if byFile[j.res.File] == nil {
			byFile[j.res.File] = map[string]driver.Facts{}
		}
		byFile[j.res.File][j.res.ID] = facts[i]
	}
	changed := map[string]bool{}
	for _, file := range policy.SortedKeys(byFile) {
		ch, err := rewrite(filepath.Join(opts.Dir, filepath.FromSlash(file)), byFile[file])
		if err != nil {
			return nil, err
		}
		for id := range ch {
			changed[id] = true
		}
		if len(ch) > 0 {
			rep.Files = append(rep.Files, file)
		}
	}
	for i := range rep.Assets {
		rep.Assets[i].Changed = changed[rep.Assets[i].ID]
	}
	return rep, nil
}

// scannerFor returns the asset's driver as a Scanner, or why it has none.
func scannerFor(repo *policy.Repository, a *policy.Asset, reg *driver.Registry, cache map[string]driver.Scanner) (driver.Scanner, string, error) {
	if a.Kind == "image" {
		return nil, "an image, not a host", nil
	}
	if a.Driver == "" {
		return nil, "no driver", nil
	}
	if sc, ok := cache[a.Driver]; ok {
		if sc == nil {
			return nil, fmt.Sprintf("driver %q cannot scan", a.Driver), nil
		}
		return sc, "", nil
	}
	entry, ok := repo.Policy.Drivers[a.Driver]
	if !ok {
		return nil, "", fmt.Errorf("driver %q is not in policy.drivers", a.Driver)
	}
	d, err := reg.New(entry)
	if err != nil {
		return nil, "", err
	}
	sc, _ := d.(driver.Scanner)
	cache[a.Driver] = sc
	if sc == nil {
		return nil, fmt.Sprintf("driver %q cannot scan", a.Driver), nil
	}
	return sc, "", nil
}

func isJSON(file string) bool {
	return strings.HasPrefix(file, "assets/") && path.Ext(file) == ".json"
}

// rewrite puts the facts into the assets of one JSON inventory file and
// writes it if anything changed. It returns the ids whose entry changed.
func rewrite(file string, facts map[string]driver.Facts) (map[string]bool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var inv map[string]map[string]any
	if err := json.Unmarshal(data, &inv); err != nil {
		return nil, fmt.Errorf("reading %q: %w", file, err)
	}
	changed := map[string]bool{}
	for id, f := range facts {
		entry := inv[id]
		if entry == nil {
			return nil, fmt.Errorf("reading %q: asset %q is not in it", file, id)
		}
		old, _ := json.Marshal(entry)
		merge(entry, f)
		if now, _ := json.Marshal(entry); !bytes.Equal(old, now) {
			changed[id] = true
		}
	}
	if len(changed) == 0 {
		return changed, nil
	}
	out, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return nil, err
	}
	return changed, atomicfile.WriteFile(file, append(out, '\n'), 0o644)
}

// merge writes what a scan knows into an asset's JSON entry.
func merge(entry map[string]any, f driver.Facts) {
	if f.Hostname != "" {
		entry["hostname"] = f.Hostname
	}
	if len(f.IP) > 0 {
		entry["ip"] = addresses(entry["ip"], f.IP)
	}
	if len(f.MAC) > 0 {
		entry["mac"] = f.MAC
	}
	if f.OS.Name != "" {
		os := map[string]any{"family": f.OS.Family, "name": f.OS.Name}
		if f.OS.Version != "" {
			os["version"] = string(f.OS.Version)
		}
		entry["os"] = os
	}
	if f.Revision != "" {
		entry["revision"] = f.Revision
	}
	if _, ok := entry["kind"]; !ok {
		entry["kind"] = "host"
	}
	entry["packages"] = f.Packages
}

// addresses keeps the address the inventory listed first in front (it
// is the one drivers connect to, and may be a NAT address the host does
// not see), followed by the scanned ones.
func addresses(old any, scanned []string) []string {
	var first string
	switch v := old.(type) {
	case string:
		first = v
	case []any:
		if len(v) > 0 {
			first, _ = v[0].(string)
		}
	}
	if first == "" {
		return scanned
	}
	out := []string{first}
	for _, ip := range scanned {
		if ip != first {
			out = append(out, ip)
		}
	}
	return slices.Clip(out)
}
