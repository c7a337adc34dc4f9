package report_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/patchwave/patchwave/runner/audit/report"
)

// afterBroad renders the report as of the day after the broad stage:
// every status but not-due occurs (see TestQuickstartByHand).
func afterBroad(t *testing.T) (*report.Report, []byte) {
	t.Helper()
	r := compute(t, history(t), "2026-12-06T00:00:00Z")
	var b bytes.Buffer
	if err := report.HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return r, b.Bytes()
}

// The page loads nothing from anywhere: no scripts, style sheets, fonts,
// images or links, and no URL at all.
func TestHTMLSelfContained(t *testing.T) {
	_, page := afterBroad(t)
	lower := strings.ToLower(string(page))
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "src=", "href=", "url(", "@import", "@font-face", "http:", "https:", "//"} {
		if strings.Contains(lower, bad) {
			i := strings.Index(lower, bad)
			t.Errorf("the page holds %q: ...%s...", bad, lower[max(0, i-80):min(len(lower), i+80)])
		}
	}
	if n := strings.Count(lower, "<svg "); n != 2 {
		t.Errorf("%d svg charts, want 2", n)
	}
}

// chromium returns the headless Chromium to render with, or skips; in CI
// (env CI set) a missing Chromium fails the test: .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "google-chrome", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (.ci/run installs Debian's chromium package)")
	}
	t.Skip("chromium is not installed: apt-get install chromium")
	return ""
}

// runChromium runs Chromium headless on the page with the flags it needs
// on a closed network, as root, with a fresh profile, and returns its
// standard output.
func runChromium(t *testing.T, bin, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir()}, args...)
	argv = append(argv, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, argv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// The page as Chromium builds it: the charts are real SVG elements in the
// DOM with a bar for every non-zero count, the numbers are in the tables,
// and the screenshot shows the bars in their colours.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	r, page := afterBroad(t)
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(runChromium(t, bin, file, "--dump-dom"))
	if !strings.Contains(dom, `<svg id="chart-severity"`) || !strings.Contains(dom, `<svg id="chart-patches"`) {
		t.Fatalf("no charts in the DOM:\n%.2000s", dom)
	}
	// Each row of the severity chart, as Chromium serialised it: its
	// bars and their counts (after the broad stage: critical has 3 late,
	// 1 overdue, 1 excepted; high 2 within SLA and 3 late).
	rows := regexp.MustCompile(`(?s)<g class="row" data-row="([^"]+)" data-total="(\d+)">(.*?)</g>`).FindAllStringSubmatch(dom, -1)
	bars := regexp.MustCompile(`<rect class="bar ([a-z-]+)" data-count="(\d+)"`)
	got := map[string]string{}
	for _, row := range rows {
		var parts []string
		for _, m := range bars.FindAllStringSubmatch(row[3], -1) {
			parts = append(parts, m[1]+"="+m[2])
		}
		got[row[1]] = row[2] + ": " + strings.Join(parts, " ")
	}
	for row, want := range map[string]string{
		"critical":       "5: status-late=3 status-overdue=1 status-excepted=1",
		"high":           "5: status-within-sla=2 status-late=3",
		"medium":         "0: ",
		"all":            "10: status-within-sla=2 status-late=6 status-overdue=1 status-excepted=1",
		"RHSA-2025:9978": "5: part-installed=3 part-missing=1 part-excepted=1",
		"DSA-6015-1":     "5: part-installed=5",
	} {
		if got[row] != want {
			t.Errorf("chart row %s: %q, want %q", row, got[row], want)
		}
	}
	if want := len(r.Assets); strings.Count(dom, `<tr class="status-`) != want {
		t.Errorf("%d asset rows in the DOM, want %d", strings.Count(dom, `<tr class="status-`), want)
	}
	if !strings.Contains(dom, `<tr data-severity="all"><th>all</th><td class="n">2</td><td class="n">2</td><td class="n">6</td><td class="n">1</td><td class="n">1</td><td class="n">0</td></tr>`) {
		t.Errorf("the overall row is not in the DOM:\n%.3000s", dom)
	}

	// The screenshot is not blank: it shows the bars' colours.
	shot := filepath.Join(t.TempDir(), "report.png")
	runChromium(t, bin, file, "--screenshot="+shot, "--window-size=1000,1200", "--hide-scrollbars")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	colours := map[string]int{}
	for name, c := range map[string][3]uint8{"within-sla": {0x2e, 0x7d, 0x32}, "late": {0xf9, 0xa8, 0x25}, "overdue": {0xc6, 0x28, 0x28}} {
		colours[name] = countNear(img, c)
	}
	for name, n := range colours {
		// A bar is 20 px high and several px wide.
		if n < 100 {
			t.Errorf("the screenshot has %d pixels of the %s colour: %v", n, name, colours)
		}
	}
}

// countNear counts the pixels within a small distance of colour c.
func countNear(img image.Image, c [3]uint8) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, c[0]) && near(g>>8, c[1]) && near(bl>>8, c[2]) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, want uint8) bool {
	d := int(v) - int(want)
	return d >= -6 && d <= 6
}
