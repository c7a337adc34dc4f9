package policy

import (
	"testing"
	"time"

	"github.com/patchwave/patchwave/schemas"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "72h", want: 72 * time.Hour},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "2w", want: 14 * 24 * time.Hour},
		{in: "1w2d12h30m", want: (9*24+12)*time.Hour + 30*time.Minute},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "0s"},
		{in: "0"},
		{in: "90m", want: 90 * time.Minute},
		{in: "", bad: true},
		{in: "3 days", bad: true},
		{in: "-1h", bad: true},
		{in: "d", bad: true},
		{in: "7x", bad: true},
	} {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{0: "0s", 7 * 24 * time.Hour: "7d", 14 * 24 * time.Hour: "14d", 24 * time.Hour: "1d",
		72 * time.Hour: "3d", 36 * time.Hour: "36h", 90 * time.Minute: "1h30m", 4 * time.Hour: "4h", 30 * time.Second: "30s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Errorf("ParseDuration(FormatDuration(%v)) = %v, %v", d, back, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "2026-11-20", want: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
		{in: "2026-11-20T22:00:00Z", want: time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC)},
		{in: "2026-11-20T22:00:00+01:00", want: time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)},
		{in: "2026-11-20T22:00:00", bad: true},
		{in: "20.11.2026", bad: true},
		{in: "2026-13-01", bad: true},
	} {
		got, err := ParseTime(tc.in)
		if (err != nil) != tc.bad || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v, bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseClock(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"00:00": 0, "22:30": 22*60 + 30, "23:59": 23*60 + 59, "24:00": -1, "7:00": -1, "12:60": -1, "ab:cd": -1} {
		got, err := ParseClock(in)
		if want < 0 {
			if err == nil {
				t.Errorf("ParseClock(%q) = %d, want an error", in, got)
			}
		} else if err != nil || got != want {
			t.Errorf("ParseClock(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in          any
		total       int
		ceil, floor int
		bad         bool
	}{
		{in: float64(5), total: 100, ceil: 5, floor: 5},
		{in: 3, total: 100, ceil: 3, floor: 3},
		{in: "10%", total: 3, ceil: 1, floor: 0},
		{in: "25%", total: 100, ceil: 25, floor: 25},
		{in: "100%", total: 7, ceil: 7, floor: 7},
		{in: "101%", bad: true},
		{in: "ten", bad: true},
		{in: float64(-1), bad: true},
		{in: 1.5, bad: true},
	} {
		a, err := ParseAmount(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("ParseAmount(%v) error = %v, want bad=%v", tc.in, err, tc.bad)
			continue
		}
		if !tc.bad && (a.Of(tc.total) != tc.ceil || a.FloorOf(tc.total) != tc.floor) {
			t.Errorf("%v of %d = %d/%d, want %d/%d", tc.in, tc.total, a.Of(tc.total), a.FloorOf(tc.total), tc.ceil, tc.floor)
		}
	}
}

// Every format definition of the schema has words for error messages.
func TestFormatWordsCoverSchema(t *testing.T) {
	t.Parallel()
	src, err := schemas.FS.ReadFile("definitions.cue")
	if err != nil {
		t.Fatal(err)
	}
	defs := schemaRegexp.FindAllStringSubmatch(string(src), -1)
	if len(defs) < 8 {
		t.Fatalf("found %d regexp definitions in the schema, want at least 8", len(defs))
	}
	for _, d := range defs {
		if _, ok := formatWords[d[1]]; !ok {
			t.Errorf("schema definition %s has no entry in formatWords", d[1])
		}
		if _, ok := boundWords()[d[2]]; !ok {
			t.Errorf("bound %s of %s is not in boundWords", d[2], d[1])
		}
	}
	if got := friendly(`invalid value "3 days" (out of bound ` + boundOf(t, defs, "#Duration") + `)`); got != `invalid value "3 days" (want a duration such as "72h", "7d", "2w" or "0s")` {
		t.Errorf("friendly = %q", got)
	}
}

func boundOf(t *testing.T, defs [][]string, name string) string {
	for _, d := range defs {
		if d[1] == name {
			return d[2]
		}
	}
	t.Fatalf("no %s in schema", name)
	return ""
}
