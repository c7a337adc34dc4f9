package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "status", "--dir", quickstart, "--at", beforeWindow, "--assets")
	if r.code != 0 || !strings.Contains(r.out, "canary       blocked     window eu-night closed until 2026-11-26 21:00 UTC") ||
		!strings.Contains(r.out, "4 pending, 4 up-to-date") || !strings.Contains(r.out, "lb-01                    up-to-date") {
		t.Fatalf("status:\n%s", r)
	}
	r = runCLI(t, nil, "status", "--dir", quickstart, "--at", beforeWindow, "--format", "json")
	var s struct {
		FormatVersion int `json:"format_version"`
		Waves         []struct {
			Name   string
			Stages []struct {
				Name, Status string
				Counts       map[string]int
				Assets       []struct{ ID, Status string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.out), &s); err != nil || r.code != 0 {
		t.Fatalf("json: %v\n%s", err, r)
	}
	if s.FormatVersion != 1 || len(s.Waves) != 1 || len(s.Waves[0].Stages) != 3 || s.Waves[0].Stages[2].Counts["up-to-date"] != 4 || len(s.Waves[0].Stages[2].Assets) != 8 {
		t.Errorf("status json: %+v", s)
	}
}
