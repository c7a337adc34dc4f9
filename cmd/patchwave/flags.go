package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchwave/patchwave/policy"
)

// timeValue is a --at style flag: RFC 3339, or a date meaning midnight UTC.
type timeValue struct {
	t   time.Time
	set bool
}

func (v *timeValue) String() string {
	if !v.set {
		return ""
	}
	return v.t.Format(time.RFC3339)
}

func (v *timeValue) Set(s string) error {
	t, err := policy.ParseTime(s)
	if err != nil {
		return err
	}
	v.t, v.set = t, true
	return nil
}

func (v *timeValue) Type() string { return "time" }

// enumValue is a flag that takes one of a fixed set of words.
type enumValue struct {
	value   string
	allowed []string
}

func newEnum(def string, allowed ...string) *enumValue {
	return &enumValue{value: def, allowed: allowed}
}

func (e *enumValue) String() string { return e.value }

func (e *enumValue) Set(s string) error {
	if !slices.Contains(e.allowed, s) {
		return fmt.Errorf("%q is not one of %s", s, strings.Join(e.allowed, ", "))
	}
	e.value = s
	return nil
}

func (e *enumValue) Type() string { return strings.Join(e.allowed, "|") }
