package repogen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Options describe the repository to write.
type Options struct {
	// Assets is the size of the inventory.
	Assets int
	// Format of the inventory files: "json" (default), "yaml" or "cue".
	Format string
	// PerFile is the number of assets per inventory file (default 1000).
	PerFile int
	// Seed varies the generated fleet (default 1).
	Seed uint64
}

// asset is the JSON shape of a generated asset (SPEC §1 #Asset).
type asset struct {
	Hostname    string            `json:"hostname"`
	Location    string            `json:"location"`
	IP          string            `json:"ip,omitempty"`
	MAC         string            `json:"mac,omitempty"`
	OS          map[string]string `json:"os"`
	Revision    string            `json:"revision"`
	Kind        string            `json:"kind"`
	Criticality string            `json:"criticality"`
	Exposure    string            `json:"exposure"`
	Data        []string          `json:"data,omitempty"`
	Owner       string            `json:"owner"`
	Tags        map[string]string `json:"tags"`
	Driver      string            `json:"driver"`
	Packages    map[string]string `json:"packages,omitempty"`
	Image       map[string]string `json:"image,omitempty"`
}

var (
	locations     = []string{"eu-fra1", "eu-ams1", "us-nyc1", "us-sfo2", "ap-sin1"}
	criticalities = []string{"low", "medium", "medium", "high", "critical"}
	exposures     = []string{"internal", "internal", "internal", "dmz", "internet"}
	roles         = []string{"web", "app", "db", "cache", "worker", "batch", "mail", "ci"}
	debPackages   = map[string]string{
		"openssl": "3.0.17-1~deb12u2", "libssl3": "3.0.17-1~deb12u2", "openssh-server": "1:9.2p1-2+deb12u7",
		"sudo": "1.9.13p3-1+deb12u2", "bash": "5.2.15-2+b8", "libc6": "2.36-9+deb12u10", "curl": "7.88.1-10+deb12u12",
		"zlib1g": "1:1.2.13.dfsg-1", "systemd": "252.38-1~deb12u1", "tzdata": "2025b-0+deb12u1",
	}
	rpmPackages = map[string]string{
		"openssl-libs": "1:3.2.2-6.el9_5.1", "sudo": "1.9.5p2-10.el9_3", "openssh-server": "8.7p1-45.el9",
		"bash": "5.1.8-9.el9", "glibc": "2.34-168.el9_6.19", "curl": "7.76.1-31.el9", "zlib": "1.2.11-40.el9",
		"systemd": "252-51.el9", "tzdata": "2025b-1.el9", "kernel": "5.14.0-570.12.1.el9_6",
	}
)

// Write writes a repository into dir, which must exist.
func Write(dir string, o Options) error {
	if o.Format == "" {
		o.Format = "json"
	}
	if o.PerFile <= 0 {
		o.PerFile = 1000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		return fmt.Errorf("creating assets folder: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.cue"), []byte(config), 0o644); err != nil {
		return fmt.Errorf("writing config: %w", err)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 42))
	for start := 0; start < o.Assets; start += o.PerFile {
		n := min(o.PerFile, o.Assets-start)
		ids := make([]string, n)
		assets := make([]asset, n)
		for i := range n {
			ids[i], assets[i] = makeAsset(rng, start+i)
		}
		name := filepath.Join(dir, "assets", fmt.Sprintf("fleet-%06d.%s", start/o.PerFile, o.Format))
		if err := os.WriteFile(name, encode(o.Format, ids, assets), 0o644); err != nil {
			return fmt.Errorf("writing inventory: %w", err)
		}
	}
	return nil
}

