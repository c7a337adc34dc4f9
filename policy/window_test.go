package policy

import (
	"testing"
	"time"
)

func TestWindowNext(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	newYork, _ := time.LoadLocation("America/New_York")
	euNight := &Window{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}, Start: 22 * 60, Duration: 4 * time.Hour, Location: berlin}
	usWeekend := &Window{Days: []time.Weekday{time.Saturday, time.Sunday}, Start: 2 * 60, Duration: 6 * time.Hour, Location: newYork}
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	for _, tc := range []struct {
		name       string
		w          *Window
		at         string
		start, end string
	}{
		// Thursday 26 Nov 2026, 12:00 UTC = 13:00 Berlin: tonight 22:00 CET = 21:00 UTC.
		{"before tonight", euNight, "2026-11-26T12:00:00Z", "2026-11-26T21:00:00Z", "2026-11-27T01:00:00Z"},
		{"inside", euNight, "2026-11-26T23:30:00Z", "2026-11-26T21:00:00Z", "2026-11-27T01:00:00Z"},
		{"at the end: closed", euNight, "2026-11-27T01:00:00Z", "2026-11-30T21:00:00Z", "2026-12-01T01:00:00Z"},
		{"thursday night runs into friday", euNight, "2026-11-27T00:59:59Z", "2026-11-26T21:00:00Z", "2026-11-27T01:00:00Z"},
		// Summer time: 22:00 CEST = 20:00 UTC.
		{"summer", euNight, "2026-07-06T12:00:00Z", "2026-07-06T20:00:00Z", "2026-07-07T00:00:00Z"},
		// Berlin leaves summer time on Sunday 25 Oct 2026; Monday's window is at 21:00 UTC again.
		{"after fall back", euNight, "2026-10-24T12:00:00Z", "2026-10-26T21:00:00Z", "2026-10-27T01:00:00Z"},
		// Berlin enters summer time on Sunday 29 Mar 2026.
		{"after spring forward", euNight, "2026-03-28T12:00:00Z", "2026-03-30T20:00:00Z", "2026-03-31T00:00:00Z"},
		// New York springs forward at 02:00 on Sunday 8 Mar 2026: 02:00 does not exist and
		// opens at 03:00 EDT = 07:00 UTC; the 6h last until 13:00 UTC.
		{"start in the skipped hour", usWeekend, "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T13:00:00Z"},
		// Saturday 7 Mar: 02:00 EST = 07:00 UTC.
		{"saturday", usWeekend, "2026-03-07T00:00:00Z", "2026-03-07T07:00:00Z", "2026-03-07T13:00:00Z"},
		// New York falls back at 02:00 on Sunday 1 Nov 2026: 02:00 EST = 07:00 UTC.
		{"fall back day", usWeekend, "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T13:00:00Z"},
	} {
		o, ok := tc.w.Next(utc(tc.at))
		if !ok || !o.Start.Equal(utc(tc.start)) || !o.End.Equal(utc(tc.end)) {
			t.Errorf("%s: Next(%s) = %s..%s, %v; want %s..%s", tc.name, tc.at, o.Start.UTC().Format(time.RFC3339), o.End.UTC().Format(time.RFC3339), ok, tc.start, tc.end)
		}
		if in := o.Contains(utc(tc.at)); in != !utc(tc.at).Before(utc(tc.start)) {
			t.Errorf("%s: Contains = %v", tc.name, in)
		}
	}
	if _, ok := (&Window{}).Next(utc("2026-01-01T00:00:00Z")); ok {
		t.Error("a window without days opened")
	}
}
