package ssh

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/patchwave/patchwave/plan/version"
	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
	"github.com/patchwave/patchwave/runner/driver/internal/hostcfg"
	"github.com/patchwave/patchwave/runner/driver/internal/pkgcmd"
)

// sshDriver patches hosts over ssh with their package manager.
type sshDriver struct {
	cfg    *config
	getenv func(string) string
}

var (
	_ driver.Driver     = (*sshDriver)(nil)
	_ driver.Verifier   = (*sshDriver)(nil)
	_ driver.Rollbacker = (*sshDriver)(nil)
	_ driver.Rebooter   = (*sshDriver)(nil)
	_ driver.Scanner    = (*sshDriver)(nil)
)

// New builds the ssh driver of a policy.drivers entry. It checks the
// settings; credentials and known_hosts are read at each call, so that
// they may change (an agent restarted, a host added) while patchwave runs.
func New(d policy.Driver, opts Options) (driver.Driver, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg, err := parseConfig(d, opts, getenv)
	if err != nil {
		return nil, err
	}
	return &sshDriver{cfg: cfg, getenv: getenv}, nil
}

// session is one call's connection and the host's package manager.
type session struct {
	*conn
	pm     *pkgcmd.Manager
	osName string // decides the version order
}

// call connects to the asset, bounded by the timeout, and runs fn; errors
// name the driver, action and asset.
func (d *sshDriver) call(ctx context.Context, t driver.Target, action string, fn func(ctx context.Context, s *session) error) error {
	return d.callHost(ctx, t, action, func(ctx context.Context, s *session) error {
		if err := s.findManager(ctx, t); err != nil {
			return err
		}
		return fn(ctx, s)
	})
}

