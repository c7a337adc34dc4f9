package plan

import (
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/patchwave/patchwave/plan/state"
	"github.com/patchwave/patchwave/policy"
)

// Reusable is what Input.Reuse takes: a computed *Plan, or a *Running one.
type Reusable interface {
	memoOf() *memo
}

func (p *Plan) memoOf() *memo {
	if p == nil {
		return nil
	}
	return p.memo
}

// Running is a plan being computed in its own goroutine (Start).
type Running struct{ memo *memo }

// Start computes the plan of in in a new goroutine, so that another plan
// can be computed at the same time, reusing this one (Input.Reuse): that
// computation waits only for the parts it takes, when it takes them.
// plan --base computes the base beside the head this way.
func Start(in Input) *Running {
	c := newComputer(in)
	go c.run()
	return &Running{memo: c.memo}
}

// Plan waits for the plan and returns it.
func (r *Running) Plan() *Plan {
	<-r.memo.done
	return r.memo.plan
}

func (r *Running) memoOf() *memo {
	if r == nil {
		return nil
	}
	return r.memo
}

// memo is what a computation publishes for Input.Reuse, part by part.
// The inputs and the waves' definitions and members are set before the
// computation starts; patches once patchesDone is closed; a wave's result
// once its slot's done is closed; plan once done is closed.
type memo struct {
	repo        *policy.Repository
	state       *state.State
	at          time.Time
	images      map[string]string
	offline     bool
	patches     map[string]*patchResult
	patchesDone chan struct{}
	waves       map[string]*waveSlot
	plan        *Plan
	done        chan struct{}
}

type patchResult struct {
	patch    *policy.Patch
	needs    map[string][]Change
	ids      []string // the keys of needs, sorted
	findings []Finding
}

// waveSlot is one wave of a computation: its inputs, and its result once
// done is closed.
type waveSlot struct {
	def     *policy.Wave
	members [][]string
	done    chan struct{}
	result  *waveResult
}

type waveResult struct {
	wave     *Wave
	findings []Finding
}

func newMemo(in Input) *memo {
	m := &memo{repo: in.Repo, state: in.State, at: in.At, images: in.Images, offline: in.Offline,
		patches: map[string]*patchResult{}, patchesDone: make(chan struct{}),
		waves: map[string]*waveSlot{}, done: make(chan struct{})}
	for name, w := range in.Repo.Waves {
		m.waves[name] = &waveSlot{def: w, members: in.Repo.StageMembers(w), done: make(chan struct{})}
	}
	return m
}

// reusable returns the memo of prev when the inputs every part depends on
// are equal: the same assets (the same values: policy.Cache shares them
// between loads), recorded state, time and image digests; and whether
// its policy is the same too, which waves need.
func (c *computer) reusable(m *memo) (_ *memo, samePolicy bool) {
	if m == nil {
		return nil, false
	}
	if !m.at.Equal(c.in.At) || m.offline != c.in.Offline || !maps.Equal(m.images, c.in.Images) ||
		!slices.Equal(stateFiles(m.state), stateFiles(c.in.State)) || !c.repo.SameAssets(m.repo) {
		return nil, false
	}
	return m, reflect.DeepEqual(m.repo.Policy, c.repo.Policy)
}

func stateFiles(s *state.State) []state.File {
	if s == nil {
		return nil
	}
	return s.Files
}

// patch returns the earlier needs of an equal patch.
func (m *memo) patch(id string, p *policy.Patch) *patchResult {
	if m == nil {
		return nil
	}
	<-m.patchesDone
	if pr := m.patches[id]; pr != nil && reflect.DeepEqual(pr.patch, p) {
		return pr
	}
	return nil
}

// wave returns the earlier plan of an equal wave: the same definition,
// members, policy (samePolicy), and patches whose needs were reused. It
// waits for that wave only when it is equal.
func (m *memo) wave(now *waveSlot, nowMemo *memo, samePolicy bool) *waveResult {
	if m == nil || !samePolicy {
		return nil
	}
	slot := m.waves[now.def.Name]
	if slot == nil || !reflect.DeepEqual(slot.def, now.def) || !slices.EqualFunc(slot.members, now.members, slices.Equal) {
		return nil
	}
	<-m.patchesDone
	for _, pid := range now.def.Patches {
		if nowMemo.patches[pid] != m.patches[pid] {
			return nil
		}
	}
	<-slot.done
	return slot.result
}

// earlierActions are the actions of the same stage in the plan being
// reused, when that plan has planned the wave already (it does not wait
// for it) and its policy and the stage's reboot setting are the same: an
// action there for an asset and a patch whose needs were reused is the
// action c.action would build (its changes are the same slice, its due
// date and reboot come from the same patch and policy). A wave that
// changed (a patch dropped, a group edited) keeps most of its actions.
func (c *computer) earlierActions(wave string, s *policy.Stage) *earlier {
	if c.prev == nil || !c.samePolicy {
		return nil
	}
	slot := c.prev.waves[wave]
	if slot == nil {
		return nil
	}
	select {
	case <-slot.done:
	default:
		return nil
	}
	for i, ps := range slot.def.Stages {
		if ps.Name == s.Name && ps.Reboot == s.Reboot && i < len(slot.result.wave.Stages) {
			return &earlier{actions: slot.result.wave.Stages[i].Actions}
		}
	}
	return nil
}

// earlier walks a stage's earlier actions, which come in asset order,
// alongside the members being planned, also in asset order.
type earlier struct {
	actions []Action
	next    int
}

// find returns the earlier action for asset and patch, when its patch's
// needs were reused. Calls come in asset order.
func (e *earlier) find(asset, patch string, reused bool) (Action, bool) {
	if e == nil || !reused {
		return Action{}, false
	}
	for e.next < len(e.actions) && e.actions[e.next].Asset < asset {
		e.next++
	}
	for i := e.next; i < len(e.actions) && e.actions[i].Asset == asset; i++ {
		if e.actions[i].Patch == patch {
			return e.actions[i], true
		}
	}
	return Action{}, false
}
