package driver

import (
	"context"
	"errors"
)

// BatchItem is one asset of a batch and the changes it is to receive.
type BatchItem struct {
	Target  Target
	Changes []Change
}

// BatchOptions carry the stage's limits to a BatchApplier, which enforces
// them itself (an engine such as Ansible schedules its own hosts).
type BatchOptions struct {
	// Serial is how many assets change at once: the stage's
	// max_parallel resolved to a count (at least 1).
	Serial int
	// MaxFailPercentage stops the batch from starting more assets once
	// more than this percentage of the assets changing together has
	// failed: the stage's max_failures as a share. 0 stops at the first
	// failure; 100 never stops.
	MaxFailPercentage int
}

// BatchResult is what became of one item: the asset's result as Apply
// would return it, or its error.
type BatchResult struct {
	Result Result
	Err    error
}

// ErrNotAttempted is the error of an item a BatchApplier never started,
// because the batch stopped at MaxFailPercentage. The asset is unchanged.
var ErrNotAttempted = errors.New("not attempted: the batch stopped at its failure threshold")

// BatchApplier is implemented by drivers that apply to many assets in one
// go, scheduling them themselves (ansible-playbook with serial and
// max_fail_percentage), which is faster than one Apply per asset.
type BatchApplier interface {
	// ApplyBatch applies each item as Apply would (an asset already at
	// its target is a successful no-op) and returns one result per item,
	// in the items' order; items not started carry ErrNotAttempted. The
	// error is for a failure of the whole batch (the engine did not run,
	// ctx ended), in which case results are nil and any asset may have
	// changed. Items must name different assets.
	ApplyBatch(ctx context.Context, items []BatchItem, opts BatchOptions) ([]BatchResult, error)
}
