package driver

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
)

// Target is the asset a driver works on.
type Target struct {
	ID    string
	Asset *policy.Asset
}

// Kinds of change.
const (
	KindPackage = "package"
	KindImage   = "image"
)

// Change is one package or image to change on an asset (SPEC §3).
type Change struct {
	Patch string `json:"patch"`
	Kind  string `json:"kind"` // "package" | "image"
	Name  string `json:"name"` // package name, or the image reference
	From  string `json:"from"`
	To    string `json:"to"`
}

// Observation is what an asset runs: package versions, or an image digest.
type Observation = state.Observation

// Result is what an asset runs after a change, and whether it needs a
// reboot to finish it.
type Result struct {
	Observation
	RebootRequired bool
}

// Driver observes and changes assets.
type Driver interface {
	// Observe reports what the asset runs now. It changes nothing and is
	// safe to call at any time, concurrently for different assets.
	Observe(ctx context.Context, t Target) (Observation, error)

	// Apply makes the asset run every change's To (or newer) and reports
	// what it runs afterwards. An asset already at the target is a
	// successful no-op, so a crashed run can apply again. When ctx ends,
	// Apply returns an error wrapping ctx.Err(); a call whose ctx ended
	// before it started changes nothing. Safe to call concurrently for
	// different assets; never concurrently for the same asset.
	Apply(ctx context.Context, t Target, changes []Change) (Result, error)
}

// Verifier is implemented by drivers that can check, independently of
// Apply's answer, that an asset runs the changes' targets.
type Verifier interface {
	// Verify returns what the asset runs and an error when it does not
	// run every change's To (or newer); the observation is meaningful
	// only without an error. It changes nothing.
	Verify(ctx context.Context, t Target, changes []Change) (Observation, error)
}

// Rollbacker is implemented by drivers that can put an asset back to what
// it ran before a change.
type Rollbacker interface {
	// Rollback makes the asset run previous (as Observe reported it before
	// the change) and reports what it runs afterwards. An asset already
	// there is a successful no-op.
	Rollback(ctx context.Context, t Target, previous Observation) (Result, error)
}

// Rebooter is implemented by drivers that can reboot an asset.
type Rebooter interface {
	// Reboot restarts the asset and returns once it is back and
	// reachable, or with an error when it does not come back in time.
	Reboot(ctx context.Context, t Target) error
}

// PermanentError wraps errors that retrying cannot fix (a package that
// does not exist, a refused credential), so that retry stays generic.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Factory builds a driver from its policy.drivers entry. What a driver
// needs from the runner (the repository folder, the environment) the
// factory closes over where cmd registers it.
type Factory func(d policy.Driver) (Driver, error)

// Registry maps driver types ("exec", "oci", ...) to factories. cmd fills
// it explicitly; nothing registers itself.
type Registry struct {
	factories map[string]Factory
}

// Register adds a driver type; registering a type twice panics, as it is
// a programming error.
func (r *Registry) Register(typ string, f Factory) {
	if r.factories == nil {
		r.factories = map[string]Factory{}
	}
	if _, dup := r.factories[typ]; dup {
		panic(fmt.Sprintf("driver type %q registered twice", typ))
	}
	r.factories[typ] = f
}

// Types lists the registered driver types, sorted.
func (r *Registry) Types() []string {
	types := make([]string, 0, len(r.factories))
	for t := range r.factories {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// New builds the driver of a policy.drivers entry.
func (r *Registry) New(d policy.Driver) (Driver, error) {
	f, ok := r.factories[d.Type]
	if !ok {
		return nil, fmt.Errorf("driver %q: unknown type %q (this patchwave has %v)", d.Name, d.Type, r.Types())
	}
	drv, err := f(d)
	if err != nil {
		return nil, fmt.Errorf("driver %q: %w", d.Name, err)
	}
	return drv, nil
}

// StringList reads a setting that is a list of strings, as CUE and JSON
// decoding ([]any) or Go code ([]string) write it.
func StringList(v any) ([]string, error) {
	switch l := v.(type) {
	case []string:
		return slices.Clone(l), nil
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %d is %T, not a string", i, e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%T is not a list of strings", v)
}
