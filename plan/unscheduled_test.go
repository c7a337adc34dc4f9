package plan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// unscheduled, which walks sorted lists side by side, agrees with looking
// each id up in each list.
func TestUnscheduled(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	sorted := func(n, of int) []string {
		var out []string
		for i := range of {
			if r.IntN(of) < n {
				out = append(out, fmt.Sprintf("a%04d", i))
			}
		}
		return out
	}
	for range 500 {
		ids := sorted(r.IntN(60), 100)
		var lists [][]string
		for range r.IntN(4) {
			lists = append(lists, sorted(r.IntN(60), 100))
		}
		var want []string
		for _, id := range ids {
			if !slices.ContainsFunc(lists, func(l []string) bool { return slices.Contains(l, id) }) {
				want = append(want, id)
			}
		}
		if got := unscheduled(ids, lists); !slices.Equal(got, want) {
			t.Fatalf("unscheduled(%v, %v) = %v, want %v", ids, lists, got, want)
		}
	}
}
