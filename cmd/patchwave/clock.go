package main

import "time"

// clock is the time apply decides by: fixed at --at (or PATCHWAVE_NOW),
// so that runs are reproducible, else the real clock.
func clock(at time.Time, fixed bool) func() time.Time {
	if fixed {
		return func() time.Time { return at }
	}
	return time.Now
}
