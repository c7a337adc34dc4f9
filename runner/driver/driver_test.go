package driver

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/patchwave/patchwave/policy"
)

type nop struct{}

func (nop) Observe(context.Context, Target) (Observation, error)    { return Observation{}, nil }
func (nop) Apply(context.Context, Target, []Change) (Result, error) { return Result{}, nil }

func TestRegistry(t *testing.T) {
	var r Registry
	r.Register("nop", func(d policy.Driver) (Driver, error) { return nop{}, nil })
	r.Register("broken", func(d policy.Driver) (Driver, error) { return nil, errors.New("needs command") })
	if _, err := r.New(policy.Driver{Name: "a", Type: "nop"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.New(policy.Driver{Name: "b", Type: "ssh"}); err == nil || !strings.Contains(err.Error(), `unknown type "ssh"`) || !strings.Contains(err.Error(), "[broken nop]") {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := r.New(policy.Driver{Name: "c", Type: "broken"}); err == nil || !strings.Contains(err.Error(), `driver "c": needs command`) {
		t.Errorf("factory error: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a type twice did not panic")
		}
	}()
	r.Register("nop", nil)
}

func TestPermanent(t *testing.T) {
	err := Permanent(errors.New("no such package"))
	if !IsPermanent(err) || !IsPermanent(errors.Join(errors.New("x"), err)) || IsPermanent(errors.New("timeout")) || Permanent(nil) != nil {
		t.Error("Permanent/IsPermanent disagree")
	}
}
