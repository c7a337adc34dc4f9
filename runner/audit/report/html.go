package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/patchwave/patchwave/runner/gitstore"
)

// HTML writes the report as one self-contained HTML page: the counts by
// severity and the patches as inline SVG bar charts, then the tables of
// the Markdown form. The page loads nothing: no scripts, no style sheets,
// fonts or images from elsewhere (a test checks), so it can be archived
// and mailed as evidence. Charts carry their numbers as text and in
// data-* attributes, for people and for tests.
func HTML(w io.Writer, r *Report) error {
	if err := pageTemplate.Execute(w, newPage(r)); err != nil {
		return fmt.Errorf("writing the report as HTML: %w", err)
	}
	return nil
}

// The colours of the statuses, in the charts and the legend.
var statusColors = []struct{ status, color string }{
	{WithinSLA, "#2e7d32"},
	{Late, "#f9a825"},
	{Overdue, "#c62828"},
	{Excepted, "#757575"},
	{NotDue, "#1565c0"},
}

// The parts of a patch's bar.
var patchParts = []struct{ part, words, color string }{
	{"installed", "installed", "#2e7d32"},
	{"scheduled", "scheduled", "#1565c0"},
	{"missing", "missing (no wave)", "#c62828"},
	{"excepted", "excepted", "#757575"},
}

const (
	chartWidth = 720
	labelWidth = 170
	barWidth   = 470 // the longest bar; the rest of the width holds its total
	rowHeight  = 30
	barHeight  = 20
)

type page struct {
	*Report
	Severity chart
	Patch    chart
	Words    map[string]string
}

type legend struct{ Class, Color, Words string }

type chart struct {
	ID, Label string
	Legend    []legend
	Height    int
	Rows      []bar
}

type bar struct {
	Label    string
	Y, TextY int
	Total    int
	TotalX   float64
	Segments []segment
}

type segment struct {
	Class, Color, Title string
	Count               int
	X, W                float64
	Y                   int
}

func newPage(r *Report) page {
	p := page{Report: r, Words: statusWords}
	type row struct {
		label  string
		counts []int
	}
	statusCounts := func(c Counts) []int { return []int{c.WithinSLA, c.Late, c.Overdue, c.Excepted, c.NotDue} }
	var sev []row
	for _, s := range r.Severities {
		sev = append(sev, row{s.Severity, statusCounts(s.Counts)})
	}
	sev = append(sev, row{"all", statusCounts(r.Overall)})
	var patches []row
	for _, pr := range r.Patches {
		patches = append(patches, row{pr.ID, []int{pr.Installed, pr.Scheduled, pr.Missing, pr.Excepted}})
	}
	// build lays out one chart: rows of stacked bars scaled to the
	// longest, each part of class(j) for the j-th count of a row.
	build := func(id, label string, parts int, rows []row, class func(j int) (string, string, string)) chart {
		most := 1
		for _, rw := range rows {
			most = max(most, sum(rw.counts))
		}
		c := chart{ID: id, Label: label, Height: len(rows)*rowHeight + 10}
		for j := range parts {
			cls, color, words := class(j)
			c.Legend = append(c.Legend, legend{Class: cls, Color: color, Words: words})
		}
		for i, rw := range rows {
			b := bar{Label: rw.label, Y: 5 + i*rowHeight, TextY: 5 + i*rowHeight + barHeight - 5, Total: sum(rw.counts)}
			x := float64(labelWidth)
			for j, n := range rw.counts {
				if n == 0 {
					continue
				}
				cls, color, words := class(j)
				w := float64(barWidth) * float64(n) / float64(most)
				b.Segments = append(b.Segments, segment{Class: cls, Color: color, Count: n, X: x, W: w, Y: b.Y,
					Title: fmt.Sprintf("%s: %d %s", rw.label, n, words)})
				x += w
			}
			b.TotalX = x + 6
			c.Rows = append(c.Rows, b)
		}
		return c
	}
	p.Severity = build("chart-severity", "patches on assets by severity and status", len(statusColors), sev, func(j int) (string, string, string) {
		s := statusColors[j]
		return "status-" + s.status, s.color, statusWords[s.status]
	})
	p.Patch = build("chart-patches", "assets per patch: installed, scheduled, missing, excepted", len(patchParts), patches, func(j int) (string, string, string) {
		pp := patchParts[j]
		return "part-" + pp.part, pp.color, pp.words
	})
	return p
}

