package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/internal/hostcfg"
	"github.com/patchwave/patchwave/runner/driver/internal/procgroup"
)

// DefaultTimeout bounds one call when the policy sets no timeout.
const DefaultTimeout = 10 * time.Minute

// Limits on what is kept of a command's output: an answer is a package
// list, and stderr is only quoted in errors.
const (
	maxAnswer      = 16 << 20
	stderrTail     = 8 << 10
	waitForOutputs = 2 * time.Second
)

// Options are what the runner, not the policy, decides about exec drivers.
type Options struct {
	// Dir is the policy repository folder: the default working directory,
	// and what a relative dir setting resolves against. Empty means the
	// runner's working directory.
	Dir string
	// Env is the environment the command starts from, before the
	// PATCHWAVE_* variables of the call; nil means the runner's own. A PATH
	// in it is also where a bare command name is looked up.
	Env []string
}

// execDriver runs the command of one policy.drivers entry.
type execDriver struct {
	name    string
	argv    []string
	dir     string
	timeout time.Duration
	env     []string
}

var (
	_ driver.Driver     = (*execDriver)(nil)
	_ driver.Verifier   = (*execDriver)(nil)
	_ driver.Rollbacker = (*execDriver)(nil)
)

// New builds the exec driver of a policy.drivers entry. It checks the
// settings but not that the command exists, which may be installed after
// the policy is loaded; a missing command fails each call permanently.
func New(d policy.Driver, opts Options) (driver.Driver, error) {
	x := &execDriver{name: d.Name, timeout: DefaultTimeout, dir: opts.Dir, env: opts.Env}
	if x.env == nil {
		x.env = os.Environ()
	}
	for key, v := range d.Settings {
		switch key {
		case "type":
		case "command":
			argv, err := driver.StringList(v)
			if err != nil || len(argv) == 0 || argv[0] == "" {
				return nil, fmt.Errorf("exec driver: command: want a non-empty list of strings, such as [\"sh\", \"drivers/patch.sh\"]")
			}
			x.argv = argv
		case "timeout":
			t, err := hostcfg.Duration(v)
			if err != nil {
				return nil, fmt.Errorf("exec driver: timeout: %w", err)
			}
			x.timeout = t
		case "dir":
			s, ok := v.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("exec driver: dir: want a folder path string")
			}
			if !filepath.IsAbs(s) {
				s = filepath.Join(opts.Dir, s)
			}
			x.dir = s
		default:
			return nil, fmt.Errorf("exec driver: unknown setting %q (want command, timeout, dir)", key)
		}
	}
	if x.argv == nil {
		return nil, fmt.Errorf("exec driver: missing command (an argv list, such as [\"sh\", \"drivers/patch.sh\"])")
	}
	return x, nil
}

// request is the JSON object on the command's stdin (SPEC §3).
type request struct {
	Action   string          `json:"action"`
	AssetID  string          `json:"asset_id"`
	Asset    *policy.Asset   `json:"asset"`
	Changes  []driver.Change `json:"changes"`
	Previous *wireState      `json:"previous"`
}

// wireState is previous in the request: both fields always present, so
// scripts need not test for them.
type wireState struct {
	Packages map[string]string `json:"packages"`
	Digest   string            `json:"digest"`
}

// answer is the JSON object on the command's stdout (SPEC §3). OK is a
// pointer so that an answer without it is told apart from "ok": false.
type answer struct {
	OK             *bool             `json:"ok"`
	Packages       map[string]string `json:"packages"`
	Digest         string            `json:"digest"`
	RebootRequired bool              `json:"reboot_required"`
	Error          string            `json:"error"`
}

func (a *answer) observation() driver.Observation {
	return driver.Observation{Packages: a.Packages, Digest: a.Digest}
}

// Observe runs the command with action "observe".
func (x *execDriver) Observe(ctx context.Context, t driver.Target) (driver.Observation, error) {
	a, err := x.call(ctx, "observe", t, nil, nil)
	if err != nil {
		return driver.Observation{}, err
	}
	return a.observation(), nil
}

// Apply runs the command with action "apply", and fails when its ok answer
// does not report the changes' targets.
func (x *execDriver) Apply(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Result, error) {
	a, err := x.call(ctx, "apply", t, changes, nil)
	if err != nil {
		return driver.Result{}, err
	}
	if err := reaches(t, a, changes); err != nil {
		return driver.Result{}, x.fail(t, "apply", fmt.Errorf("answered ok, but %w", err), nil)
	}
	return driver.Result{Observation: a.observation(), RebootRequired: a.RebootRequired}, nil
}

