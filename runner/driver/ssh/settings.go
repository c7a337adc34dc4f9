package ssh

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
)

// Defaults of the settings.
const (
	DefaultTimeout        = 30 * time.Minute
	DefaultConnectTimeout = 30 * time.Second
	DefaultRebootTimeout  = 10 * time.Minute
	DefaultKeyEnv         = "PATCHWAVE_SSH_KEY"
	defaultRebootCommand  = "systemctl reboot || reboot"
)

// Options are what the runner, not the policy, decides about ssh drivers.
type Options struct {
	// Dir is the policy repository folder, which a relative known_hosts
	// path resolves against.
	Dir string
	// Getenv reads the environment (the key file variable, SSH_AUTH_SOCK,
	// HOME); nil means os.Getenv.
	Getenv func(string) string
}

// config is a parsed policy.drivers entry.
type config struct {
	name           string
	user           string
	port           int
	knownHosts     string
	acceptUnknown  bool
	timeout        time.Duration
	connectTimeout time.Duration
	rebootTimeout  time.Duration
	rebootCommand  string
	sudo           bool
	pre, post      []string
	keyEnv         string
}

const settingNames = "user, port, known_hosts, unknown_hosts, timeout, connect_timeout, reboot_timeout, reboot_command, sudo, pre, post, key_env"

func parseConfig(d policy.Driver, opts Options, getenv func(string) string) (*config, error) {
	c := &config{
		name: d.Name, user: "root", port: 22,
		timeout: DefaultTimeout, connectTimeout: DefaultConnectTimeout, rebootTimeout: DefaultRebootTimeout,
		rebootCommand: defaultRebootCommand, keyEnv: DefaultKeyEnv,
	}
	for key, v := range d.Settings {
		var err error
		switch key {
		case "type":
		case "user":
			c.user, err = nonEmpty(v)
		case "port":
			c.port, err = port(v)
		case "known_hosts":
			c.knownHosts, err = nonEmpty(v)
			if err == nil && !filepath.IsAbs(c.knownHosts) {
				c.knownHosts = filepath.Join(opts.Dir, c.knownHosts)
			}
		case "unknown_hosts":
			var s string
			s, err = nonEmpty(v)
			switch {
			case err != nil:
			case s == "refuse":
			case s == "accept":
				c.acceptUnknown = true
			default:
				err = fmt.Errorf("%q is not one of refuse, accept", s)
			}
		case "timeout":
			c.timeout, err = duration(v)
		case "connect_timeout":
			c.connectTimeout, err = duration(v)
		case "reboot_timeout":
			c.rebootTimeout, err = duration(v)
		case "reboot_command":
			c.rebootCommand, err = nonEmpty(v)
		case "sudo":
			b, ok := v.(bool)
			if !ok {
				err = fmt.Errorf("want true or false, got %T", v)
			}
			c.sudo = b
		case "pre":
			c.pre, err = driver.StringList(v)
		case "post":
			c.post, err = driver.StringList(v)
		case "key_env":
			c.keyEnv, err = nonEmpty(v)
		default:
			return nil, fmt.Errorf("ssh driver: unknown setting %q (want %s)", key, settingNames)
		}
		if err != nil {
			return nil, fmt.Errorf("ssh driver: %s: %w", key, err)
		}
	}
	if c.knownHosts == "" {
		home := getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		c.knownHosts = filepath.Join(home, ".ssh", "known_hosts")
	}
	return c, nil
}

func nonEmpty(v any) (string, error) {
	s, ok := v.(string)
	if !ok || s == "" {
		return "", fmt.Errorf("want a non-empty string, got %T", v)
	}
	return s, nil
}

func duration(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("want a duration string such as \"10m\", got %T", v)
	}
	d, err := policy.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be more than 0", s)
	}
	return d, nil
}

// port reads a port number as CUE, JSON or Go code writes it.
func port(v any) (int, error) {
	var f float64
	switch n := v.(type) {
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	case float64:
		f = n
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, err
		}
	default:
		return 0, fmt.Errorf("want a port number, got %T", v)
	}
	if f != math.Trunc(f) || f < 1 || f > 65535 {
		return 0, fmt.Errorf("%v is not a port number (1-65535)", v)
	}
	return int(f), nil
}
