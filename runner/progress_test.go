package runner

import (
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	for _, live := range []bool{false, true} {
		var out strings.Builder
		a := &applier{o: ApplyOptions{Log: &out, Live: live}}
		p := a.progress("wave w stage broad", 3, 2)
		p.asset("a-1", "succeeded")
		p.asset("a-2", "failed")
		p.batchDone()
		p.say("window closed")
		p.asset("a-3", "succeeded")
		p.batchDone()
		p.end()
		got := out.String()
		if live {
			// One line, rewritten: no per-asset lines, the counts as they
			// grow, and a clean line at the end.
			for _, want := range []string{"\r\033[Kwave w stage broad: batch 1/2, 1/3 assets, 0 failed", "batch 2/2, 2/3 assets, 1 failed", "\r\033[Kwindow closed\n", "batch 2/2, 3/3 assets, 1 failed"} {
				if !strings.Contains(got, want) {
					t.Errorf("live output lacks %q: %q", want, got)
				}
			}
			if strings.Contains(got, "a-1") || !strings.HasSuffix(got, "\r\033[K") {
				t.Errorf("live output: %q", got)
			}
			continue
		}
		want := "  a-1 succeeded\n  a-2 failed\nwave w stage broad: batch 1/2 done, 2/3 assets, 1 failed, 0s\nwindow closed\n  a-3 succeeded\nwave w stage broad: batch 2/2 done, 3/3 assets, 1 failed, 0s\n"
		if got != want {
			t.Errorf("plain output:\n%q\nwant\n%q", got, want)
		}
	}
}