// Verify runs the command with action "verify"; it fails on "ok": false
// and when the answer does not report the changes' targets.
func (x *execDriver) Verify(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Observation, error) {
	a, err := x.call(ctx, "verify", t, changes, nil)
	if err != nil {
		return driver.Observation{}, err
	}
	if err := reaches(t, a, changes); err != nil {
		return a.observation(), x.fail(t, "verify", fmt.Errorf("answered ok, but %w", err), nil)
	}
	return a.observation(), nil
}

// Rollback runs the command with action "rollback" and previous. The
// answer is trusted: previous may list every package of the asset, and
// packages the rollback did not touch may have moved since.
func (x *execDriver) Rollback(ctx context.Context, t driver.Target, previous driver.Observation) (driver.Result, error) {
	prev := &wireState{Packages: previous.Packages, Digest: previous.Digest}
	if prev.Packages == nil {
		prev.Packages = map[string]string{}
	}
	a, err := x.call(ctx, "rollback", t, nil, prev)
	if err != nil {
		return driver.Result{}, err
	}
	return driver.Result{Observation: a.observation(), RebootRequired: a.RebootRequired}, nil
}

// reaches reports whether an answer shows every change's target.
func reaches(t driver.Target, a *answer, changes []driver.Change) error {
	var osName string
	if t.Asset != nil {
		osName = t.Asset.OS.Name
	}
	return driver.Reaches(osName, a.observation(), changes)
}

// call runs the command once and returns its ok answer.
func (x *execDriver) call(ctx context.Context, action string, t driver.Target, changes []driver.Change, prev *wireState) (*answer, error) {
	if err := ctx.Err(); err != nil {
		return nil, x.fail(t, action, err, nil)
	}
	asset := t.Asset
	if asset == nil {
		asset = &policy.Asset{}
	}
	if changes == nil {
		changes = []driver.Change{}
	}
	in, err := json.Marshal(request{Action: action, AssetID: t.ID, Asset: asset, Changes: changes, Previous: prev})
	if err != nil {
		return nil, x.fail(t, action, fmt.Errorf("encoding the request: %w", err), nil)
	}
	path, err := x.lookPath()
	if err != nil {
		return nil, x.fail(t, action, driver.Permanent(err), nil)
	}

	runCtx, cancel := context.WithTimeoutCause(ctx, x.timeout, errTimeout)
	defer cancel()
	cmd := osexec.CommandContext(runCtx, path, x.argv[1:]...)
	cmd.Args[0] = x.argv[0]
	cmd.Dir = x.dir
	cmd.Env = append(slices.Clip(x.env), callEnv(x.name, action, t.ID, asset)...)
	cmd.Stdin = bytes.NewReader(in)
	stdout := &capped{max: maxAnswer}
	stderr := &tail{max: stderrTail}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	procgroup.Set(cmd, waitForOutputs)

	runErr := cmd.Run()
	if errors.Is(runErr, osexec.ErrWaitDelay) {
		// It exited successfully; only something it left behind still
		// held its output. The answer stands.
		runErr = nil
	}
	if runErr != nil {
		// A command that finished in time is judged by its answer, even
		// if the context ended just after.
		switch {
		case ctx.Err() != nil:
			return nil, x.fail(t, action, ctx.Err(), stderr)
		case errors.Is(context.Cause(runCtx), errTimeout):
			return nil, x.fail(t, action, fmt.Errorf("timed out after %v", x.timeout), stderr)
		}
	}
	a, parseErr := parseAnswer(stdout)
	if runErr != nil {
		var ee *osexec.ExitError
		if !errors.As(runErr, &ee) {
			// It did not start: not executable, bad working directory.
			return nil, x.fail(t, action, driver.Permanent(runErr), stderr)
		}
		if parseErr == nil && a.Error != "" {
			return nil, x.fail(t, action, fmt.Errorf("%v: %s", runErr, hostcfg.Quote(a.Error)), stderr)
		}
		return nil, x.fail(t, action, runErr, stderr)
	}
	if parseErr != nil {
		return nil, x.fail(t, action, parseErr, stderr)
	}
	if !*a.OK {
		msg := a.Error
		if msg == "" {
			msg = "no error given"
		}
		return nil, x.fail(t, action, fmt.Errorf("answered not ok: %s", hostcfg.Quote(msg)), stderr)
	}
	return a, nil
}

var errTimeout = errors.New("exec driver timeout")