func makeAsset(rng *rand.Rand, i int) (string, asset) {
	ring := "broad"
	switch r := rng.IntN(1000); {
	case r < 10:
		ring = "canary"
	case r < 100:
		ring = "pilot"
	}
	loc := locations[rng.IntN(len(locations))]
	a := asset{
		Location:    loc,
		Criticality: criticalities[rng.IntN(len(criticalities))],
		Exposure:    exposures[rng.IntN(len(exposures))],
		Owner:       fmt.Sprintf("team-%02d", rng.IntN(40)),
		Tags: map[string]string{
			"ring": ring, "role": roles[rng.IntN(len(roles))], "env": []string{"prod", "staging"}[rng.IntN(2)],
			"cost-center": fmt.Sprintf("cc-%03d", rng.IntN(200)), "patch-day": []string{"tue", "wed", "thu"}[rng.IntN(3)],
		},
	}
	if rng.IntN(10) == 0 {
		a.Data = []string{"pii"}
	}
	if rng.IntN(20) == 0 { // 5% container images
		id := fmt.Sprintf("img-%06d", i)
		a.Hostname, a.Kind, a.Driver = id, "image", "registry"
		a.OS = map[string]string{"family": "linux", "name": "debian", "version": "12"}
		a.Revision = fmt.Sprintf("1.%d.%d", rng.IntN(20), rng.IntN(10))
		a.Image = map[string]string{
			"ref":    fmt.Sprintf("registry.example.com/svc-%03d/app:prod", i%500),
			"digest": fmt.Sprintf("sha256:%064x", rng.Uint64()),
		}
		return id, a
	}
	id := fmt.Sprintf("host-%06d", i)
	a.Hostname = fmt.Sprintf("%s.%s.example.net", id, loc)
	a.Kind, a.Driver = "host", "ssh"
	a.IP = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	a.MAC = fmt.Sprintf("52:54:00:%02x:%02x:%02x", i>>16&255, i>>8&255, i&255)
	if rng.IntN(2) == 0 {
		a.OS = map[string]string{"family": "linux", "name": "debian", "version": "12"}
		a.Revision, a.Packages = "12.11", copyMap(debPackages)
		if rng.IntN(3) == 0 {
			a.Packages["openssl"], a.Packages["libssl3"] = "3.0.17-1~deb12u3", "3.0.17-1~deb12u3"
		}
	} else {
		a.OS = map[string]string{"family": "linux", "name": "rocky", "version": "9.6"}
		a.Revision, a.Packages = "9.6", copyMap(rpmPackages)
	}
	return id, a
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// encode writes one inventory file. JSON is valid YAML and valid CUE once
// wrapped in `assets:`, so one JSON encoding serves the three formats.
func encode(format string, ids []string, assets []asset) []byte {
	var b strings.Builder
	switch format {
	case "cue":
		b.WriteString("package patchwave\n\nassets: {\n")
	case "json":
		b.WriteString("{\n")
	}
	for i, id := range ids {
		data, _ := json.MarshalIndent(assets[i], "  ", "  ")
		switch format {
		case "json":
			fmt.Fprintf(&b, "  %q: %s", id, data)
			if i < len(ids)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		case "cue":
			fmt.Fprintf(&b, "  %q: %s\n", id, data)
		case "yaml":
			fmt.Fprintf(&b, "%q: %s\n", id, data)
		}
	}
	if format != "yaml" {
		b.WriteString("}\n")
	}
	return []byte(b.String())
}

// config is the small configuration every generated repository shares.
const config = `package patchwave

policy: {
	authority: {
		critical: ["secops-lead"]
		high: ["secops-lead", "platform-lead"]
		medium: ["secops-lead", "platform-lead", "sre"]
		low: ["secops-lead", "platform-lead", "sre"]
	}
	sla: {critical: "7d", high: "14d", medium: "30d", low: "90d"}
	windows: {
		"eu-night": {days: ["mon", "tue", "wed", "thu"], start: "22:00", duration: "4h", timezone: "Europe/Berlin"}
		"us-night": {days: ["mon", "tue", "wed", "thu"], start: "23:00", duration: "5h", timezone: "America/New_York"}
	}
	freezes: [{from: "2026-12-20", to: "2027-01-03", reason: "year end", allow: ["critical"]}]
	canary: {max_percent: "5%"}
	drivers: {
		ssh: {type: "ssh", user: "patchwave"}
		registry: type: "oci"
	}
}

groups: {
	canary: match: tags: ring: "canary"
	pilot: match: tags: ring: "pilot"
	broad: match: kind: ["host", "image"]
}

patches: {
	"DSA-6015-1": {
		severity: "high"
		released: "2026-11-20"
		cves: ["CVE-2025-9230"]
		os: name: "debian"
		packages: {openssl: "3.0.17-1~deb12u3", libssl3: "3.0.17-1~deb12u3"}
	}
	"RHSA-2025:9978": {
		severity: "critical"
		released: "2026-11-18"
		cves: ["CVE-2025-32463"]
		os: name: ["rocky", "rhel", "almalinux"]
		packages: sudo: "1.9.5p2-10.el9_6.1"
	}
	"app-base-2026-11": {
		severity: "medium"
		released: "2026-11-21"
		image: {repository: "registry.example.com/svc-001/app", tag: "2026-11"}
	}
}

waves: "fleet-2026-11": {
	patches: ["DSA-6015-1", "RHSA-2025:9978", "app-base-2026-11"]
	approved_by: ["secops-lead"]
	stages: [
		{name: "canary", groups: ["canary"], max_parallel: 5, soak: "24h", window: "eu-night"},
		{name: "pilot", groups: ["pilot"], max_parallel: "10%", max_failures: "2%", soak: "48h", window: "eu-night"},
		{name: "broad", groups: ["broad"], max_parallel: "5%", max_failures: "1%", window: "us-night", on_failure: "rollback"},
	]
}
`
