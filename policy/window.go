package policy

import (
	"slices"
	"time"
)

// Occurrence is one opening of a window: [Start, End).
type Occurrence struct {
	Start, End time.Time
}

// Contains reports whether t falls inside the occurrence.
func (o Occurrence) Contains(t time.Time) bool { return !t.Before(o.Start) && t.Before(o.End) }

// Next returns the occurrence of the window that is open at t, or else the
// next one to open. Start times are wall-clock times in the window's time
// zone, so a "22:00" window opens at 22:00 local time on both sides of a
// daylight-saving change; the duration is elapsed time. A start that falls
// into the hour skipped by a spring-forward change opens at the first
// instant after it, as time.Date normalises it. ok is false for a window
// without days or duration.
func (w *Window) Next(t time.Time) (o Occurrence, ok bool) {
	if len(w.Days) == 0 || w.Duration <= 0 {
		return Occurrence{}, false
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)
	// A window lasts at most 7 days, so one that is open at t started at
	// most 7 days before; one that is not opens within the next 7 days.
	for day := -8; day <= 8; day++ {
		d := local.AddDate(0, 0, day)
		if !slices.Contains(w.Days, d.Weekday()) {
			continue
		}
		start := time.Date(d.Year(), d.Month(), d.Day(), w.Start/60, w.Start%60, 0, 0, loc)
		// In a skipped hour time.Date may answer with a wall clock before
		// the start (01:00 for 02:00); the window opens when the clock
		// jumps past it.
		if ls := start.In(loc); ls.Day() == d.Day() && ls.Hour()*60+ls.Minute() < w.Start {
			start = start.Add(time.Duration(w.Start-ls.Hour()*60-ls.Minute()) * time.Minute)
		}
		if end := start.Add(w.Duration); end.After(t) {
			return Occurrence{Start: start, End: end}, true
		}
	}
	return Occurrence{}, false
}
