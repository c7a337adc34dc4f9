package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchwave/patchwave/policy"
	"github.com/patchwave/patchwave/runner/driver"
)

// script writes a sh script to a temporary folder and returns a driver
// that runs it, with extra environment variables.
func script(t *testing.T, body string, settings map[string]any, env ...string) driver.Driver {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "driver.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := map[string]any{"type": "exec", "command": []any{"sh", path}}
	for k, v := range settings {
		s[k] = v
	}
	d, err := New(policy.Driver{Name: "test", Type: "exec", Settings: s}, Options{Dir: dir, Env: append(os.Environ(), env...)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var web01 = driver.Target{ID: "web-01", Asset: &policy.Asset{
	Hostname: "web-01.example.net",
	IP:       policy.StringList{"10.0.0.1", "10.0.0.2"},
	MAC:      policy.StringList{"52:54:00:00:00:01"},
	Location: "eu-fra1",
	OS:       policy.OS{Family: "linux", Name: "debian", Version: "12"},
	Revision: "12.11",
	Kind:     "host",
	Owner:    "team-web",
	Packages: map[string]string{"openssl": "3.0.17-1~deb12u2"},
	Tags:     map[string]string{"ring": "canary"},
}}

var opensslChange = []driver.Change{{Patch: "DSA-1", Kind: "package", Name: "openssl", From: "3.0.17-1~deb12u2", To: "3.0.18-1~deb12u1"}}

func TestNewSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		settings map[string]any
		want     string // error substring; "" = valid
	}{
		{"list from CUE", map[string]any{"type": "exec", "command": []any{"sh", "x.sh"}, "timeout": "2m"}, ""},
		{"list from Go", map[string]any{"command": []string{"x"}, "timeout": "1d", "dir": "drivers"}, ""},
		{"missing command", map[string]any{"type": "exec", "timeout": "2m"}, "missing command"},
		{"empty command", map[string]any{"command": []any{}}, "non-empty list"},
		{"command not list", map[string]any{"command": "sh x.sh"}, "non-empty list"},
		{"command with number", map[string]any{"command": []any{"sh", 1}}, "non-empty list"},
		{"bad timeout", map[string]any{"command": []any{"x"}, "timeout": "soon"}, `invalid duration "soon"`},
		{"zero timeout", map[string]any{"command": []any{"x"}, "timeout": "0s"}, "more than 0"},
		{"timeout not string", map[string]any{"command": []any{"x"}, "timeout": 60}, "duration string"},
		{"unknown setting", map[string]any{"command": []any{"x"}, "timout": "1m"}, `unknown setting "timout"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(policy.Driver{Name: "d", Type: "exec", Settings: tc.settings}, Options{})
			if tc.want == "" && err != nil {
				t.Fatalf("New: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
	d, _ := New(policy.Driver{Settings: map[string]any{"command": []any{"x"}}}, Options{})
	if got := d.(*execDriver).timeout; got != DefaultTimeout {
		t.Errorf("default timeout %v, want %v", got, DefaultTimeout)
	}
}

// specRequest has exactly the fields of SPEC §3's request.
type specRequest struct {
	Action  string `json:"action"`
	AssetID string `json:"asset_id"`
	Asset   struct {
		Hostname string   `json:"hostname"`
		Location string   `json:"location"`
		IP       []string `json:"ip"`
		MAC      []string `json:"mac"`
		OS       struct {
			Family, Name, Version string
		} `json:"os"`
		Revision string            `json:"revision"`
		Kind     string            `json:"kind"`
		Owner    string            `json:"owner"`
		Tags     map[string]string `json:"tags"`
		Packages map[string]string `json:"packages"`
	} `json:"asset"`
	Changes []struct {
		Patch string `json:"patch"`
		Kind  string `json:"kind"`
		Name  string `json:"name"`
		From  string `json:"from"`
		To    string `json:"to"`
	} `json:"changes"`
	Previous *struct {
		Packages map[string]string `json:"packages"`
		Digest   string            `json:"digest"`
	} `json:"previous"`
}

func TestRequestOnStdin(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "stdin.json")
	d := script(t, `cat > "$STDIN_OUT"
printf '{"ok": true, "packages": {"openssl": "3.0.18-1~deb12u1"}}'`, nil, "STDIN_OUT="+out)

	read := func(t *testing.T) (specRequest, map[string]json.RawMessage) {
		t.Helper()
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		var req specRequest
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			t.Fatalf("the request has fields SPEC §3 does not name: %v\n%s", err, b)
		}
		if len(raw) != 5 {
			t.Errorf("the request has keys %v, want action, asset_id, asset, changes, previous", keys(raw))
		}
		return req, raw
	}

	if _, err := d.Apply(t.Context(), web01, opensslChange); err != nil {
		t.Fatal(err)
	}
	req, raw := read(t)
	if req.Action != "apply" || req.AssetID != "web-01" || req.Asset.Hostname != "web-01.example.net" ||
		len(req.Asset.IP) != 2 || req.Asset.OS.Name != "debian" || req.Asset.OS.Version != "12" ||
		req.Asset.Revision != "12.11" || req.Asset.Tags["ring"] != "canary" || req.Asset.Packages["openssl"] != "3.0.17-1~deb12u2" {
		t.Errorf("apply request: %+v", req)
	}
	if len(req.Changes) != 1 || req.Changes[0] != opensslChange[0] {
		t.Errorf("changes %+v, want %+v", req.Changes, opensslChange)
	}
	if string(raw["previous"]) != "null" {
		t.Errorf("apply's previous is %s, want null", raw["previous"])
	}

	prev := driver.Observation{Packages: map[string]string{"openssl": "3.0.17-1~deb12u2"}}
	if _, err := d.(driver.Rollbacker).Rollback(t.Context(), web01, prev); err != nil {
		t.Fatal(err)
	}
	req, raw = read(t)
	if req.Action != "rollback" || req.Previous == nil || req.Previous.Packages["openssl"] != "3.0.17-1~deb12u2" {
		t.Errorf("rollback request: %+v", req)
	}
	if string(raw["changes"]) != "[]" {
		t.Errorf("rollback's changes are %s, want []", raw["changes"])
	}
	var prevKeys map[string]json.RawMessage
	if err := json.Unmarshal(raw["previous"], &prevKeys); err != nil || len(prevKeys) != 2 {
		t.Errorf("previous is %s, want packages and digest", raw["previous"])
	}

	if _, err := d.Observe(t.Context(), web01); err != nil {
		t.Fatal(err)
	}
	if req, _ = read(t); req.Action != "observe" || len(req.Changes) != 0 {
		t.Errorf("observe request: %+v", req)
	}
}

func keys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestEnvironment(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "env")
	d := script(t, `env > "$ENV_OUT"; echo '{"ok": true, "packages": {}}'`, nil,
		"ENV_OUT="+out, "RUNNER_VAR=kept", "PATCHWAVE_IMAGE_REF=stale")
	if _, err := d.Observe(t.Context(), web01); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	for k, want := range map[string]string{
		"PATCHWAVE_ACTION":     "observe",
		"PATCHWAVE_DRIVER":     "test",
		"PATCHWAVE_ASSET_ID":   "web-01",
		"PATCHWAVE_HOSTNAME":   "web-01.example.net",
		"PATCHWAVE_IP":         "10.0.0.1",
		"PATCHWAVE_MAC":        "52:54:00:00:00:01",
		"PATCHWAVE_LOCATION":   "eu-fra1",
		"PATCHWAVE_KIND":       "host",
		"PATCHWAVE_OS_FAMILY":  "linux",
		"PATCHWAVE_OS_NAME":    "debian",
		"PATCHWAVE_OS_VERSION": "12",
		"PATCHWAVE_REVISION":   "12.11",
		"PATCHWAVE_OWNER":      "team-web",
		"PATCHWAVE_IMAGE_REF":  "",
		"RUNNER_VAR":           "kept",
	} {
		if got, ok := env[k]; !ok || got != want {
			t.Errorf("%s=%q (set: %v), want %q", k, got, ok, want)
		}
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"non-zero exit", `echo "E: dpkg lock held" >&2; echo "second line" >&2; exit 3`,
			[]string{`exec driver "test": apply "web-01"`, "exit status 3", `"E: dpkg lock held" | "second line"`}},
		{"non-zero exit with answer", `echo '{"ok": false, "error": "disk full"}'; exit 1`,
			[]string{"exit status 1", `"disk full"`}},
		{"zero exit with ok answer is not enough when exit fails", `echo '{"ok": true, "packages": {"openssl": "3.0.18-1~deb12u1"}}'; exit 2`,
			[]string{"exit status 2"}},
		{"garbage", `echo "hello, patchwave"`, []string{"no valid answer", `"hello, patchwave"`}},
		{"truncated", `printf '{"ok": true, "packages": {'`, []string{"no valid answer"}},
		{"two objects", `echo '{"ok": true}'; echo '{"ok": true}'`, []string{"more than one JSON object"}},
		{"null", `echo null`, []string{"not one JSON object"}},
		{"no answer", `true`, []string{"no answer on stdout"}},
		{"no ok", `echo '{"packages": {}}'`, []string{`lacks "ok"`}},
		{"not ok", `echo '{"ok": false, "error": "package openssl not found in mirror"}'`,
			[]string{"answered not ok", `"package openssl not found in mirror"`}},
		{"ok without the target", `echo '{"ok": true, "packages": {"openssl": "3.0.17-1~deb12u2"}}'`,
			[]string{"answered ok, but", `"openssl" is "3.0.17-1~deb12u2" (want "3.0.18-1~deb12u1")`}},
		{"ok without the package", `echo '{"ok": true, "packages": {}}'`, []string{`reports no version of "openssl"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := script(t, tc.body, nil).Apply(t.Context(), web01, opensslChange)
			if err == nil {
				t.Fatal("Apply succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), `"asset"`) {
				t.Errorf("error quotes the request: %v", err)
			}
		})
	}
}

func TestApplyAcceptsNewer(t *testing.T) {
	t.Parallel()
	d := script(t, `echo '{"ok": true, "packages": {"openssl": "3.0.19-1"}, "reboot_required": true}'`, nil)
	res, err := d.Apply(t.Context(), web01, opensslChange)
	if err != nil {
		t.Fatalf("a newer version than the target (debian order): %v", err)
	}
	if !res.RebootRequired || res.Packages["openssl"] != "3.0.19-1" {
		t.Errorf("result %+v", res)
	}
	if _, err := d.(driver.Verifier).Verify(t.Context(), web01, opensslChange); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestStderrTail(t *testing.T) {
	t.Parallel()
	_, err := script(t, `i=0; while [ $i -lt 5000 ]; do echo "noise $i" >&2; i=$((i+1)); done; exit 1`, nil).Observe(t.Context(), web01)
	if err == nil || !strings.Contains(err.Error(), `"noise 4999"`) || strings.Contains(err.Error(), `"noise 4994"`) {
		t.Errorf("want the last 5 lines of stderr: %v", err)
	}
	if len(err.Error()) > 400 {
		t.Errorf("error is %d bytes long", len(err.Error()))
	}
}

// alive reports whether pid is a process that has not exited (a zombie
// counts as exited).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return err == nil
	}
	// The state follows the ")" that ends the command name.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

// childPID waits for the script to write the pid of its child.
func childPID(t *testing.T, file string) int {
	t.Helper()
	for range 100 {
		if b, err := os.ReadFile(file); err == nil && len(bytes.TrimSpace(b)) > 0 {
			pid, err := strconv.Atoi(string(bytes.TrimSpace(b)))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the script never wrote its child's pid")
	return 0
}

func waitDead(t *testing.T, pid int) {
	t.Helper()
	for range 100 {
		if !alive(pid) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("child %d outlived the command", pid)
}

const sleeper = `sleep 60 & echo $! > "$PID_OUT"; wait`

func TestTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	d := script(t, sleeper, map[string]any{"timeout": "300ms"}, "PID_OUT="+pidFile)
	start := time.Now()
	_, err := d.Apply(t.Context(), web01, opensslChange)
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("Apply returned after %v", elapsed)
	}
	if err == nil || !strings.Contains(err.Error(), "timed out after 300ms") {
		t.Errorf("want a timeout: %v", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("a timeout of the command is not the caller's context ending: %v", err)
	}
	waitDead(t, childPID(t, pidFile))
}

func TestCancelKillsProcessGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	d := script(t, sleeper, nil, "PID_OUT="+pidFile)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := d.Apply(ctx, web01, opensslChange)
		done <- err
	}()
	pid := childPID(t, pidFile)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("want context.Canceled: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Apply did not return after cancel")
	}
	waitDead(t, pid)
}

