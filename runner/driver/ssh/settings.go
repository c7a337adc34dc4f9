package ssh

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver/internal/hostcfg"
)

// Defaults of the settings.
const (
	DefaultTimeout        = 30 * time.Minute
	DefaultConnectTimeout = 30 * time.Second
	DefaultRebootTimeout  = 10 * time.Minute
	DefaultKeyEnv         = hostcfg.DefaultKeyEnv
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
	hostcfg.Config
	name           string
	connectTimeout time.Duration
	rebootTimeout  time.Duration
	rebootCommand  string
}

const settingNames = hostcfg.Names + ", connect_timeout, reboot_timeout, reboot_command"

func parseConfig(d policy.Driver, opts Options, getenv func(string) string) (*config, error) {
	c := &config{
		Config:         hostcfg.Config{User: "root", Port: 22, Timeout: DefaultTimeout, KeyEnv: DefaultKeyEnv},
		name:           d.Name,
		connectTimeout: DefaultConnectTimeout, rebootTimeout: DefaultRebootTimeout, rebootCommand: defaultRebootCommand,
	}
	for key, v := range d.Settings {
		if key == "type" {
			continue
		}
		known, err := c.Set(key, v, opts.Dir)
		if !known {
			switch key {
			case "connect_timeout":
				c.connectTimeout, err = hostcfg.Duration(v)
			case "reboot_timeout":
				c.rebootTimeout, err = hostcfg.Duration(v)
			case "reboot_command":
				c.rebootCommand, err = hostcfg.NonEmpty(v)
			default:
				return nil, fmt.Errorf("ssh driver: unknown setting %q (want %s)", key, settingNames)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("ssh driver: %s: %w", key, err)
		}
	}
	if c.KnownHosts == "" {
		home := getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		c.KnownHosts = filepath.Join(home, ".ssh", "known_hosts")
	}
	return c, nil
}
