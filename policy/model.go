package policy

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"time"
)

// Severity ranks patches: "low" < "medium" < "high" < "critical".
type Severity string

// The severities, lowest first.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Severities lists the severities, lowest first.
var Severities = []Severity{Low, Medium, High, Critical}

// Rank orders severities: 1 for low up to 4 for critical, 0 when unknown.
func (s Severity) Rank() int { return slices.Index(Severities, s) + 1 }

// Repository is a loaded and checked policy repository.
type Repository struct {
	Policy    Policy
	Assets    map[string]*Asset
	Groups    map[string]*Group
	Patches   map[string]*Patch
	Waves     map[string]*Wave
	Rollbacks map[string]*Rollback
	// Files lists every input file with its content digest, sorted by path,
	// so that a saved plan can name exactly what it was computed from.
	Files []File

	ids          []string              // asset ids, sorted
	assetsOf     *Repository           // the first repository loaded with these very assets
	members      map[string][]string   // group name -> sorted asset ids
	stageMembers map[string][][]string // wave name -> each stage's asset ids
}

// File is one input file of a repository.
type File struct {
	Path   string `json:"path"`   // slash-separated, relative to the repository folder
	SHA256 string `json:"sha256"` // hex digest of the content
}

// Policy holds the organisation-wide rules (SPEC §1 #Policy).
type Policy struct {
	Authority  map[Severity][]string
	SLA        map[Severity]time.Duration
	Windows    map[string]*Window
	Freezes    []Freeze
	Canary     *Canary
	Exceptions []Exception
	Drivers    map[string]Driver
	Branch     string
	// TrustedKeys are the ASCII-armored OpenPGP public keys whose
	// signatures audit verify accepts on runner commits.
	TrustedKeys []string
}

// Window is a recurring maintenance window.
type Window struct {
	Name     string
	Days     []time.Weekday
	Start    int // minutes after midnight, local to Location
	Duration time.Duration
	Location *time.Location
}

// Freeze is a period in which only the allowed severities roll out.
type Freeze struct {
	From, To time.Time
	Reason   string
	Allow    []Severity
}

// Canary bounds the first stage of every wave; a zero field is no bound.
type Canary struct {
	MaxAssets  int
	MaxPercent float64
	HasPercent bool
}

// Exception exempts one asset from one patch until it expires.
type Exception struct {
	Asset, Patch string
	Reason       string
	ApprovedBy   []string
	Expires      time.Time
}

// Driver is an entry of policy.drivers: its type and its own settings as
// plain values (strings, numbers, lists, maps), for the driver to read.
type Driver struct {
	Name     string
	Type     string
	Settings map[string]any
}

// Asset is one server, workstation or container image (SPEC §1 #Asset).
// The JSON names are those of the schema; decoding is strict about them.
type Asset struct {
	ID          string            `json:"-"`
	Hostname    string            `json:"hostname,omitempty"`
	Location    string            `json:"location,omitempty"`
	IP          StringList        `json:"ip,omitempty"`
	MAC         StringList        `json:"mac,omitempty"`
	OS          OS                `json:"os,omitzero"`
	Revision    Text              `json:"revision,omitempty"`
	Kind        string            `json:"kind,omitempty"`
	Criticality string            `json:"criticality,omitempty"`
	Exposure    string            `json:"exposure,omitempty"`
	Data        []string          `json:"data,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Driver      string            `json:"driver,omitempty"`
	Packages    map[string]string `json:"packages,omitempty"`
	Image       *Image            `json:"image,omitempty"`

	// Source is where the asset is defined.
	Source Position `json:"-"`
}

// OS names an operating system; Name decides the version order.
type OS struct {
	Family  string `json:"family,omitempty"`
	Name    string `json:"name,omitempty"`
	Version Text   `json:"version,omitempty"`
}

// Image is the deployment of a container image.
type Image struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest,omitempty"`
}

// Group is a named set of assets (SPEC §1 #Group).
type Group struct {
	Name    string
	Match   *Match
	Include []string
	Exclude []string
}

// Match holds a group's conditions; each field lists accepted values
// (glob patterns allowed), and an empty list accepts anything.
type Match struct {
	Tags        map[string][]string
	OSFamily    []string
	OSName      []string
	OSVersion   []string
	Location    []string
	Criticality []string
	Exposure    []string
	Kind        []string
}

// Patch is something that can be applied (SPEC §1 #Patch).
type Patch struct {
	ID       string
	Severity Severity
	Released time.Time
	CVEs     []string
	Summary  string
	Advisory string
	Reboot   bool
	// Packages maps package name to fixed version, for hosts.
	Packages map[string]string
	// OS limits a package patch; empty fields accept anything.
	OS PatchOS
	// Image is the target of an image patch.
	Image *ImageTarget
}

// PatchOS filters the assets a package patch applies to.
type PatchOS struct {
	Family, Name, Version []string
}

// ImageTarget is the image a patch moves an image asset to.
type ImageTarget struct {
	Repository string
	Digest     string
	Tag        string
}

// Wave is a rollout of some patches over some groups, in stages.
type Wave struct {
	Name       string
	Patches    []string
	Stages     []*Stage
	ApprovedBy []string
	Emergency  bool
	NotBefore  time.Time // zero: no bound
	Reason     string
}

// Stage is one step of a wave.
type Stage struct {
	Name        string
	Groups      []string
	MaxParallel Amount
	MaxFailures Amount
	Soak        time.Duration
	Window      string // a name in policy.windows, or "any"
	Reboot      string // "never" | "if-required" | "always"
	OnFailure   string // "halt" | "rollback"
}

// Rollback is a reviewed request to put a wave, stages or assets back.
type Rollback struct {
	Name       string
	Wave       string
	Stages     []string
	Assets     []string
	Reason     string
	ApprovedBy []string
}

// HighestSeverity is the highest severity among the wave's known patches.
func (r *Repository) HighestSeverity(w *Wave) Severity {
	var top Severity
	for _, id := range w.Patches {
		if p, ok := r.Patches[id]; ok && p.Severity.Rank() > top.Rank() {
			top = p.Severity
		}
	}
	return top
}

// SortedKeys returns the keys of a map in order, for stable output.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// StringList is one string or a list of them (asset ip and mac).
type StringList []string

// UnmarshalJSON accepts a string or a list of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = StringList{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[StringList]()}
	}
	*l = list
	return nil
}

// Text is a string that may be written as a number (os.version: 12,
// revision: 20261120), as inventories exported by other tools often do.
type Text string

// UnmarshalJSON accepts a string or a number, kept as written.
func (t *Text) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Text]()}
	}
	*t = Text(n)
	return nil
}

// jsonKind names the kind of a JSON value from its first byte.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}
