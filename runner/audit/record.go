package audit

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/patchwave/patchwave/plan/state"
)

// FormatVersion is the version of the record files this package writes.
const FormatVersion = 1

// Dir is the folder of the records in a policy repository.
const Dir = "audit"

// Record kinds.
const (
	KindStage      = "stage"       // a stage run by apply
	KindRollback   = "rollback"    // a reviewed #Rollback
	KindBreakGlass = "break-glass" // patchwave rollback, without review
)

// Record is one stage run or rollback.
type Record struct {
	FormatVersion int    `json:"format_version"`
	Sequence      int    `json:"sequence"`
	Kind          string `json:"kind"`
	Wave          string `json:"wave"`
	// Stage is the stage a stage run ran; a rollback names the rollback
	// and the stages it put back instead.
	Stage    string   `json:"stage,omitempty"`
	Rollback string   `json:"rollback,omitempty"`
	Stages   []string `json:"stages,omitempty"`
	// Result is "succeeded", "failed", "halted" or "rolled-back".
	Result string `json:"result"`
	// Plan is the digest of the plan that was executed ("sha256:...").
	Plan string `json:"plan"`
	// PolicyCommit is the commit of the repository the plan came from.
	PolicyCommit string    `json:"policy_commit"`
	ApprovedBy   []string  `json:"approved_by"`
	Reason       string    `json:"reason,omitempty"`
	Actor        Actor     `json:"actor"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
	Assets       []Asset   `json:"assets"`
	// Previous is the digest of the previous record's file, "" for the
	// first record of a repository.
	Previous string `json:"previous"`
}

// Asset is what a record says happened to one asset.
type Asset struct {
	ID         string             `json:"id"`
	Before     *state.Observation `json:"before,omitempty"`
	After      *state.Observation `json:"after,omitempty"`
	Result     string             `json:"result"`
	Error      string             `json:"error,omitempty"`
	Reboot     string             `json:"reboot,omitempty"`
	DurationMS int64              `json:"duration_ms"`
}

// Actor is who ran the runner: a CI job, or a person at a terminal.
type Actor struct {
	Name       string `json:"name"`
	Via        string `json:"via"` // "github-actions", "ci", "local"
	Repository string `json:"repository,omitempty"`
	Workflow   string `json:"workflow,omitempty"`
	RunID      string `json:"run_id,omitempty"`
	RunURL     string `json:"run_url,omitempty"`
}

// ActorFromEnv reads who runs the runner from the CI environment. Only
// names and ids are read: never tokens.
func ActorFromEnv(getenv func(string) string) Actor {
	if getenv("GITHUB_ACTIONS") == "true" {
		a := Actor{Name: getenv("GITHUB_ACTOR"), Via: "github-actions", Repository: getenv("GITHUB_REPOSITORY"),
			Workflow: getenv("GITHUB_WORKFLOW"), RunID: getenv("GITHUB_RUN_ID")}
		if server := getenv("GITHUB_SERVER_URL"); server != "" && a.Repository != "" && a.RunID != "" {
			a.RunURL = server + "/" + a.Repository + "/actions/runs/" + a.RunID
		}
		return a
	}
	name := cmp.Or(getenv("PATCHWAVE_ACTOR"), getenv("USER"), getenv("LOGNAME"), "unknown")
	if getenv("CI") != "" {
		return Actor{Name: name, Via: "ci"}
	}
	return Actor{Name: name, Via: "local"}
}

// Path is where a record lives: audit/YYYY/MM/DD/NNNNNN-WAVE-STAGE.json,
// dated by its start in UTC.
// A rollback's is audit/YYYY/MM/DD/NNNNNN-WAVE-rollback-NAME.json.
func Path(r *Record) string {
	day := r.Started.UTC().Format("2006/01/02")
	what := r.Stage
	if r.Rollback != "" {
		what = "rollback-" + r.Rollback
	}
	return path.Join(Dir, day, fmt.Sprintf("%06d-%s-%s.json", r.Sequence, r.Wave, what))
}

// Encode writes a record the way it is stored: indented, assets in id
// order, ending in a newline.
func Encode(r *Record) ([]byte, error) {
	r.FormatVersion = FormatVersion
	slices.SortFunc(r.Assets, func(a, b Asset) int { return cmp.Compare(a.ID, b.ID) })
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding audit record %d: %w", r.Sequence, err)
	}
	return append(data, '\n'), nil
}

// Digest is the digest a record's successor names as Previous.
func Digest(data []byte) string {
	h := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(h[:])
}

// File is a record as stored: its path, its bytes and the record.
type File struct {
	Path   string
	Data   []byte
	Record Record
}

var fileName = regexp.MustCompile(`^([0-9]{6,})-.+\.json$`)

// Load reads every record under audit/ of a repository, in sequence order.
func Load(fsys fs.FS) ([]File, error) {
	paths, err := recordPaths(fsys)
	if err != nil {
		return nil, err
	}
	files := make([]File, 0, len(paths))
	for _, p := range paths {
		f, err := read(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("loading audit records: %w", err)
		}
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b File) int { return cmp.Compare(a.Record.Sequence, b.Record.Sequence) })
	return files, nil
}

// Last reads only the newest record (the highest sequence in its file
// name), or returns nil when there is none: what the next record needs
// (Next), without reading the whole trail.
func Last(fsys fs.FS) ([]File, error) {
	all, err := recordPaths(fsys)
	if err != nil {
		return nil, err
	}
	// A file named otherwise is not the runner's (audit verify says so).
	paths := slices.DeleteFunc(all, func(p string) bool { return !fileName.MatchString(path.Base(p)) })
	if len(paths) == 0 {
		return nil, nil
	}
	seq := func(p string) int {
		n, _ := strconv.Atoi(fileName.FindStringSubmatch(path.Base(p))[1])
		return n
	}
	last := slices.MaxFunc(paths, func(a, b string) int { return cmp.Compare(seq(a), seq(b)) })
	f, err := read(fsys, last)
	if err != nil {
		return nil, fmt.Errorf("loading the last audit record: %w", err)
	}
	return []File{f}, nil
}

// recordPaths lists the JSON files under audit/.
func recordPaths(fsys fs.FS) ([]string, error) {
	var paths []string
	err := fs.WalkDir(fsys, Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == Dir {
				return fs.SkipDir
			}
			return err
		}
		if !d.IsDir() && path.Ext(p) == ".json" {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading audit records: %w", err)
	}
	return paths, nil
}

func read(fsys fs.FS, p string) (File, error) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return File{}, fmt.Errorf("reading %q: %w", p, err)
	}
	f := File{Path: p, Data: data}
	if err := json.Unmarshal(data, &f.Record); err != nil {
		return File{}, fmt.Errorf("reading %q: %w", p, err)
	}
	return f, nil
}

// ChainError says where the hash chain of records breaks.
type ChainError struct {
	Path    string
	Problem string
}

func (e *ChainError) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Problem) }

// VerifyChain checks records in sequence order: sequence numbers count up
// from 1 without gaps, each file sits at its Path, and each names the
// digest of the one before. It returns every break found.
func VerifyChain(files []File) []error {
	var errs []error
	prev := ""
	for i, f := range files {
		r := f.Record
		if want := i + 1; r.Sequence != want {
			errs = append(errs, &ChainError{f.Path, fmt.Sprintf("sequence %d where %d was expected: a record is missing or reordered", r.Sequence, want)})
		}
		if want := Path(&r); want != f.Path {
			errs = append(errs, &ChainError{f.Path, fmt.Sprintf("the record belongs at %s", want)})
		}
		if m := fileName.FindStringSubmatch(path.Base(f.Path)); m == nil || m[1] != fmt.Sprintf("%06d", r.Sequence) {
			errs = append(errs, &ChainError{f.Path, "the file name does not carry the record's sequence " + strconv.Itoa(r.Sequence)})
		}
		if r.Previous != prev {
			what := "the previous record was changed, removed or reordered"
			if prev == "" {
				what = "the first record names a predecessor"
			}
			errs = append(errs, &ChainError{f.Path, fmt.Sprintf("previous is %q but the record before hashes to %q: %s", r.Previous, prev, what)})
		}
		prev = Digest(f.Data)
	}
	return errs
}

// Next returns the sequence and Previous digest for the record that
// follows files.
func Next(files []File) (sequence int, previous string) {
	if len(files) == 0 {
		return 1, ""
	}
	last := files[len(files)-1]
	return last.Record.Sequence + 1, Digest(last.Data)
}
