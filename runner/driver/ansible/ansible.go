package ansible

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/internal/hostcfg"
	"github.com/patchwave/patchwave/runner/driver/internal/pkgcmd"
	"github.com/patchwave/patchwave/runner/driver/internal/procgroup"
)

// DefaultTimeout bounds one ansible-playbook run when the policy sets none.
const DefaultTimeout = 30 * time.Minute

// Options are what the runner, not the policy, decides about ansible
// drivers.
type Options struct {
	// Dir is the policy repository folder, which relative paths
	// (known_hosts, a playbook command) resolve against.
	Dir string
	// Env is the environment ansible-playbook starts from; nil means the
	// runner's own. The key file variable and SSH_AUTH_SOCK are read
	// from it.
	Env []string
}

// ansibleDriver runs ansible-playbook with a generated inventory and
// playbook.
type ansibleDriver struct {
	hostcfg.Config
	name string
	argv []string
	dir  string
	env  []string
}

var (
	_ driver.Driver       = (*ansibleDriver)(nil)
	_ driver.Verifier     = (*ansibleDriver)(nil)
	_ driver.Rollbacker   = (*ansibleDriver)(nil)
	_ driver.BatchApplier = (*ansibleDriver)(nil)
)

const settingNames = "command, " + hostcfg.Names

