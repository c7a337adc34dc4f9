package driver

import "strings"

// EnvValue returns the value of key in an environment list (KEY=value),
// the last setting winning, as for a process started with it. Drivers
// read credentials' locations from the environment the runner gives them.
func EnvValue(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
