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

// countDistinctAssets, which walks sorted lists side by side, counts what
// a set of every asset counts, with lists in and out of order.
func TestCountDistinctAssets(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		var lists [][]Action
		set := map[string]bool{}
		for range r.IntN(20) {
			var l []Action
			for i := range 30 {
				if r.IntN(3) == 0 {
					id := fmt.Sprintf("a%02d", i)
					for range 1 + r.IntN(2) { // an asset's actions come together
						l = append(l, Action{Asset: id})
					}
					set[id] = true
				}
			}
			if r.IntN(4) == 0 {
				slices.Reverse(l)
			}
			lists = append(lists, l)
		}
		if got := countDistinctAssets(lists); got != len(set) {
			t.Fatalf("countDistinctAssets(%v) = %d, want %d", lists, got, len(set))
		}
	}
}
