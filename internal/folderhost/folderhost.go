// Package folderhost is a simulation of patchable hosts for the quickstart
// example and the demo: an exec driver command (SPEC §3) that keeps each
// host's package list in a JSON file instead of touching a machine.
//
// It reads one request on standard input and writes one answer on standard
// output. Host <id> lives in $PATCHWAVE_HOSTS_DIR/<id>.json
// ({"packages": {...}, "digest": "..."}), created from the request's
// asset.packages the first time the host is seen. Actions:
//
//	observe   reports the file
//	apply     sets each changed package to its "to" version, if it differs
//	verify    checks that each changed package runs its "to" version
//	rollback  writes "previous" back
//
// A package whose name starts with "linux-image" or "kernel" asks for a
// reboot when it changes. Files are replaced atomically, so a killed call
// leaves the old or the new list, never half of one.
//
// Build and run it as the exec driver would:
//
//	go build -o /tmp/folderhost ./examples/quickstart/drivers/folderhost
//	echo '{"action":"observe","asset_id":"web-01","asset":{"packages":{"openssl":"3.0.17"}}}' |
//	    PATCHWAVE_HOSTS_DIR=/tmp/hosts /tmp/folderhost
package folderhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
)

type request struct {
	Action  string `json:"action"`
	AssetID string `json:"asset_id"`
	Asset   struct {
		Packages map[string]string `json:"packages"`
		Image    *struct {
			Digest string `json:"digest"`
		} `json:"image"`
	} `json:"asset"`
	Changes []struct {
		Patch string `json:"patch"`
		Kind  string `json:"kind"`
		Name  string `json:"name"`
		From  string `json:"from"`
		To    string `json:"to"`
	} `json:"changes"`
	Previous *host `json:"previous"`
}

// host is what the simulated host runs, in the shape of an answer.
type host struct {
	Packages map[string]string `json:"packages"`
	Digest   string            `json:"digest,omitempty"`
}

type answer struct {
	OK             bool              `json:"ok"`
	Packages       map[string]string `json:"packages,omitempty"`
	Digest         string            `json:"digest,omitempty"`
	RebootRequired bool              `json:"reboot_required"`
	Error          string            `json:"error,omitempty"`
}

// Main serves one request, the way the command does: the request from
// stdin, the answer to stdout, the hosts in $PATCHWAVE_HOSTS_DIR (given as
// dir). It returns the process exit code: 0 when the answer is ok.
func Main(stdin io.Reader, stdout, stderr io.Writer, dir string) int {
	a, err := run(stdin, dir)
	if err != nil {
		a = answer{Error: err.Error()}
	}
	if err := json.NewEncoder(stdout).Encode(a); err != nil {
		fmt.Fprintln(stderr, "folderhost:", err)
		return 1
	}
	if !a.OK {
		return 1
	}
	return 0
}

func run(stdin io.Reader, dir string) (answer, error) {
	var req request
	dec := json.NewDecoder(stdin)
	if err := dec.Decode(&req); err != nil {
		return answer{}, fmt.Errorf("reading the request: %w", err)
	}
	if dir == "" {
		return answer{}, errors.New("PATCHWAVE_HOSTS_DIR is not set: it names the folder that holds the hosts")
	}
	if req.AssetID == "" || strings.ContainsAny(req.AssetID, `/\`) || req.AssetID == "." || req.AssetID == ".." {
		return answer{}, fmt.Errorf("asset id %q cannot name a file", req.AssetID)
	}
	file := filepath.Join(dir, req.AssetID+".json")
	h, err := load(file, &req)
	if err != nil {
		return answer{}, err
	}

	var reboot bool
	switch req.Action {
	case "observe":
	case "apply":
		changed := false
		for _, c := range req.Changes {
			switch c.Kind {
			case "image":
				if h.Digest != c.To {
					h.Digest, changed = c.To, true
				}
			default:
				if h.Packages[c.Name] != c.To {
					h.Packages[c.Name], changed = c.To, true
					reboot = reboot || needsReboot(c.Name)
				}
			}
		}
		if changed {
			if err := save(file, h); err != nil {
				return answer{}, err
			}
			if err := logChange(dir, req.AssetID, "apply"); err != nil {
				return answer{}, err
			}
		}
	case "verify":
		for _, c := range req.Changes {
			got := h.Packages[c.Name]
			if c.Kind == "image" {
				got = h.Digest
			}
			if got != c.To {
				return answer{}, fmt.Errorf("%s is %q, want %q", c.Name, got, c.To)
			}
		}
	case "rollback":
		if req.Previous == nil {
			return answer{}, errors.New(`rollback needs "previous"`)
		}
		prev := host{Packages: maps.Clone(req.Previous.Packages), Digest: req.Previous.Digest}
		if prev.Packages == nil {
			prev.Packages = map[string]string{}
		}
		for name, v := range prev.Packages {
			reboot = reboot || (needsReboot(name) && h.Packages[name] != v)
		}
		if !maps.Equal(prev.Packages, h.Packages) || prev.Digest != h.Digest {
			if err := save(file, prev); err != nil {
				return answer{}, err
			}
			if err := logChange(dir, req.AssetID, "rollback"); err != nil {
				return answer{}, err
			}
		}
		h = prev
	default:
		return answer{}, fmt.Errorf("unknown action %q", req.Action)
	}
	return answer{OK: true, Packages: h.Packages, Digest: h.Digest, RebootRequired: reboot}, nil
}

func needsReboot(pkg string) bool {
	return strings.HasPrefix(pkg, "linux-image") || strings.HasPrefix(pkg, "kernel")
}

// load reads a host, creating it from the inventory the first time.
func load(file string, req *request) (host, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		h := host{Packages: maps.Clone(req.Asset.Packages)}
		if h.Packages == nil {
			h.Packages = map[string]string{}
		}
		if req.Asset.Image != nil {
			h.Digest = req.Asset.Image.Digest
		}
		return h, save(file, h)
	}
	if err != nil {
		return host{}, err
	}
	var h host
	if err := json.Unmarshal(b, &h); err != nil {
		return host{}, fmt.Errorf("reading %s: %w", file, err)
	}
	if h.Packages == nil {
		h.Packages = map[string]string{}
	}
	return h, nil
}

// ChangeLog is the file, in the hosts folder, where every change a
// simulated host goes through is appended as "ASSET ACTION": what tests
// count to prove that no asset is changed twice.
const ChangeLog = "changes.log"

func logChange(dir, asset, action string) error {
	f, err := os.OpenFile(filepath.Join(dir, ChangeLog), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%s %s\n", asset, action); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// save replaces file atomically: a temporary file in the same folder,
// renamed over it.
func save(file string, h host) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".host-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
