// Package plan decides what a run does: the tasks (a stream over a window)
// of a backfill or of the nightly run, a backfill plan's identity, and how
// far each stream's watermark may move as its chunks commit.
package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/window"
)

// Task is one stream over one window.
type Task struct {
	Stream *engine.Stream
	Window window.Window
}

// Key identifies a task in state and reports.
func (t Task) Key() string { return Key(t.Stream.ID(), t.Window) }

// Key names the task of a stream (by ID) over a window, in the format the
// state store parses when it resets a stream's backfill progress.
func Key(streamID string, w window.Window) string {
	source, stream, _ := strings.Cut(streamID, ".")
	return state.TaskKey(source, stream, w.Start, w.End)
}

// DefaultChunk is used by streams that declare none.
const DefaultChunk = 7 * window.Day

// Chunks cuts w into chunks for every windowed stream (chunk overrides the
// stream's own default when > 0) and gives each snapshot stream one task.
// Aligned streams (monthly data) get one task per aligned window, not one
// per chunk that would re-pull the same month.
func Chunks(streams []*engine.Stream, w window.Window, chunk time.Duration) []Task {
	var out []Task
	for _, s := range streams {
		if !s.Windowed {
			out = append(out, Task{Stream: s, Window: w})
			continue
		}
		size := chunk
		if size <= 0 {
			size = s.Chunk
		}
		if size <= 0 {
			size = DefaultChunk
		}
		seen := map[window.Window]bool{}
		for _, c := range w.Split(size) {
			if s.Align != nil {
				a := s.Align(c)
				if seen[a] {
					continue
				}
				seen[a] = true
			}
			out = append(out, Task{Stream: s, Window: c})
		}
	}
	return out
}

// ID names a backfill by its streams, chunks and destination: the same
// command resumes, the same range into another destination is another plan.
func ID(tasks []Task, destination string) string {
	keys := make([]string, len(tasks))
	for i, t := range tasks {
		keys[i] = t.Key()
	}
	sort.Strings(keys)
	keys = append(keys, "destination "+destination)
	sum := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	return hex.EncodeToString(sum[:8])
}

// SettledEnd is where a nightly run ends and where every backfill ends
// too: the start of today (UTC) minus the settle lag. Today is still
// filling at the vendor, so no watermark may pass this point: a watermark
// past it would make the next run skip the rest of a day it loaded half of.
func SettledEnd(settle time.Duration, now time.Time) time.Time {
	return window.Floor(window.Floor(now).Add(-settle))
}

// Nightly gives each windowed stream [watermark - lookback, SettledEnd), in
// whole days, or the initial period before that end when the stream has no
// watermark; snapshot streams run once.
func Nightly(ctx context.Context, store state.Store, streams []*engine.Stream, lookback, settle, initial time.Duration, now time.Time) ([]Task, error) {
	end := SettledEnd(settle, now)
	var tasks []Task
	for _, s := range streams {
		if !s.Windowed {
			tasks = append(tasks, Task{Stream: s, Window: window.New(end.Add(-window.Day), end)})
			continue
		}
		e, ok, err := store.Get(ctx, s.Source, s.Name)
		if err != nil {
			return nil, fmt.Errorf("read the watermark of %s: %w", s.ID(), err)
		}
		start := end.Add(-initial)
		if ok && !e.Watermark.IsZero() {
			start = window.Floor(e.Watermark.Add(-lookback))
		}
		start = window.Floor(start)
		if !start.Before(end) {
			continue
		}
		tasks = append(tasks, Chunks([]*engine.Stream{s}, window.New(start, end), 0)...)
	}
	return tasks, nil
}

// ClipToSettled ends a backfill where the nightly run ends (SettledEnd):
// the last day it loads is the day before today minus the settle lag.
// Later days are partial or do not exist yet, and a backfill that loaded
// them would move the watermark over days not yet complete. clipped says
// so when it shortened w. A range entirely after that day is an error:
// nothing can be loaded.
func ClipToSettled(w window.Window, settle time.Duration, now time.Time) (out window.Window, clipped string, err error) {
	end := SettledEnd(settle, now)
	last := end.Add(-window.Day)
	if !w.Start.Before(end) {
		return w, "", fmt.Errorf("--from %s is after the last day that can be pulled, %s (the day before today (UTC) minus run.settle_lag %dd: today is not complete yet)",
			w.Start.Format(time.DateOnly), last.Format(time.DateOnly), int(settle/window.Day))
	}
	if !w.End.After(end) {
		return w, "", nil
	}
	out = window.New(w.Start, end)
	return out, fmt.Sprintf("--to %s is after the last day that can be pulled, %s: loading %s instead (a backfill ends where the nightly run ends, at the start of today (UTC) minus run.settle_lag %dd)",
		w.End.Add(-window.Day).Format(time.DateOnly), last.Format(time.DateOnly), out, int(settle/window.Day)), nil
}