// New builds the ansible driver of a policy.drivers entry.
func New(d policy.Driver, opts Options) (driver.Driver, error) {
	a := &ansibleDriver{Config: hostcfg.Config{Timeout: DefaultTimeout, KeyEnv: hostcfg.DefaultKeyEnv},
		name: d.Name, argv: []string{"ansible-playbook"}, dir: opts.Dir, env: opts.Env}
	if a.env == nil {
		a.env = os.Environ()
	}
	for key, v := range d.Settings {
		if key == "type" {
			continue
		}
		known, err := a.Set(key, v, opts.Dir)
		if !known {
			if key != "command" {
				return nil, fmt.Errorf("ansible driver: unknown setting %q (want %s)", key, settingNames)
			}
			a.argv, err = driver.StringList(v)
			if err == nil && (len(a.argv) == 0 || a.argv[0] == "") {
				err = errors.New("want a non-empty argv list, such as [\"ansible-playbook\"]")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("ansible driver: %s: %w", key, err)
		}
	}
	return a, nil
}

// host is one asset in a run: its inventory entry and, after the run,
// what ansible reported of it.
type host struct {
	id      string
	target  driver.Target
	address string // hostcfg.Address
	pm      *pkgcmd.Manager
	osName  string
	command string // the change to run; empty to only observe

	// From the run:
	seen           bool
	failed         error
	observed       driver.Observation
	rebootRequired bool
}

// newHost checks that an asset can be driven: an address and a known
// package manager (os.name).
func newHost(t driver.Target) (*host, error) {
	addr, err := hostcfg.Address(t)
	if err != nil {
		return nil, err
	}
	h := &host{id: t.ID, target: t, address: addr}
	pm, ok := pkgcmd.For(t.Asset.OS.Name)
	if !ok {
		return nil, driver.Permanent(fmt.Errorf("os.name %q names no package manager the ansible driver knows (Debian or RHEL family)", t.Asset.OS.Name))
	}
	h.pm, h.osName = pm, t.Asset.OS.Name
	return h, nil
}

// Observe runs the observe play on the asset.
func (a *ansibleDriver) Observe(ctx context.Context, t driver.Target) (driver.Observation, error) {
	h, err := a.one(ctx, t, "observe")
	if err != nil {
		return driver.Observation{}, err
	}
	return h.observed, nil
}

// Verify observes the asset and fails unless it runs every change's
// target or newer.
func (a *ansibleDriver) Verify(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Observation, error) {
	h, err := a.one(ctx, t, "verify")
	if err != nil {
		return driver.Observation{}, err
	}
	if err := driver.Reaches(h.osName, h.observed, changes); err != nil {
		return h.observed, a.fail(t, "verify", fmt.Errorf("the host %w", err))
	}
	return h.observed, nil
}

// one observes one asset.
func (a *ansibleDriver) one(ctx context.Context, t driver.Target, action string) (*host, error) {
	h, err := newHost(t)
	if err != nil {
		return nil, a.fail(t, action, err)
	}
	if err := a.play(ctx, []*host{h}, driver.BatchOptions{Serial: 1, MaxFailPercentage: 100}); err != nil {
		return nil, a.fail(t, action, err)
	}
	if h.failed != nil {
		return nil, a.fail(t, action, h.failed)
	}
	return h, nil
}

// Apply is ApplyBatch of one asset.
func (a *ansibleDriver) Apply(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Result, error) {
	res, err := a.ApplyBatch(ctx, []driver.BatchItem{{Target: t, Changes: changes}}, driver.BatchOptions{Serial: 1})
	if err != nil {
		return driver.Result{}, err
	}
	return res[0].Result, res[0].Err
}

// ApplyBatch observes every asset in one ansible-playbook run, then
// upgrades those below their targets in a second, with the stage's
// serial and max_fail_percentage.
func (a *ansibleDriver) ApplyBatch(ctx context.Context, items []driver.BatchItem, opts driver.BatchOptions) ([]driver.BatchResult, error) {
	return a.change(ctx, "apply", len(items), opts,
		func(i int) driver.Target { return items[i].Target },
		func(i int, h *host) (string, error) {
			todo, err := pkgcmd.Todo(h.osName, h.observed, items[i].Changes)
			if err != nil || len(todo) == 0 {
				return "", err
			}
			return withRefresh(h.pm, h.pm.Upgrade(todo)), nil
		},
		func(i int, h *host) error { return pkgcmd.Upgraded(h.osName, h.observed, items[i].Changes) })
}

// Rollback puts every package of previous that now differs back, as the
// ssh driver does, through ansible-playbook.
func (a *ansibleDriver) Rollback(ctx context.Context, t driver.Target, previous driver.Observation) (driver.Result, error) {
	res, err := a.change(ctx, "rollback", 1, driver.BatchOptions{Serial: 1},
		func(int) driver.Target { return t },
		func(_ int, h *host) (string, error) {
			if todo := pkgcmd.Differing(h.observed, previous); len(todo) > 0 {
				return withRefresh(h.pm, h.pm.Downgrade(todo)), nil
			}
			return "", nil
		},
		func(_ int, h *host) error { return pkgcmd.RolledBack(h.observed, previous) })
	if err != nil {
		return driver.Result{}, err
	}
	return res[0].Result, res[0].Err
}

// withRefresh retries a change after refreshing the package lists, when
// the manager has a refresh command: an unknown version is often only a
// stale list.
func withRefresh(pm *pkgcmd.Manager, command string) string {
	if pm.Refresh == "" {
		return command
	}
	return command + " || { " + pm.Refresh + " && " + command + "; }"
}

// change is the two runs of a change: observe all, then run each host's
// command (from plan; none means already there) and check the outcome
// (with check).
func (a *ansibleDriver) change(ctx context.Context, action string, n int, opts driver.BatchOptions,
	target func(int) driver.Target, plan func(int, *host) (string, error), check func(int, *host) error) ([]driver.BatchResult, error) {
	all := driver.Target{ID: fmt.Sprintf("%d assets", n)} // names the batch in errors of the whole run
	if err := ctx.Err(); err != nil {
		return nil, a.fail(all, action, err)
	}
	results := make([]driver.BatchResult, n)
	hosts := make([]*host, n)
	var live []*host
	for i := range n {
		t := target(i)
		h, err := newHost(t)
		if err != nil {
			results[i].Err = a.fail(t, action, err)
			continue
		}
		hosts[i] = h
		live = append(live, h)
	}
	if err := a.play(ctx, live, driver.BatchOptions{Serial: len(live), MaxFailPercentage: 100}); err != nil {
		return nil, a.fail(all, action, err)
	}
	var changing []*host
	for i, h := range hosts {
		if h == nil {
			continue
		}
		if h.failed != nil {
			results[i].Err = a.fail(h.target, action, h.failed)
			hosts[i] = nil
			continue
		}
		cmd, err := plan(i, h)
		if err != nil {
			results[i].Err = a.fail(h.target, action, err)
			hosts[i] = nil
			continue
		}
		if cmd != "" {
			h.command = cmd
			changing = append(changing, h)
		}
	}
	if len(changing) > 0 {
		for _, h := range changing {
			h.seen, h.failed, h.observed = false, nil, driver.Observation{}
		}
		if err := a.play(ctx, changing, opts); err != nil {
			return nil, a.fail(all, action, err)
		}
	}
	for i, h := range hosts {
		if h == nil {
			continue
		}
		switch {
		case !h.seen:
			results[i].Err = a.fail(h.target, action, driver.ErrNotAttempted)
		case h.failed != nil:
			results[i].Err = a.fail(h.target, action, h.failed)
		default:
			if err := check(i, h); err != nil {
				results[i].Err = a.fail(h.target, action, err)
				continue
			}
			results[i].Result = driver.Result{Observation: h.observed, RebootRequired: h.rebootRequired}
		}
	}
	return results, nil
}

// play runs ansible-playbook once over hosts and records per host what
// it reported. The error is for a run that produced no report.
func (a *ansibleDriver) play(ctx context.Context, hosts []*host, opts driver.BatchOptions) error {
	if len(hosts) == 0 {
		return nil
	}
	work, err := os.MkdirTemp("", "patchwave-ansible-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	keyFile, _ := driver.EnvValue(a.env, a.KeyEnv)
	if err := os.WriteFile(filepath.Join(work, "inventory.yml"), a.inventory(hosts, keyFile), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "playbook.yml"), playbook(opts), 0o600); err != nil {
		return err
	}
	runCtx, cancel := context.WithTimeoutCause(ctx, a.Timeout, errTimeout)
	defer cancel()
	argv := append(append([]string{}, a.argv...), "-i", filepath.Join(work, "inventory.yml"), filepath.Join(work, "playbook.yml"))
	cmd := osexec.CommandContext(runCtx, argv[0], argv[1:]...)
	cmd.Dir = a.dir
	cmd.Env = append(append([]string{}, a.env...),
		"ANSIBLE_STDOUT_CALLBACK=json",
		"ANSIBLE_LOAD_CALLBACK_PLUGINS=1",
		"ANSIBLE_RETRY_FILES_ENABLED=0",
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_PIPELINING=1",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(work, "tmp"),
		"ANSIBLE_SSH_CONTROL_PATH_DIR="+filepath.Join(work, "cp"),
		"ANSIBLE_PYTHON_INTERPRETER=auto_silent",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	procgroup.Set(cmd, 2*time.Second)
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(context.Cause(runCtx), errTimeout) {
		return fmt.Errorf("ansible-playbook timed out after %v", a.Timeout)
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		if runErr == nil {
			runErr = err
		}
		return fmt.Errorf("ansible-playbook: %v, no JSON report%s", runErr, hostcfg.StderrNote(stderr.String()))
	}
	rep.apply(hosts)
	return nil
}

var errTimeout = errors.New("ansible driver timeout")

// inventory writes the hosts as a YAML inventory. Values are written as
// JSON strings (valid YAML) tagged !unsafe, so that Ansible never
// templates the shell commands (rpm's query format holds "{%").
func (a *ansibleDriver) inventory(hosts []*host, keyFile string) []byte {
	var b bytes.Buffer
	q := func(s string) string {
		j, _ := json.Marshal(s)
		return "!unsafe " + string(j)
	}
	list := func(l []string) string {
		parts := make([]string, len(l))
		for i, s := range l {
			parts[i] = q(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	sshArgs := ""
	if a.KnownHosts != "" {
		sshArgs += "-o UserKnownHostsFile=" + pkgcmd.ShellQuote(a.KnownHosts) + " "
	}
	if a.AcceptUnknown {
		sshArgs += "-o StrictHostKeyChecking=accept-new"
	} else {
		sshArgs += "-o StrictHostKeyChecking=yes"
	}
	b.WriteString("patchwave:\n  hosts:\n")
	for _, h := range hosts {
		fmt.Fprintf(&b, "    %s:\n", q(h.id))
		vars := [][2]string{
			{"ansible_host", q(h.address)},
			{"ansible_ssh_common_args", q(sshArgs)},
			{"patchwave_observe", q(h.pm.Observe)},
			{"patchwave_reboot_check", q(h.pm.RebootRequired)},
			{"patchwave_command", q(h.command)},
			{"patchwave_pre", list(a.Pre)},
			{"patchwave_post", list(a.Post)},
			{"ansible_become", strconv.FormatBool(a.Sudo)},
		}
		if a.User != "" {
			vars = append(vars, [2]string{"ansible_user", q(a.User)})
		}
		if a.Port != 0 {
			vars = append(vars, [2]string{"ansible_port", strconv.Itoa(a.Port)})
		}
		if keyFile != "" {
			vars = append(vars, [2]string{"ansible_ssh_private_key_file", q(keyFile)})
		}
		for _, v := range vars {
			fmt.Fprintf(&b, "      %s: %s\n", v[0], v[1])
		}
	}
	return b.Bytes()
}

// Task names of the playbook, which the report is read by.
const (
	taskPre     = "patchwave pre hooks"
	taskChange  = "patchwave change"
	taskPost    = "patchwave post hooks"
	taskObserve = "patchwave observe"
	taskReboot  = "patchwave reboot required"
)

// playbook is the one play: hooks and the change when a host has one,
// then what it runs and whether it needs a reboot.
func playbook(opts driver.BatchOptions) []byte {
	serial := max(opts.Serial, 1)
	pct := min(max(opts.MaxFailPercentage, 0), 100)
	return []byte(fmt.Sprintf(`- name: patchwave
  hosts: patchwave
  gather_facts: false
  serial: %d
  max_fail_percentage: %d
  tasks:
    - name: %s
      ansible.builtin.shell: "{{ item }}"
      loop: "{{ patchwave_pre }}"
      become: false
      when: patchwave_command | length > 0
    - name: %s
      ansible.builtin.shell: "{{ patchwave_command }}"
      when: patchwave_command | length > 0
    - name: %s
      ansible.builtin.shell: "{{ item }}"
      loop: "{{ patchwave_post }}"
      become: false
      when: patchwave_command | length > 0
    - name: %s
      ansible.builtin.shell: "{{ patchwave_observe }}"
      become: false
      changed_when: false
    - name: %s
      ansible.builtin.shell: "{{ patchwave_reboot_check }}"
      become: false
      changed_when: false
`, serial, pct, taskPre, taskChange, taskPost, taskObserve, taskReboot))
}

// report is the part of the json callback's output that the driver
// reads.
type report struct {
	Plays []struct {
		Tasks []struct {
			Task struct {
				Name string `json:"name"`
			} `json:"task"`
			Hosts map[string]taskResult `json:"hosts"`
		} `json:"tasks"`
	} `json:"plays"`
}

type taskResult struct {
	Failed      bool         `json:"failed"`
	Unreachable bool         `json:"unreachable"`
	Skipped     bool         `json:"skipped"`
	Msg         any          `json:"msg"`
	RC          *int         `json:"rc"`
	Stdout      string       `json:"stdout"`
	Stderr      string       `json:"stderr"`
	Results     []taskResult `json:"results"`
}

// apply records what the report says of each host.
func (r *report) apply(hosts []*host) {
	byID := map[string]*host{}
	for _, h := range hosts {
		byID[h.id] = h
	}
	for _, p := range r.Plays {
		for _, t := range p.Tasks {
			for id, res := range t.Hosts {
				h := byID[id]
				if h == nil || h.failed != nil {
					continue
				}
				h.seen = true
				if err := res.err(h.pm); err != nil {
					h.failed = fmt.Errorf("task %q: %w", t.Task.Name, err)
					continue
				}
				switch t.Task.Name {
				case taskObserve:
					h.observed, h.failed = h.pm.Observation(res.Stdout)
				case taskReboot:
					h.rebootRequired = strings.TrimSpace(res.Stdout) == "yes"
				}
			}
		}
	}
	for _, h := range hosts {
		if h.seen && h.failed == nil && h.observed.Packages == nil {
			h.failed = errors.New("the run stopped before the host was observed")
		}
	}
}

// err is a failed task's error; permanent when retrying cannot help.
func (t taskResult) err(pm *pkgcmd.Manager) error {
	for _, r := range t.Results {
		if err := r.err(pm); err != nil {
			return err
		}
	}
	if !t.Failed && !t.Unreachable {
		return nil
	}
	msg, _ := t.Msg.(string)
	switch {
	case t.Unreachable && (strings.Contains(msg, "Host key verification failed") || strings.Contains(msg, "Permission denied")):
		return driver.Permanent(fmt.Errorf("unreachable: %s", hostcfg.Quote(msg)))
	case t.Unreachable:
		return fmt.Errorf("unreachable: %s", hostcfg.Quote(msg))
	}
	var err error
	if t.RC != nil {
		err = fmt.Errorf("exit status %d%s", *t.RC, hostcfg.StderrNote(t.Stderr))
	} else {
		err = errors.New(hostcfg.Quote(msg))
	}
	if pm.NotFound.MatchString(t.Stderr) {
		return driver.Permanent(fmt.Errorf("the repositories do not offer the version: %w", err))
	}
	return err
}

// fail builds the error of a call, naming the driver, action and asset.
func (a *ansibleDriver) fail(t driver.Target, action string, err error) error {
	return &hostcfg.CallError{Type: "ansible", Name: a.name, Action: action, Asset: t.ID, Err: err}
}
