package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// Both are flag values: the compiler keeps them so.
var (
	_ pflag.Value = (*enumValue)(nil)
	_ pflag.Value = (*timeValue)(nil)
)

func TestEnumValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		set     string
		want    string // value after Set
		wantErr string // substring of the error; "" for none
	}{
		{name: "default kept", set: "text", want: "text"},
		{name: "other value", set: "json", want: "json"},
		{name: "unknown value", set: "yaml", want: "text", wantErr: `"yaml" is not one of text, json`},
		{name: "case matters", set: "JSON", want: "text", wantErr: `"JSON" is not one of`},
		{name: "empty", set: "", want: "text", wantErr: `"" is not one of`},
		{name: "prefix", set: "js", want: "text", wantErr: "is not one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnum("text", "text", "json")
			err := e.Set(tt.set)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Set(%q): %v", tt.set, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Set(%q) = %v, want an error with %q", tt.set, err, tt.wantErr)
			}
			if e.String() != tt.want {
				t.Errorf("after Set(%q): String() = %q, want %q", tt.set, e.String(), tt.want)
			}
			if e.Type() != "text|json" {
				t.Errorf("Type() = %q, want %q", e.Type(), "text|json")
			}
		})
	}
}

func TestTimeValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		set        string
		want       time.Time
		wantString string
		wantErr    bool
	}{
		{name: "date is midnight UTC", set: "2026-11-20", want: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), wantString: "2026-11-20T00:00:00Z"},
		{name: "RFC 3339 UTC", set: "2026-11-20T22:00:00Z", want: time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC), wantString: "2026-11-20T22:00:00Z"},
		{name: "RFC 3339 with offset keeps the instant", set: "2026-11-20T22:00:00+01:00", want: time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC), wantString: "2026-11-20T22:00:00+01:00"},
		{name: "fractional seconds", set: "2026-11-20T22:00:00.5Z", want: time.Date(2026, 11, 20, 22, 0, 0, 5e8, time.UTC), wantString: "2026-11-20T22:00:00Z"},
		{name: "garbage", set: "garbage", wantErr: true},
		{name: "empty", set: "", wantErr: true},
		{name: "no such month", set: "2026-13-01", wantErr: true},
		{name: "space instead of T", set: "2026-11-20 22:00:00", wantErr: true},
		{name: "no zone", set: "2026-11-20T22:00:00", wantErr: true},
		{name: "day first", set: "20-11-2026", wantErr: true},
		{name: "relative", set: "now", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v timeValue
			err := v.Set(tt.set)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Set(%q) = nil, want an error", tt.set)
				}
				if !strings.Contains(err.Error(), `"`+tt.set+`"`) {
					t.Errorf("error %q does not quote the input", err)
				}
				if v.set || v.String() != "" {
					t.Errorf("a failed Set left the flag set: %q", v.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("Set(%q): %v", tt.set, err)
			}
			if !v.set || !v.t.Equal(tt.want) {
				t.Errorf("Set(%q) = %v (set %v), want %v", tt.set, v.t, v.set, tt.want)
			}
			if v.String() != tt.wantString {
				t.Errorf("String() = %q, want %q", v.String(), tt.wantString)
			}
		})
	}
	var unset timeValue
	if unset.String() != "" || unset.Type() != "time" {
		t.Errorf("unset flag: String() = %q, Type() = %q; want \"\" and \"time\"", unset.String(), unset.Type())
	}
}

// TestTimeValueFailedSetKeepsValue: a bad second --at must not wipe the first.
func TestTimeValueFailedSetKeepsValue(t *testing.T) {
	t.Parallel()
	var v timeValue
	if err := v.Set("2026-11-20"); err != nil {
		t.Fatal(err)
	}
	if err := v.Set("garbage"); err == nil {
		t.Fatal("Set(garbage) = nil, want an error")
	}
	if !v.set || v.String() != "2026-11-20T00:00:00Z" {
		t.Errorf("after a failed Set: %q (set %v), want the earlier value", v.String(), v.set)
	}
}