// callHost is call without finding the package manager, for what needs
// none (reading the boot id while a host reboots).
func (d *sshDriver) callHost(ctx context.Context, t driver.Target, action string, fn func(ctx context.Context, s *session) error) error {
	if err := ctx.Err(); err != nil {
		return d.fail(t, action, err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d.cfg.Timeout, errTimeout)
	defer cancel()
	err := func() error {
		c, err := d.dial(ctx, t)
		if err != nil {
			return err
		}
		defer c.close()
		// Ending ctx closes the connection, which ends a running command.
		stop := context.AfterFunc(ctx, c.close)
		defer stop()
		return fn(ctx, &session{conn: c})
	}()
	if err != nil && errors.Is(context.Cause(ctx), errTimeout) && !errors.Is(err, errTimeout) {
		err = fmt.Errorf("timed out after %v: %w", d.cfg.Timeout, err)
	}
	if err != nil {
		return d.fail(t, action, err)
	}
	return nil
}

var errTimeout = errors.New("ssh driver timeout")

// findManager sets the session's package manager and version order: from
// the asset's os.name, else asking the host which it has.
func (s *session) findManager(ctx context.Context, t driver.Target) error {
	if t.Asset != nil {
		s.osName = t.Asset.OS.Name
		s.pm, _ = pkgcmd.For(s.osName)
	}
	if s.pm == nil {
		out, err := s.run(ctx, pkgcmd.Probe, false)
		if err != nil {
			return fmt.Errorf("finding the package manager: %w", err)
		}
		if s.pm, err = pkgcmd.Named(out); err != nil {
			return driver.Permanent(err)
		}
	}
	if _, ok := version.SchemeFor(s.osName); !ok {
		s.osName = s.pm.OSName
	}
	return nil
}

// Observe lists the host's installed packages.
func (d *sshDriver) Observe(ctx context.Context, t driver.Target) (driver.Observation, error) {
	var o driver.Observation
	err := d.call(ctx, t, "observe", func(ctx context.Context, s *session) error {
		var err error
		o, err = s.observe(ctx)
		return err
	})
	return o, err
}

// Apply upgrades the packages below their target, runs the pre and post
// hooks around that, and checks the result. Packages already at their
// target (or newer) are left alone; when none is below, nothing runs.
func (d *sshDriver) Apply(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Result, error) {
	var res driver.Result
	err := d.call(ctx, t, "apply", func(ctx context.Context, s *session) error {
		before, err := s.observe(ctx)
		if err != nil {
			return err
		}
		todo, err := pkgcmd.Todo(s.osName, before, changes)
		if err != nil {
			return err
		}
		if len(todo) > 0 {
			if err := d.changing(ctx, s, func() error { return s.install(ctx, s.pm.Upgrade(todo)) }); err != nil {
				return err
			}
		}
		if res.Observation, err = s.observe(ctx); err != nil {
			return err
		}
		if err := pkgcmd.Upgraded(s.osName, res.Observation, changes); err != nil {
			return err
		}
		res.RebootRequired, err = s.rebootRequired(ctx)
		return err
	})
	return res, err
}

// Verify observes the host and fails unless it runs every change's
// target or newer.
func (d *sshDriver) Verify(ctx context.Context, t driver.Target, changes []driver.Change) (driver.Observation, error) {
	var o driver.Observation
	err := d.call(ctx, t, "verify", func(ctx context.Context, s *session) error {
		var err error
		if o, err = s.observe(ctx); err != nil {
			return err
		}
		if err := driver.Reaches(s.osName, o, changes); err != nil {
			return fmt.Errorf("the host %w", err)
		}
		return nil
	})
	return o, err
}

// Rollback puts every package of previous that now differs back to its
// version (downgrading, or installing it when missing), with the hooks
// around it. Packages installed since and absent from previous stay.
func (d *sshDriver) Rollback(ctx context.Context, t driver.Target, previous driver.Observation) (driver.Result, error) {
	var res driver.Result
	err := d.call(ctx, t, "rollback", func(ctx context.Context, s *session) error {
		now, err := s.observe(ctx)
		if err != nil {
			return err
		}
		if todo := pkgcmd.Differing(now, previous); len(todo) > 0 {
			if err := d.changing(ctx, s, func() error { return s.install(ctx, s.pm.Downgrade(todo)) }); err != nil {
				return err
			}
			if now, err = s.observe(ctx); err != nil {
				return err
			}
			if err := pkgcmd.RolledBack(now, previous); err != nil {
				return err
			}
		}
		res.Observation = now
		res.RebootRequired, err = s.rebootRequired(ctx)
		return err
	})
	return res, err
}

// changing runs the pre hooks, change, and the post hooks.
func (d *sshDriver) changing(ctx context.Context, s *session, change func() error) error {
	for _, h := range d.cfg.Pre {
		if _, err := s.run(ctx, h, false); err != nil {
			return fmt.Errorf("pre hook %s: %w", hostcfg.Quote(h), err)
		}
	}
	if err := change(); err != nil {
		return err
	}
	for _, h := range d.cfg.Post {
		if _, err := s.run(ctx, h, false); err != nil {
			return fmt.Errorf("post hook %s: %w", hostcfg.Quote(h), err)
		}
	}
	return nil
}

func (s *session) observe(ctx context.Context) (driver.Observation, error) {
	out, err := s.run(ctx, s.pm.Observe, false)
	if err != nil {
		return driver.Observation{}, fmt.Errorf("listing packages: %w", err)
	}
	return s.pm.Observation(out)
}

// install runs a package manager command. When the manager does not
// know a version, it refreshes its package lists once and tries again; a
// version still unknown is a permanent error.
func (s *session) install(ctx context.Context, command string) error {
	attempt := func() error {
		if _, err := s.run(ctx, command, true); err != nil {
			return fmt.Errorf("%s: %w", firstWord(strings.TrimPrefix(command, "DEBIAN_FRONTEND=noninteractive ")), err)
		}
		return nil
	}
	err := attempt()
	var ee *exitError
	if err == nil || !errors.As(err, &ee) || !s.pm.NotFound.MatchString(ee.raw) {
		return err
	}
	if s.pm.Refresh != "" {
		if _, rerr := s.run(ctx, s.pm.Refresh, true); rerr != nil {
			return fmt.Errorf("%w; refreshing the package lists: %v", err, rerr)
		}
		err = attempt()
	}
	if err != nil && errors.As(err, &ee) && s.pm.NotFound.MatchString(ee.raw) {
		return driver.Permanent(fmt.Errorf("the repositories do not offer the version: %w", err))
	}
	return err
}

func (s *session) rebootRequired(ctx context.Context) (bool, error) {
	out, err := s.run(ctx, s.pm.RebootRequired, false)
	if err != nil {
		return false, fmt.Errorf("checking whether a reboot is required: %w", err)
	}
	return strings.TrimSpace(out) == "yes", nil
}

// Reboot runs the reboot command detached, then waits until the host
// answers ssh with a new boot id, bounded by reboot_timeout.
func (d *sshDriver) Reboot(ctx context.Context, t driver.Target) error {
	const bootID = "cat /proc/sys/kernel/random/boot_id"
	var before string
	err := d.callHost(ctx, t, "reboot", func(ctx context.Context, s *session) error {
		var err error
		if before, err = s.run(ctx, bootID, false); err != nil {
			return fmt.Errorf("reading the boot id: %w", err)
		}
		detached := "nohup sh -c " + pkgcmd.ShellQuote("sleep 1; "+d.cfg.rebootCommand) + " >/dev/null 2>&1 &"
		_, err = s.run(ctx, detached, true)
		return err
	})
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, d.cfg.rebootTimeout)
	defer cancel()
	for {
		if err := pause(wctx, 2*time.Second); err != nil {
			if ctx.Err() != nil {
				return d.fail(t, "reboot", ctx.Err())
			}
			return d.fail(t, "reboot", fmt.Errorf("the host did not come back with a new boot id within %v", d.cfg.rebootTimeout))
		}
		var now string
		err := d.callHost(wctx, t, "reboot", func(ctx context.Context, s *session) error {
			var err error
			now, err = s.run(ctx, bootID, false)
			return err
		})
		if err == nil && strings.TrimSpace(now) != strings.TrimSpace(before) {
			return nil
		}
		if driver.IsPermanent(err) {
			return err
		}
	}
}

// fail builds the error of a call, naming the driver, action and asset.
func (d *sshDriver) fail(t driver.Target, action string, err error) error {
	return &hostcfg.CallError{Type: "ssh", Name: d.cfg.name, Action: action, Asset: t.ID, Err: err}
}
