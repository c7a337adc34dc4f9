// Package demo runs the whole patchwave loop on the embedded quickstart in
// a temporary repository (SPEC §2 demo): a git repository with a bare
// remote, an OCI registry in-process on 127.0.0.1 seeded with the images
// the example needs, a "pull request" that adds the wave and is planned
// against main, the merge, and apply at the times the stages become due;
// then a reviewed rollback of the broad stage, planned, merged and
// applied the same way, audit verify and the compliance report. Hosts are
// SIMULATED: patchwave's folder-host command keeps their package
// lists in files.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/patchwave/patchwave/examples"
	"github.com/patchwave/patchwave/plan"
	"github.com/patchwave/patchwave/plan/render"
	"github.com/patchwave/patchwave/plan/resolve"
	"github.com/patchwave/patchwave/runner"
	"github.com/patchwave/patchwave/runner/audit/history"
	"github.com/patchwave/patchwave/runner/audit/report"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/gitstore"
)

// Options control Run.
type Options struct {
	// Dir is where the demo makes its repositories; empty: a new
	// temporary folder, which is kept for `git log`.
	Dir string
	// Drivers builds drivers; the demo adds PATCHWAVE_HOSTS_DIR for exec
	// through Env.
	Drivers func(dir string, env []string) *driver.Registry
	// Self is the patchwave binary, which serves the simulated hosts.
	Self string
	Out  io.Writer
}

// The moments the demo applies at: the canary's window, the pilot's after
// the canary's soak, the broad stage's on the US weekend.
var applyTimes = []string{"2026-11-26T22:30:00Z", "2026-11-30T22:00:00Z", "2026-12-05T08:00:00Z"}

const waveFile = "waves/2026-11-security.cue"

// Run runs the demo and returns the folder of the repository it leaves.
func Run(ctx context.Context, o Options) (string, error) {
	base := o.Dir
	if base == "" {
		var err error
		if base, err = os.MkdirTemp("", "patchwave-demo-"); err != nil {
			return "", err
		}
	}
	say := func(format string, args ...any) { fmt.Fprintf(o.Out, format+"\n", args...) }
	host, stop, err := startRegistry()
	if err != nil {
		return "", err
	}
	defer stop()
	say("== an OCI registry on %s, in-process", host)
	digests, err := seed(host)
	if err != nil {
		return "", err
	}

	fleet, hosts := filepath.Join(base, "fleet"), filepath.Join(base, "hosts")
	if err := os.MkdirAll(hosts, 0o755); err != nil {
		return "", err
	}
	files, err := quickstartFiles(host, digests, o.Self)
	if err != nil {
		return "", err
	}
	repo, err := git.PlainInitWithOptions(fleet, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	if err != nil {
		return "", fmt.Errorf("creating the fleet repository: %w", err)
	}
	remoteDir := filepath.Join(base, "remote.git")
	if _, err := git.PlainInitWithOptions(remoteDir, &git.PlainInitOptions{Bare: true, InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}}); err != nil {
		return "", err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{remoteDir}}); err != nil {
		return "", err
	}
	wave := files[waveFile]
	delete(files, waveFile)
	if err := commitFiles(repo, fleet, files, "fleet: policy, inventory, groups and patches"); err != nil {
		return "", err
	}
	if err := push(repo); err != nil {
		return "", err
	}
	say("== %s: a policy repository (the quickstart) on main, pushed to %s", fleet, remoteDir)

	d := &demo{o: o, repo: repo, fleet: fleet, resolver: resolve.NewRegistry(resolve.RegistryOptions{}),
		env: append(os.Environ(), "PATCHWAVE_HOSTS_DIR="+hosts)}
	if d.wt, err = repo.Worktree(); err != nil {
		return "", err
	}
	if err := d.pullRequest(ctx, "pr/2026-11-security", map[string][]byte{waveFile: wave}, "wave 2026-11-security: November security fixes", "2026-11-26T12:00:00Z"); err != nil {
		return "", err
	}
	for _, when := range applyTimes {
		if err := d.apply(ctx, when); err != nil {
			return fleet, err
		}
	}
	if err := d.status(ctx, applyTimes[len(applyTimes)-1]); err != nil {
		return fleet, err
	}

	// Something is wrong after the broad stage: a reviewed rollback.
	if err := d.pullRequest(ctx, "pr/rollback-broad", map[string][]byte{rollbackFile: []byte(rollback)},
		"rollback broad-back: put the broad stage back", rollbackTime); err != nil {
		return fleet, err
	}
	if err := d.apply(ctx, rollbackTime); err != nil {
		return fleet, err
	}
	if err := d.status(ctx, rollbackTime); err != nil {
		return fleet, err
	}

	say("\n== patchwave audit verify")
	problems, sum, err := history.Verify(ctx, history.Options{Repo: repo, Branch: "main"})
	if err != nil {
		return fleet, err
	}
	if err := history.VerifyText(o.Out, problems, sum); err != nil {
		return fleet, err
	}
	if len(problems) > 0 {
		return fleet, fmt.Errorf("the demo's audit trail does not verify")
	}
	say("\n== patchwave audit report --at %s", rollbackTime)
	at, _ := time.Parse(time.RFC3339, rollbackTime)
	rep, err := report.Compute(ctx, report.Options{Repo: repo, Branch: "main", At: at})
	if err != nil {
		return fleet, err
	}
	if err := report.Markdown(o.Out, rep); err != nil {
		return fleet, err
	}
	say("\nThe repository: %s\n  git -C %s log --format='%%h %%s%%n%%(trailers)'", fleet, fleet)
	return fleet, nil
}