func TestCancelledBeforeStart(t *testing.T) {
	t.Parallel()
	ran := filepath.Join(t.TempDir(), "ran")
	d := script(t, `touch "$RAN"; echo '{"ok": true}'`, nil, "RAN="+ran)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Observe(ctx, web01); !errors.Is(err, context.Canceled) {
		t.Errorf("want context.Canceled: %v", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the command ran with a cancelled context")
	}
}

func TestCommandResolution(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	answer := []byte("#!/bin/sh\necho '{\"ok\": true, \"packages\": {\"where\": \"'\"$(pwd)\"'\"}}'\n")
	for _, p := range []string{"drivers/host.sh", "bin/patchwave-host", "work/x"} {
		if err := os.MkdirAll(filepath.Join(repo, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, p), answer, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		settings map[string]any
		env      []string
		wantDir  string
		wantErr  string
	}{
		{"relative to the repository", map[string]any{"command": []any{"drivers/host.sh"}}, nil, repo, ""},
		{"sh with a relative script", map[string]any{"command": []any{"sh", "drivers/host.sh"}}, nil, repo, ""},
		{"relative to dir", map[string]any{"command": []any{"./x"}, "dir": "work"}, nil, filepath.Join(repo, "work"), ""},
		{"bare name in the command's PATH", map[string]any{"command": []any{"patchwave-host"}},
			[]string{"PATH=" + filepath.Join(repo, "bin") + ":" + os.Getenv("PATH")}, repo, ""},
		{"missing", map[string]any{"command": []any{"patchwave-no-such-command"}}, nil, "", "patchwave-no-such-command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(policy.Driver{Name: "test", Settings: tc.settings}, Options{Dir: repo, Env: append(os.Environ(), tc.env...)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Observe(t.Context(), web01)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !driver.IsPermanent(err) {
					t.Errorf("want a permanent error naming %q: %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Packages["where"] != tc.wantDir {
				t.Errorf("ran in %q, want %q", got.Packages["where"], tc.wantDir)
			}
		})
	}
}

func TestVerifyFailsOnNotOK(t *testing.T) {
	t.Parallel()
	d := script(t, `echo '{"ok": false, "error": "openssl is 3.0.17-1~deb12u2", "packages": {"openssl": "3.0.17-1~deb12u2"}}'`, nil)
	if _, err := d.(driver.Verifier).Verify(t.Context(), web01, opensslChange); err == nil || !strings.Contains(err.Error(), "verify") {
		t.Errorf("Verify: %v", err)
	}
}
