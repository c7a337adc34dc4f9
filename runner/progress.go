package runner

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress reports how a stage or rollback run goes. On a terminal
// (ApplyOptions.Live) it keeps one line per run that it rewrites in
// place; for CI logs it writes plain lines: one per asset and one per
// batch.
type progress struct {
	mu                  sync.Mutex
	w                   io.Writer
	live                bool
	what                string
	total, done, failed int
	batch, batches      int
	start               time.Time
}

func (a *applier) progress(what string, total, batches int) *progress {
	return &progress{w: a.o.Log, live: a.o.Live, what: what, total: total, batches: batches, start: time.Now()}
}

// asset records one asset's result.
func (p *progress) asset(id, result string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if result == "failed" {
		p.failed++
	}
	if p.live {
		p.draw()
		return
	}
	fmt.Fprintf(p.w, "  %s %s\n", id, result)
}

// batchDone records the end of a batch.
func (p *progress) batchDone() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.batch++
	if p.live {
		p.draw()
		return
	}
	fmt.Fprintf(p.w, "%s: batch %d/%d done, %s\n", p.what, p.batch, p.batches, p.counts())
}

// say writes a line of its own; on a terminal, the live line follows it.
func (p *progress) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
	if p.live && p.done < p.total {
		p.draw()
	}
}

// end clears the live line, before the run's result is written.
func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *progress) counts() string {
	return fmt.Sprintf("%d/%d assets, %d failed, %s", p.done, p.total, p.failed, time.Since(p.start).Round(time.Second))
}

func (p *progress) draw() {
	fmt.Fprintf(p.w, "\r\033[K%s: batch %d/%d, %s", p.what, min(p.batch+1, p.batches), p.batches, p.counts())
}
