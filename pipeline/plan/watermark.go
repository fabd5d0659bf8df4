package plan

import (
	"sort"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/window"
)

// Watermarks decides how far a run may move each stream's watermark: only
// over the contiguous run of done chunks from the first one, and only when
// that run starts at or before the watermark the stream had when the run
// began. A chunk committing before an earlier one that then fails must not
// move the watermark past the gap, and neither may a backfill that starts
// after the watermark (the days between would never be pulled). No
// watermark passes limit either, whatever the chunks cover.
type Watermarks struct {
	mu      sync.Mutex
	limit   time.Time
	streams map[string]*streamMarks
}

type streamMarks struct {
	prev   time.Time // watermark before the run; zero when the stream has none
	chunks []window.Window
	done   map[window.Window]bool
	rows   int64
}

// NewWatermarks tracks the windowed streams of tasks. prev holds each
// stream's watermark (by stream ID) before the run; limit is the furthest
// a watermark may go (SettledEnd: a chunk reaching past it, which a
// planner should never make, moves the watermark only up to it).
func NewWatermarks(tasks []Task, prev map[string]time.Time, limit time.Time) *Watermarks {
	w := &Watermarks{limit: limit, streams: map[string]*streamMarks{}}
	for _, t := range tasks {
		if !t.Stream.Windowed {
			continue
		}
		id := t.Stream.ID()
		m, ok := w.streams[id]
		if !ok {
			m = &streamMarks{prev: prev[id], done: map[window.Window]bool{}}
			w.streams[id] = m
		}
		m.chunks = append(m.chunks, t.Window)
	}
	for _, m := range w.streams {
		sort.Slice(m.chunks, func(i, j int) bool { return m.chunks[i].Start.Before(m.chunks[j].Start) })
	}
	return w
}

// Gap says whether the run starts after the stream's watermark: then it
// never moves the watermark, and prev..start is what nightly runs still owe.
func (w *Watermarks) Gap(streamID string) (prev, start time.Time, gap bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m, ok := w.streams[streamID]
	if !ok || len(m.chunks) == 0 || m.prev.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	return m.prev, m.chunks[0].Start, m.chunks[0].Start.After(m.prev)
}

// Seed marks chunks an earlier, interrupted run of the same plan committed.
func (w *Watermarks) Seed(streamID string, c window.Window) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m, ok := w.streams[streamID]; ok {
		m.done[c] = true
	}
}

// Done records that chunk c of the stream is done (committed, or a window
// the API cannot serve) with rows loaded. It returns the watermark the
// stream may now have, or advance false when the watermark must stay, and
// the rows the stream loaded so far in this run.
func (w *Watermarks) Done(streamID string, c window.Window, rows int64) (watermark time.Time, advance bool, total int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m, ok := w.streams[streamID]
	if !ok {
		return time.Time{}, false, rows
	}
	m.done[c] = true
	m.rows += rows
	var end time.Time
	for _, ch := range m.chunks {
		if !m.done[ch] {
			break
		}
		end = ch.End
	}
	if end.IsZero() {
		return time.Time{}, false, m.rows
	}
	if end.After(w.limit) {
		end = w.limit
	}
	if !m.prev.IsZero() && (m.chunks[0].Start.After(m.prev) || !end.After(m.prev)) {
		return time.Time{}, false, m.rows
	}
	return end, true, m.rows
}