// parseAnswer reads the one JSON object of stdout.
func parseAnswer(out *capped) (*answer, error) {
	if out.over {
		return nil, fmt.Errorf("no valid answer: stdout is over %d bytes", maxAnswer)
	}
	b := bytes.TrimSpace(out.buf.Bytes())
	if len(b) == 0 {
		return nil, errors.New("no answer on stdout")
	}
	if b[0] != '{' {
		return nil, fmt.Errorf("no valid answer: stdout is not one JSON object (it begins %s)", hostcfg.Quote(string(b)))
	}
	var a answer
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("no valid answer: %v (stdout begins %s)", err, hostcfg.Quote(string(b)))
	}
	if dec.InputOffset() != int64(len(b)) {
		return nil, fmt.Errorf("no valid answer: stdout holds more than one JSON object (after it: %s)", hostcfg.Quote(string(b[dec.InputOffset():])))
	}
	if a.OK == nil {
		return nil, errors.New(`no valid answer: the answer lacks "ok"`)
	}
	return &a, nil
}

// fail builds the error of a call: short, naming the driver, action and
// asset, with the last lines of stderr. It never quotes the request.
func (x *execDriver) fail(t driver.Target, action string, err error, stderr *tail) error {
	msg := ""
	if stderr != nil {
		msg = hostcfg.StderrNote(string(stderr.buf))
	}
	return &callError{driver: x.name, action: action, asset: t.ID, err: err, stderr: msg}
}

// callError keeps the cause in the chain, so that callers can test for
// context.Canceled or driver.PermanentError.
type callError struct {
	driver, action, asset string
	err                   error
	stderr                string
}

func (e *callError) Error() string {
	return fmt.Sprintf("exec driver %q: %s %q: %v%s", e.driver, e.action, e.asset, e.err, e.stderr)
}

func (e *callError) Unwrap() error { return e.err }

// lookPath finds the command: a path with a slash resolves against the
// working directory, a bare name is looked up in the PATH of the
// command's environment, which may differ from the runner's.
func (x *execDriver) lookPath() (string, error) {
	name := x.argv[0]
	if strings.ContainsRune(name, '/') {
		if !filepath.IsAbs(name) && x.dir != "" {
			name = filepath.Join(x.dir, name)
		}
		return name, nil
	}
	pathList, ok := driver.EnvValue(x.env, "PATH")
	if !ok {
		return "", fmt.Errorf("command %q: no PATH to look it up in", name)
	}
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			// Relative PATH entries would make the command depend on
			// the working directory; os/exec refuses them too.
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("command %q: %w in PATH", name, fs.ErrNotExist)
}

// callEnv describes the call in PATCHWAVE_* variables (see the package
// documentation). Every variable is set, even empty, so that none leaks
// in from the runner's environment.
func callEnv(driverName, action, id string, a *policy.Asset) []string {
	first := func(l []string) string {
		if len(l) == 0 {
			return ""
		}
		return l[0]
	}
	var ref, digest string
	if a.Image != nil {
		ref, digest = a.Image.Ref, a.Image.Digest
	}
	vars := [][2]string{
		{"ACTION", action},
		{"DRIVER", driverName},
		{"ASSET_ID", id},
		{"HOSTNAME", a.Hostname},
		{"IP", first(a.IP)},
		{"MAC", first(a.MAC)},
		{"LOCATION", a.Location},
		{"KIND", a.Kind},
		{"OS_FAMILY", a.OS.Family},
		{"OS_NAME", a.OS.Name},
		{"OS_VERSION", string(a.OS.Version)},
		{"REVISION", string(a.Revision)},
		{"CRITICALITY", a.Criticality},
		{"EXPOSURE", a.Exposure},
		{"OWNER", a.Owner},
		{"IMAGE_REF", ref},
		{"IMAGE_DIGEST", digest},
	}
	env := make([]string, len(vars))
	for i, v := range vars {
		// A NUL cannot be passed in the environment; it would fail the
		// start of the command.
		env[i] = "PATCHWAVE_" + v[0] + "=" + strings.ReplaceAll(v[1], "\x00", "")
	}
	return env
}

// capped keeps up to max bytes and notes whether more were written.
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if room := c.max - c.buf.Len(); len(p) > room {
		c.over = true
		p = p[:max(room, 0)]
	}
	c.buf.Write(p)
	// Report all of p as written, so that the command is not stopped by a
	// short write; the excess is dropped and noted.
	return n, nil
}

// tail keeps the last max bytes written.
type tail struct {
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = slices.Clone(t.buf[len(t.buf)-t.max:])
	}
	return n, nil
}