func sum(ns []int) int {
	t := 0
	for _, n := range ns {
		t += n
	}
	return t
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"stamp": stamp, "day": day, "short": gitstore.ShortHash, "by": by,
	"f":          func(x float64) string { return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", x), "0"), ".") },
	"labelX":     func() int { return labelWidth - 8 },
	"chartWidth": func() int { return chartWidth },
	"barHeight":  func() int { return barHeight },
}).Parse(`{{define "chart"}}<p class="legend">{{range .Legend}}<span><i style="background:{{.Color}}"></i>{{.Words}}</span>{{end}}</p>
<svg id="{{.ID}}" role="img" aria-label="{{.Label}}" width="{{chartWidth}}" height="{{.Height}}" viewBox="0 0 {{chartWidth}} {{.Height}}">
{{- range .Rows}}
<g class="row" data-row="{{.Label}}" data-total="{{.Total}}">
<text x="{{labelX}}" y="{{.TextY}}" text-anchor="end">{{.Label}}</text>
{{- range .Segments}}
<rect class="bar {{.Class}}" data-count="{{.Count}}" x="{{f .X}}" y="{{.Y}}" width="{{f .W}}" height="{{barHeight}}" fill="{{.Color}}"><title>{{.Title}}</title></rect>
{{- end}}
<text class="total" x="{{f .TotalX}}" y="{{.TextY}}">{{.Total}}</text>
</g>
{{- end}}
</svg>
{{end}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Patch compliance as of {{stamp .At}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #212121; max-width: 80rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid #bdbdbd; padding: 0.2rem 0.5rem; text-align: left; white-space: nowrap; }
td.by { white-space: normal; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: middle; }
svg text { font-size: 13px; fill: #212121; }
.status-overdue td.status { color: #c62828; font-weight: bold; }
</style>
</head>
<body>
<h1>Patch compliance as of {{stamp .At}}</h1>
<p>Computed from <code>{{.Branch}}</code> at commit <code>{{short .Commit}}</code> ({{stamp .CommitTime}}).</p>

<h2>By severity</h2>
{{template "chart" .Severity}}
<p>Assets needing patches counts assets; the other columns count patches on assets.</p>
<table id="severities">
<tr><th>Severity</th><th>Assets needing patches</th><th>Installed within SLA</th><th>Installed late</th><th>Overdue</th><th>Excepted</th><th>Not yet due</th></tr>
{{- range .Severities}}
<tr data-severity="{{.Severity}}"><td>{{.Severity}}</td><td class="n">{{.AssetsNeeding}}</td><td class="n">{{.WithinSLA}}</td><td class="n">{{.Late}}</td><td class="n">{{.Overdue}}</td><td class="n">{{.Excepted}}</td><td class="n">{{.NotDue}}</td></tr>
{{- end}}
<tr data-severity="all"><th>all</th><td class="n">{{.Overall.AssetsNeeding}}</td><td class="n">{{.Overall.WithinSLA}}</td><td class="n">{{.Overall.Late}}</td><td class="n">{{.Overall.Overdue}}</td><td class="n">{{.Overall.Excepted}}</td><td class="n">{{.Overall.NotDue}}</td></tr>
</table>

<h2>Patches</h2>
{{template "chart" .Patch}}
<table id="patches">
<tr><th>Patch</th><th>Severity</th><th>Released</th><th>Due</th><th>Assets</th><th>Missing</th><th>Scheduled</th><th>Tested</th><th>Installed</th><th>Overdue</th><th>Excepted</th></tr>
{{- range .Patches}}
<tr data-patch="{{.ID}}"><td>{{.ID}}</td><td>{{.Severity}}</td><td>{{day .Released}}</td><td>{{day .Due}}</td><td class="n">{{.Assets}}</td><td class="n">{{.Missing}}</td><td class="n">{{.Scheduled}}</td><td>{{if .Tested}}yes, {{stamp .TestedAt}}{{else}}no{{end}}</td><td class="n">{{.Installed}}</td><td class="n">{{.Overdue}}</td><td class="n">{{.Excepted}}</td></tr>
{{- end}}
</table>

<h2>Assets</h2>
<table id="assets">
<tr><th>Asset</th><th>Patch</th><th>Severity</th><th>Status</th><th>Due</th><th>Installed</th><th>By</th></tr>
{{- range .Assets}}
<tr class="status-{{.Status}}" data-asset="{{.Asset}}" data-patch="{{.Patch}}" data-status="{{.Status}}"><td>{{.Asset}}</td><td>{{.Patch}}</td><td>{{.Severity}}</td><td class="status">{{index $.Words .Status}}</td><td>{{day .Due}}</td><td>{{stamp .InstalledAt}}</td><td class="by">{{by .}}</td></tr>
{{- end}}
</table>
</body>
</html>
`))
