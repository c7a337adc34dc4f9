package plan

import "time"

// FormatVersion is the version of the JSON shape of a plan (SPEC §2).
const FormatVersion = 1

// Stage statuses (SPEC §2).
const (
	StatusDone       = "done"
	StatusDue        = "due"
	StatusBlocked    = "blocked"
	StatusRunning    = "running"
	StatusFailed     = "failed"
	StatusHalted     = "halted"
	StatusRolledBack = "rolled-back"
)

// Finding levels.
const (
	LevelError   = "error"
	LevelWarning = "warning"
)

// Plan is what the repository will do to the fleet, as of At.
type Plan struct {
	FormatVersion int       `json:"format_version"`
	At            time.Time `json:"at"`
	// Offline is set when image tags were not resolved to digests.
	Offline bool    `json:"offline"`
	Waves   []*Wave `json:"waves"`
	// Rollbacks are the reviewed rollbacks of the repository (policy
	// rollbacks), in name order.
	Rollbacks []*Rollback `json:"rollbacks,omitempty"`
	Findings  []Finding   `json:"findings"`
	Missing   []Missing   `json:"missing"`
	Summary   Summary     `json:"summary"`
	Inputs    Inputs      `json:"inputs"`

	memo *memo // what Input.Reuse takes from this plan
}

// Wave is the plan of one wave.
type Wave struct {
	Name       string   `json:"name"`
	Severity   string   `json:"severity"`
	Patches    []string `json:"patches"`
	ApprovedBy []string `json:"approved_by"`
	Emergency  bool     `json:"emergency"`
	Reason     string   `json:"reason,omitempty"`
	Stages     []*Stage `json:"stages"`
	// Exceptions lists the exceptions that removed actions from this wave.
	Exceptions []Exception `json:"exceptions,omitempty"`
	// Forecast is when the last stage may start at the earliest.
	Forecast time.Time `json:"forecast,omitzero"`
}

// Stage is the plan of one stage.
type Stage struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Reason string `json:"reason"`
	// Until is when a blocked stage's reason ends, if known.
	Until time.Time `json:"until,omitzero"`
	// Start is the earliest time the stage may start: At when it is due,
	// Until when it is blocked by time, later for stages behind others.
	Start time.Time `json:"start,omitzero"`
	// Window is the stage's maintenance window ("any" for none) and the
	// occurrence in which it would run.
	Window     string      `json:"window"`
	WindowOpen *Occurrence `json:"window_open,omitempty"`
	Members    int         `json:"members"`
	// MaxParallel and MaxFailures resolved against the assets the stage
	// will change (those with actions), not all members.
	MaxParallel int `json:"max_parallel"`
	MaxFailures int `json:"max_failures"`
	Batches     int `json:"batches"`
	// Reboots is how many assets are expected to reboot (reboot policy
	// and patches that need one).
	Reboots int      `json:"reboots"`
	Soak    string   `json:"soak"`
	Actions []Action `json:"actions"`
}

// Rollback is the plan of one rollback: the assets it puts back to what
// they ran before their wave changed them, and whether it is due. A
// rollback does not wait for windows, freezes or soak: it undoes.
type Rollback struct {
	Name       string   `json:"name"`
	Wave       string   `json:"wave"`
	Stages     []string `json:"stages"`           // the stages it puts back
	Assets     []string `json:"assets,omitempty"` // only these, when set
	Reason     string   `json:"reason"`           // why, as the request says
	ApprovedBy []string `json:"approved_by"`
	// Status is "due", "running", "done" or "failed"; StatusReason says
	// why or when.
	Status       string `json:"status"`
	StatusReason string `json:"status_reason"`
	// Actions put assets back: From is what an asset runs now, To what it
	// ran before the wave.
	Actions []Action `json:"actions"`
}

// Occurrence is one opening of a maintenance window.
type Occurrence struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Action is one asset receiving one patch.
type Action struct {
	Asset string `json:"asset"`
	Patch string `json:"patch"`
	Kind  string `json:"kind"` // "package" | "image"
	// From and To read as the change: a version, "name version, ..." for
	// several packages, or a digest for an image.
	From string `json:"from"`
	To   string `json:"to"`
	// Changes are the precise changes, as the exec driver receives them.
	Changes []Change `json:"changes"`
	Reboot  bool     `json:"reboot"`
	// Due is when the patch must be installed by (released + SLA), if the
	// policy sets an SLA for its severity.
	Due time.Time `json:"due,omitzero"`
}

// Change is one package or image changed by an action (SPEC §3 changes).
type Change struct {
	Name string `json:"name"` // package name, or the image reference
	From string `json:"from"`
	To   string `json:"to"`
}

// Finding is something a reviewer must see.
type Finding struct {
	Level   string `json:"level"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Asset   string `json:"asset,omitempty"`
	Patch   string `json:"patch,omitempty"`
	Wave    string `json:"wave,omitempty"`
}

// Missing is a patch that assets need and no wave schedules: the fleet
// scan view.
type Missing struct {
	Patch    string   `json:"patch"`
	Severity string   `json:"severity"`
	Assets   []string `json:"assets"`
}

// Exception is an exception that the plan applied.
type Exception struct {
	Asset   string    `json:"asset"`
	Patch   string    `json:"patch"`
	Reason  string    `json:"reason"`
	Expires time.Time `json:"expires"`
}

// Summary counts what a reviewer looks at first.
type Summary struct {
	Actions  int `json:"actions"`
	Assets   int `json:"assets"` // assets with at least one action
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// DueStages counts stages due now.
	DueStages int `json:"due_stages"`
	// DueRollbacks counts rollbacks due now (their actions are counted
	// in Actions and Assets).
	DueRollbacks int `json:"due_rollbacks,omitempty"`
	// Missing counts (asset, patch) pairs that no wave schedules, by
	// severity.
	Missing map[string]int `json:"missing"`
	// Findings counts findings by code.
	Findings map[string]int `json:"findings"`
}

// Inputs names everything a plan was computed from, so that a saved plan
// can be checked for staleness before apply executes it.
type Inputs struct {
	Files  []File            `json:"files"`
	State  []File            `json:"state"`
	Images map[string]string `json:"images,omitempty"` // "repository:tag" -> digest
	At     time.Time         `json:"at"`
}

// File is an input file and its content digest.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// HasChanges reports whether the plan would change anything now or later.
func (p *Plan) HasChanges() bool { return p.Summary.Actions > 0 }
