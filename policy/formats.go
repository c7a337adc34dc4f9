package policy

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// dayUnits finds the "d" and "w" units that Go durations lack.
var dayUnits = regexp.MustCompile(`([0-9]+(?:\.[0-9]+)?)([dw])`)

// ParseDuration parses a Go duration extended with "d" (24h) and "w" (7d),
// as SPEC §1 fixes: "72h", "7d", "2w", "1w2d12h", "0s".
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var convErr error
	goDur := dayUnits.ReplaceAllStringFunc(s, func(m string) string {
		parts := dayUnits.FindStringSubmatch(m)
		n, err := strconv.ParseFloat(parts[1], 64)
		if err != nil {
			convErr = err
			return m
		}
		hours := n * 24
		if parts[2] == "w" {
			hours *= 7
		}
		return strconv.FormatFloat(hours, 'f', -1, 64) + "h"
	})
	if convErr != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	d, err := time.ParseDuration(goDur)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (want a Go duration, or with d and w units, such as \"72h\" or \"7d\")", s)
	}
	return d, nil
}

// FormatDuration writes a duration the way the policy does: whole days as
// "7d" (SLAs read in days), anything else as Go writes it, without
// trailing zero units ("24h0m0s" is "1d", "90m" is "1h30m").
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == 0:
		return "0s"
	case d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ParseTime parses an RFC 3339 time; a date alone means midnight UTC.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q (want RFC 3339, such as \"2026-11-20T22:00:00Z\", or a date, such as \"2026-11-20\")", s)
}

// ParseClock parses "HH:MM" on a 24-hour clock into minutes after midnight.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if ok && len(h) == 2 && len(m) == 2 {
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 == nil && err2 == nil && hh >= 0 && hh < 24 && mm >= 0 && mm < 60 {
			return hh*60 + mm, nil
		}
	}
	return 0, fmt.Errorf("invalid time of day %q (want \"HH:MM\", 00:00 to 23:59)", s)
}

// Amount is a count of assets or a share of them ("N%"), as stage
// max_parallel, max_failures and policy.canary take.
type Amount struct {
	Count   int     // used when !Percent
	Percent float64 // 0..100, used when IsPercent
	// IsPercent tells which of the two is set.
	IsPercent bool
}

// ParseAmount reads a count or "N%".
func ParseAmount(v any) (Amount, error) {
	switch x := v.(type) {
	case int:
		if x >= 0 {
			return Amount{Count: x}, nil
		}
	case int64:
		if x >= 0 && x <= math.MaxInt32 {
			return Amount{Count: int(x)}, nil
		}
	case float64:
		if x >= 0 && x == math.Trunc(x) && x <= math.MaxInt32 {
			return Amount{Count: int(x)}, nil
		}
	case string:
		if n, ok := strings.CutSuffix(x, "%"); ok {
			p, err := strconv.ParseFloat(n, 64)
			if err == nil && p >= 0 && p <= 100 {
				return Amount{Percent: p, IsPercent: true}, nil
			}
		}
	}
	return Amount{}, fmt.Errorf("invalid amount %v (want a count such as 5 or a percentage such as \"10%%\")", v)
}

// Of returns the amount for a total: a count as it is, a percentage of
// total rounded up, so that "10%" of 3 assets is 1, not 0.
func (a Amount) Of(total int) int {
	if !a.IsPercent {
		return a.Count
	}
	return int(math.Ceil(float64(total) * a.Percent / 100))
}

// FloorOf is like Of but rounds a percentage down: for limits that must not
// be exceeded, such as failures tolerated.
func (a Amount) FloorOf(total int) int {
	if !a.IsPercent {
		return a.Count
	}
	return int(math.Floor(float64(total) * a.Percent / 100))
}

func (a Amount) String() string {
	if a.IsPercent {
		return strconv.FormatFloat(a.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(a.Count)
}
