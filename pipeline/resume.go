package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/pipeline/plan"
	"github.com/adoptionlabs/etl/state"
)

// runner carries one Execute's state: the plan's done tasks, the
// watermarks, and the rows each stream loaded before.
type runner struct {
	p        *Pipeline
	spec     Spec
	store    state.Store
	done     map[string]bool
	wm       *plan.Watermarks
	prevRows map[string]int64
	// mu keeps a stream's row total and its Advance in the same order.
	mu sync.Mutex
}

// prepare reads the streams' state, says when a backfill cannot move a
// watermark, and resumes, restarts or retires the backfill plan. notice is
// set when nothing is left to do.
func (r *runner) prepare(ctx context.Context) (notice string, err error) {
	wms := map[string]time.Time{}
	for _, t := range r.spec.Tasks {
		id := t.Stream.ID()
		if _, seen := wms[id]; seen {
			continue
		}
		e, _, err := r.store.Get(ctx, t.Stream.Source, t.Stream.Name)
		if err != nil {
			return "", fmt.Errorf("read watermarks: %s: %w", id, err)
		}
		wms[id], r.prevRows[id] = e.Watermark, e.LastRows
	}
	r.wm = plan.NewWatermarks(r.spec.Tasks, wms, plan.SettledEnd(r.p.Config.Run.SettleLag.Duration, time.Now()))
	r.warnGaps()
	if r.spec.PlanID == "" {
		return "", nil
	}
	if r.done, notice, err = r.backfill().Resume(ctx); err != nil || notice != "" {
		return notice, err
	}
	for _, t := range r.spec.Tasks {
		if r.done[t.Key()] {
			r.wm.Seed(t.Stream.ID(), t.Window)
		}
	}
	return "", nil
}

// peek reads which tasks prepare would skip, writing nothing; ok is false
// when prepare would find nothing to do.
func (r *runner) peek(ctx context.Context) (done map[string]bool, ok bool, err error) {
	if r.spec.PlanID == "" {
		return nil, true, nil
	}
	return r.backfill().Peek(ctx)
}

// warnGaps says, once per stream, when a backfill starts after the stream's
// watermark: it loads its range but cannot move the watermark over days it
// did not pull.
func (r *runner) warnGaps() {
	seen := map[string]bool{}
	for _, t := range r.spec.Tasks {
		id := t.Stream.ID()
		if seen[id] {
			continue
		}
		seen[id] = true
		if prev, start, gap := r.wm.Gap(id); gap {
			r.p.Log.Warn(fmt.Sprintf("%s: this range starts at %s, after the watermark %s: it is loaded, but the watermark stays (nightly runs still pull from %s; or backfill from %s)",
				id, start.Format(time.DateOnly), prev.Format(time.DateOnly), prev.Format(time.DateOnly), prev.Format(time.DateOnly)))
		}
	}
}

func (r *runner) backfill() *plan.Backfill {
	s := r.spec
	return &plan.Backfill{Store: r.store, ID: s.PlanID, Command: s.Command, Destination: s.Destination, Tasks: s.Tasks, Restart: s.Restart, Log: r.p.Log}
}

// commit saves a committed task: its plan progress, then the stream's state
// (the watermark only where plan.Watermarks allows it, and the rows the
// stream loaded so far in this run).
func (r *runner) commit(t plan.Task, res engine.Result) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r.spec.PlanID != "" {
		if err := r.store.MarkDone(ctx, r.spec.PlanID, t.Key()); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e := state.Entry{Source: t.Stream.Source, Stream: t.Stream.Name, LastStatus: state.StatusOK, LastRows: res.Rows}
	if t.Stream.Windowed {
		end, advance, total := r.wm.Done(t.Stream.ID(), t.Window, res.Rows)
		if advance {
			e.Watermark = end
		}
		e.LastRows = total
	}
	return r.store.Advance(ctx, e)
}
