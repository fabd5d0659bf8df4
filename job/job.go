// Package job plans streams over a date range (chunks per stream) and runs
// the plan with bounded concurrency through the engine, so that one nightly
// run or a months-long backfill is the same machinery.
package job

import (
	"context"
	"sort"
	"strings"
	"sync"
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

// Plan cuts w into chunks for every windowed stream (chunk overrides the
// stream's own default when > 0) and gives each snapshot stream one task.
// Aligned streams (monthly data) get one task per aligned window, not one
// per chunk that would re-pull the same month.
func Plan(streams []*engine.Stream, w window.Window, chunk time.Duration) []Task {
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

// Job runs tasks.
type Job struct {
	Runner   *engine.Runner
	Parallel int
	// Skip, when set, drops tasks already done (a resumed backfill).
	Skip func(Task) bool
	// Committed is called after each task that committed, and after each
	// window the API cannot serve at all (clipped to nothing by how far back
	// it goes): nothing will ever load there, so it counts as done.
	Committed func(Task, engine.Result) error
	// Started is called once with the tasks that will run.
	Started func([]Task)
}

// unservable says the task was skipped because its whole window lies
// before what the API serves.
func (j *Job) unservable(t Task, res engine.Result) bool {
	if res.Status != engine.StatusSkipped || !t.Stream.Windowed {
		return false
	}
	eff, _ := j.Runner.Effective(t.Stream, t.Window)
	return eff.Empty()
}

// Outcome pairs a task and its result.
type Outcome struct {
	Task   Task
	Result engine.Result
	// SaveErr is set when the task committed but its progress could not be
	// saved: the rows are in, a rerun redoes the window harmlessly.
	SaveErr error
}

// Run executes every task with at most Parallel at once. A failed task never
// stops the others. When ctx is cancelled, tasks not started are dropped and
// running ones abandon their window without committing.
func (j *Job) Run(ctx context.Context, tasks []Task) []Outcome {
	var todo []Task
	for _, t := range tasks {
		if j.Skip != nil && j.Skip(t) {
			continue
		}
		todo = append(todo, t)
	}
	if j.Started != nil {
		j.Started(todo)
	}
	par := j.Parallel
	if par < 1 {
		par = 1
	}
	var (
		mu  sync.Mutex
		out []Outcome
		wg  sync.WaitGroup
	)
	queue := make(chan Task)
	for i := 0; i < par; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range queue {
				res := j.Runner.Run(ctx, t.Stream, t.Window)
				o := Outcome{Task: t, Result: res}
				if res.Err == nil && j.Committed != nil && (res.Status == engine.StatusOK || j.unservable(t, res)) {
					o.SaveErr = j.Committed(t, res)
				}
				mu.Lock()
				out = append(out, o)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, t := range todo {
		select {
		case queue <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	sort.SliceStable(out, func(a, b int) bool {
		ta, tb := out[a].Task, out[b].Task
		if ta.Stream.ID() != tb.Stream.ID() {
			return ta.Stream.ID() < tb.Stream.ID()
		}
		return ta.Window.Start.Before(tb.Window.Start)
	})
	return out
}
