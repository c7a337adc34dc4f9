package hostcfg

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
)

// DefaultKeyEnv names the variable that holds the private key file's path.
const DefaultKeyEnv = "PATCHWAVE_SSH_KEY"

// Names lists the common settings, for error messages.
const Names = "user, port, known_hosts, unknown_hosts, sudo, pre, post, timeout, key_env"

// Config is the common settings. Zero User and Port mean the driver's (or
// the transport's) default.
type Config struct {
	User          string
	Port          int
	KnownHosts    string // absolute, or empty for the default
	AcceptUnknown bool
	Sudo          bool
	Pre, Post     []string
	Timeout       time.Duration
	KeyEnv        string
}

// Set reads one setting into c when it is a common one, and reports
// whether it was; relative paths resolve against dir, the repository.
func (c *Config) Set(key string, v any, dir string) (bool, error) {
	var err error
	switch key {
	case "user":
		c.User, err = NonEmpty(v)
	case "port":
		c.Port, err = port(v)
	case "known_hosts":
		c.KnownHosts, err = NonEmpty(v)
		if err == nil && !filepath.IsAbs(c.KnownHosts) {
			c.KnownHosts = filepath.Join(dir, c.KnownHosts)
		}
	case "unknown_hosts":
		var s string
		s, err = NonEmpty(v)
		if err == nil && s != "refuse" && s != "accept" {
			err = fmt.Errorf("%q is not one of refuse, accept", s)
		}
		c.AcceptUnknown = s == "accept"
	case "sudo":
		b, ok := v.(bool)
		if !ok {
			err = fmt.Errorf("want true or false, got %T", v)
		}
		c.Sudo = b
	case "pre":
		c.Pre, err = driver.StringList(v)
	case "post":
		c.Post, err = driver.StringList(v)
	case "timeout":
		c.Timeout, err = Duration(v)
	case "key_env":
		c.KeyEnv, err = NonEmpty(v)
	default:
		return false, nil
	}
	return true, err
}

// NonEmpty reads a setting that is a non-empty string.
func NonEmpty(v any) (string, error) {
	s, ok := v.(string)
	if !ok || s == "" {
		return "", fmt.Errorf("want a non-empty string, got %T", v)
	}
	return s, nil
}

// Duration reads a setting that is a positive duration ("10m", "1d").
func Duration(v any) (time.Duration, error) {
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

// Quote shortens s for an error message and quotes it.
func Quote(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "..."
	}
	return strconv.Quote(s)
}

// LastLines quotes the last n non-empty lines of s, joined by " | ".
func LastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		lines[i] = Quote(l)
	}
	return strings.Join(lines, " | ")
}

// StderrNote is what an error says of a command's stderr: " (stderr: ",
// its last five non-empty lines quoted, and ")"; nothing when it printed
// none.
func StderrNote(stderr string) string {
	if l := LastLines(stderr, 5); l != "" {
		return " (stderr: " + l + ")"
	}
	return ""
}

// Address is where a host is reached: its first ip, else its hostname.
// A host with neither is a permanent error.
func Address(t driver.Target) (string, error) {
	if t.Asset != nil {
		if len(t.Asset.IP) > 0 && t.Asset.IP[0] != "" {
			return t.Asset.IP[0], nil
		}
		if t.Asset.Hostname != "" {
			return t.Asset.Hostname, nil
		}
	}
	return "", driver.Permanent(errors.New("the asset has neither ip nor hostname to connect to"))
}

// CallError is the error of one call of a host driver: it names the driver
// (Type "ssh" or "ansible", and its Name in policy.drivers), the action and
// the asset, and keeps the cause in the chain, so that callers can test
// for context.Canceled or driver.PermanentError.
type CallError struct {
	Type, Name, Action, Asset string
	Err                       error
}

func (e *CallError) Error() string {
	return fmt.Sprintf("%s driver %q: %s %q: %v", e.Type, e.Name, e.Action, e.Asset, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }
