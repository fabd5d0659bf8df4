// Package progress shows what a run is doing: a live per-source display on a
// terminal, with warnings printed above it (see Screen), plain periodic log
// lines without one (cron, CI), never control characters in a log.
package progress

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/engine"
)

// Display follows the streams an engine runs.
type Display struct {
	scr      *Screen
	tty      bool
	log      *slog.Logger
	interval time.Duration
	start    time.Time

	mu      sync.Mutex
	running map[*engine.Live]bool
	sources map[string]*sourceTally
	stop    chan struct{}
	stopped chan struct{}
}

type sourceTally struct {
	total, done, failed  int
	rows, pages, retries int64
	liveRows, livePages  int64
	liveRetries          int64
	fanDone, fanTotal    int64
}

// New returns a display; tty selects the live view. interval is how often a
// non-terminal run logs progress. When out is the Screen the program's log
// writes through, the view is drawn below those lines instead of over them.
func New(out io.Writer, tty bool, log *slog.Logger, interval time.Duration) *Display {
	scr, ok := out.(*Screen)
	if !ok {
		scr = NewScreen(out)
	}
	if interval <= 0 {
		interval = 15 * time.Second
	}
	if tty {
		interval = 250 * time.Millisecond
	}
	return &Display{scr: scr, tty: tty, log: log, interval: interval, start: time.Now(),
		running: map[*engine.Live]bool{}, sources: map[string]*sourceTally{}}
}

// Plan records how many chunks each source has to do.
func (d *Display) Plan(counts map[string]int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for src, n := range counts {
		d.tally(src).total += n
	}
}

func (d *Display) tally(src string) *sourceTally {
	t, ok := d.sources[src]
	if !ok {
		t = &sourceTally{}
		d.sources[src] = t
	}
	return t
}

// Started is the engine's OnStart hook.
func (d *Display) Started(l *engine.Live) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.running[l] = true
}

// Finished is the engine's OnDone hook.
func (d *Display) Finished(l *engine.Live, r engine.Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, l)
	t := d.tally(r.Source)
	t.done++
	if r.Status == engine.StatusFailed {
		t.failed++
	}
	t.rows += r.Rows
	t.pages += r.Pages
	t.retries += r.Retries
}

// Run refreshes until Stop.
func (d *Display) Run(ctx context.Context) {
	d.stop, d.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(d.stopped)
		tick := time.NewTicker(d.interval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				d.render()
			case <-d.stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
}

// Stop ends the refresh and clears the live view.
func (d *Display) Stop() {
	if d.stop == nil {
		return
	}
	close(d.stop)
	<-d.stopped
	if d.tty {
		d.scr.Clear()
	}
}

// Snapshot is the per-source state the display shows.
type Snapshot struct {
	Source               string
	Done, Total, Failed  int
	Rows, Pages, Retries int64
	FanDone, FanTotal    int64
	Rate                 float64 // rows/s since the start
	ETA                  time.Duration
}

// Snapshots returns the current per-source state, sorted by source.
func (d *Display) Snapshots() []Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.sources {
		t.liveRows, t.livePages, t.liveRetries, t.fanDone, t.fanTotal = 0, 0, 0, 0, 0
	}
	for l := range d.running {
		t := d.tally(l.Stream.Source)
		t.liveRows += l.Rows.Load()
		t.livePages += l.HTTP.Requests.Load()
		t.liveRetries += l.HTTP.Retries.Load()
		t.fanDone += l.Done.Load()
		t.fanTotal += l.Total.Load()
	}
	elapsed := time.Since(d.start)
	var out []Snapshot
	for src, t := range d.sources {
		s := Snapshot{Source: src, Done: t.done, Total: t.total, Failed: t.failed,
			Rows: t.rows + t.liveRows, Pages: t.pages + t.livePages, Retries: t.retries + t.liveRetries,
			FanDone: t.fanDone, FanTotal: t.fanTotal}
		if secs := elapsed.Seconds(); secs > 0 {
			s.Rate = float64(s.Rows) / secs
		}
		if t.done > 0 && t.total > t.done {
			s.ETA = time.Duration(float64(elapsed) / float64(t.done) * float64(t.total-t.done))
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

func (s Snapshot) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s chunks %d/%d", s.Source, s.Done, s.Total)
	if s.Failed > 0 {
		fmt.Fprintf(&b, " (%d failed)", s.Failed)
	}
	fmt.Fprintf(&b, "  rows %d  pages %d  retries %d  %.0f rows/s", s.Rows, s.Pages, s.Retries, s.Rate)
	if s.FanTotal > 0 {
		fmt.Fprintf(&b, "  users %d/%d", s.FanDone, s.FanTotal)
	}
	if s.ETA > 0 {
		fmt.Fprintf(&b, "  eta %s", s.ETA.Round(time.Second))
	}
	return b.String()
}

func (d *Display) render() {
	snaps := d.Snapshots()
	if !d.tty {
		for _, s := range snaps {
			if s.Done < s.Total || s.FanTotal > 0 {
				d.log.Info("progress", "source", s.Source, "chunks_done", s.Done, "chunks_total", s.Total,
					"rows", s.Rows, "pages", s.Pages, "retries", s.Retries, "eta", s.ETA.Round(time.Second).String())
			}
		}
		return
	}
	lines := make([]string, len(snaps))
	for i, s := range snaps {
		lines[i] = s.String()
	}
	d.scr.Draw(lines)
}
