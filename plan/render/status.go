package render

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/patchwave/patchwave/plan"
)

// StatusText writes where each wave and stage stands; with assets, every
// asset of every stage too.
func StatusText(w io.Writer, s plan.Status, assets bool) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "patchwave status as of %s\n", stamp(s.At))
	if len(s.Waves) == 0 {
		fmt.Fprintln(bw, "\nNo waves.")
	}
	for _, wv := range s.Waves {
		fmt.Fprintf(bw, "\nWave %s\n", wv.Name)
		for _, st := range wv.Stages {
			fmt.Fprintf(bw, "  %-12s %-11s %s\n", st.Name, st.Status, st.Reason)
			fmt.Fprintf(bw, "  %-12s %-11s %s\n", "", "", countsLine(st.Counts))
			if assets {
				writeAssets(bw, st.Assets)
			}
		}
	}
	for _, rb := range s.Rollbacks {
		fmt.Fprintf(bw, "\nRollback %s (%s) of wave %s, stages %s\n", rb.Name, rb.Kind, rb.Wave, strings.Join(rb.Stages, ", "))
		fmt.Fprintf(bw, "  %-12s %-11s %s\n", "", rb.Status, rb.Reason)
		fmt.Fprintf(bw, "  %-12s %-11s %s\n", "", "", countsLine(rb.Counts))
		if assets {
			writeAssets(bw, rb.Assets)
		}
	}
	return bw.Flush()
}

func writeAssets(w io.Writer, assets []plan.AssetStatus) {
	for _, a := range assets {
		line := fmt.Sprintf("      %-24s %s", a.ID, a.Status)
		if a.Error != "" {
			line += ": " + a.Error
		}
		fmt.Fprintln(w, line)
	}
}

// countsLine reads "2 done, 1 failed, 3 pending, 4 up-to-date", in the
// order a stage goes through them.
func countsLine(counts map[string]int) string {
	order := []string{plan.AssetDone, plan.AssetFailed, plan.AssetRolledBack, plan.AssetPending, plan.AssetUpToDate}
	var parts []string
	for _, k := range order {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	for k, n := range counts {
		if !slices.Contains(order, k) && n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(parts) == 0 {
		return "no assets"
	}
	return strings.Join(parts, ", ")
}

// StatusJSON writes the status for machines (plan.Status's JSON shape).
func StatusJSON(w io.Writer, s plan.Status) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}