// The reviewed rollback the demo merges after the broad stage, and when
// it applies it.
const (
	rollbackFile = "rollbacks/broad-back.cue"
	rollbackTime = "2026-12-06T09:00:00Z"
	rollback     = `package patchwave

rollbacks: "broad-back": {
	wave:   "2026-11-security"
	stages: ["broad"]
	reason: "INC-2041: p99 latency of shop-api doubled after the broad stage"
	approved_by: ["bob"]
}
`
)

// demo is the state of one demo run.
type demo struct {
	o        Options
	repo     *git.Repository
	wt       *git.Worktree
	fleet    string
	resolver resolve.Resolver
	env      []string
}

// pullRequest opens a branch off main with files, prints the plan a CI bot
// would post (against main) as of at, and merges it.
func (d *demo) pullRequest(ctx context.Context, branch string, files map[string][]byte, msg, at string) error {
	if err := d.wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch), Create: true}); err != nil {
		return err
	}
	if err := commitFiles(d.repo, d.fleet, files, msg); err != nil {
		return err
	}
	fmt.Fprintf(d.o.Out, "\n== pull request %s: %s; the plan a CI bot would post:\n\n", branch, msg)
	when, _ := time.Parse(time.RFC3339, at)
	head, err := runner.Prepare(ctx, runner.Source{FS: os.DirFS(d.fleet)}, runner.PrepareOptions{At: when, Resolver: d.resolver})
	if err != nil {
		return runner.WithProblems(head, err)
	}
	baseFS, err := gitstore.TreeFS(d.repo, "main", "")
	if err != nil {
		return err
	}
	basePlan, err := runner.Prepare(ctx, runner.Source{FS: baseFS, Prefix: "main:"}, runner.PrepareOptions{At: when, Resolver: d.resolver, Reuse: head.Plan})
	if err != nil {
		return runner.WithProblems(basePlan, err)
	}
	change := render.Compare(basePlan.Plan, head.Plan)
	if err := render.Text(d.o.Out, head.Plan, render.Options{Change: &change}); err != nil {
		return err
	}
	// The merge: main moves to the pull request's commit.
	prHead, _ := d.repo.Head()
	if err := d.repo.Storer.SetReference(plumbing.NewHashReference(plumbing.Main, prHead.Hash())); err != nil {
		return err
	}
	if err := d.wt.Checkout(&git.CheckoutOptions{Branch: plumbing.Main}); err != nil {
		return err
	}
	fmt.Fprintln(d.o.Out, "\n== merged into main")
	return push(d.repo)
}

// apply runs patchwave apply at a time, then brings the work tree to the
// runner's commits and pushes them.
func (d *demo) apply(ctx context.Context, when string) error {
	t, _ := time.Parse(time.RFC3339, when)
	fmt.Fprintf(d.o.Out, "\n== patchwave apply --at %s\n", when)
	_, err := runner.Apply(ctx, runner.ApplyOptions{Repo: d.repo, Branch: "main", Now: func() time.Time { return t },
		Drivers: d.o.Drivers(d.fleet, d.env), Planning: runner.PrepareOptions{Resolver: d.resolver},
		Author: object.Signature{Name: "patchwave demo", Email: "demo@patchwave.invalid"}, Getenv: os.Getenv, Log: d.o.Out})
	if err != nil {
		return err
	}
	return sync(d.repo, d.wt)
}

// status prints where every wave, stage and asset stands at a time.
func (d *demo) status(ctx context.Context, when string) error {
	fmt.Fprintf(d.o.Out, "\n== patchwave status --at %s\n", when)
	t, _ := time.Parse(time.RFC3339, when)
	p, err := runner.Prepare(ctx, runner.Source{FS: os.DirFS(d.fleet)}, runner.PrepareOptions{At: t, Resolver: d.resolver})
	if err != nil {
		return runner.WithProblems(p, err)
	}
	return render.StatusText(d.o.Out, plan.StatusOf(p.Repo, p.Plan, p.State), false)
}

// startRegistry serves an OCI registry on 127.0.0.1.
func startRegistry() (host string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("starting the registry: %w", err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	return l.Addr().String(), func() { srv.Close() }, nil
}

// seed pushes the images the quickstart runs and the patched shop/api,
// and returns the digests that stand in for the example's.
func seed(host string) (map[string]string, error) {
	out := map[string]string{}
	push := func(refs ...string) (v1.Hash, error) {
		img, err := random.Image(1024, 2)
		if err != nil {
			return v1.Hash{}, err
		}
		for _, r := range refs {
			ref, err := name.ParseReference(host + "/" + r)
			if err != nil {
				return v1.Hash{}, err
			}
			if err := remote.Write(ref, img); err != nil {
				return v1.Hash{}, fmt.Errorf("seeding %s: %w", ref, err)
			}
		}
		return img.Digest()
	}
	for example, refs := range map[string][]string{
		"sha256:6d3c3e1b4f0b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e": {"shop/api:prod", "shop/api:staging", "shop/api:1.14.2"},
		"sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9": {"shop/web:prod"},
		"sha256:f1e2d3c4b5a69788a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2": {"payments/worker:prod"},
	} {
		d, err := push(refs...)
		if err != nil {
			return nil, err
		}
		out[example] = d.String()
	}
	if _, err := push("shop/api:1.14.3"); err != nil {
		return nil, err
	}
	return out, nil
}

// quickstartFiles reads the embedded quickstart with its registry moved
// to host, its image digests to the seeded ones, and its simulated hosts
// served by self.
func quickstartFiles(host string, digests map[string]string, self string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(examples.Quickstart(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) == ".go" {
			return err
		}
		data, err := fs.ReadFile(examples.Quickstart(), p)
		if err != nil {
			return err
		}
		data = bytes.ReplaceAll(data, []byte("registry.example.com"), []byte(host))
		for example, seeded := range digests {
			data = bytes.ReplaceAll(data, []byte(example), []byte(seeded))
		}
		data = bytes.ReplaceAll(data, []byte(`command: ["patchwave", "folder-host"]`), []byte(fmt.Sprintf(`command: [%q, "folder-host"]`, self)))
		files[p] = data
		return nil
	})
	return files, err
}

// commitFiles writes files into the work tree and commits them.
func commitFiles(repo *git.Repository, dir string, files map[string][]byte, msg string) error {
	wt, err := repo.Worktree()
	if err != nil {
		return err
	}
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			return err
		}
		if _, err := wt.Add(p); err != nil {
			return err
		}
	}
	_, err = wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "alice", Email: "alice@example.com", When: time.Now()}})
	if err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// sync brings the work tree to the runner's commits and pushes main.
func sync(repo *git.Repository, wt *git.Worktree) error {
	head, err := repo.Reference(plumbing.Main, true)
	if err != nil {
		return err
	}
	if err := wt.Reset(&git.ResetOptions{Commit: head.Hash(), Mode: git.HardReset}); err != nil {
		return err
	}
	return push(repo)
}

func push(repo *git.Repository) error {
	err := repo.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{"refs/heads/main:refs/heads/main"}})
	if err != nil && err != git.NoErrAlreadyUpToDate {
		return fmt.Errorf("pushing main: %w", err)
	}
	return nil
}
