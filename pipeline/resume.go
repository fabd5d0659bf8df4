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

// execution is one call of Execute: the spec, the state store, and what it
// learns of the state as it goes (the plan's done tasks, the watermarks,
// the rows each stream loaded before). Its methods here resume, and save
// progress; run.go runs its tasks.
type execution struct {
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
func (ex *execution) prepare(ctx context.Context) (notice string, err error) {
	wms := map[string]time.Time{}
	for _, t := range ex.spec.Tasks {
		id := t.Stream.ID()
		if _, seen := wms[id]; seen {
			continue
		}
		e, _, err := ex.store.Get(ctx, t.Stream.Source, t.Stream.Name)
		if err != nil {
			return "", fmt.Errorf("read watermarks: %s: %w", id, err)
		}
		wms[id], ex.prevRows[id] = e.Watermark, e.LastRows
	}
	ex.wm = plan.NewWatermarks(ex.spec.Tasks, wms, plan.SettledEnd(ex.p.Config.Run.SettleLag.Duration, time.Now()))
	ex.warnGaps()
	if ex.spec.PlanID == "" {
		return "", nil
	}
	if ex.done, notice, err = ex.backfill().Resume(ctx); err != nil || notice != "" {
		return notice, err
	}
	for _, t := range ex.spec.Tasks {
		if ex.done[t.Key()] {
			ex.wm.Seed(t.Stream.ID(), t.Window)
		}
	}
	return "", nil
}

// peek reads which tasks prepare would skip, writing nothing; ok is false
// when prepare would find nothing to do.
func (ex *execution) peek(ctx context.Context) (done map[string]bool, ok bool, err error) {
	if ex.spec.PlanID == "" {
		return nil, true, nil
	}
	return ex.backfill().Peek(ctx)
}

// warnGaps says, once per stream, when a backfill starts after the stream's
// watermark: it loads its range but cannot move the watermark over days it
// did not pull.
func (ex *execution) warnGaps() {
	seen := map[string]bool{}
	for _, t := range ex.spec.Tasks {
		id := t.Stream.ID()
		if seen[id] {
			continue
		}
		seen[id] = true
		if prev, start, gap := ex.wm.Gap(id); gap {
			ex.p.Log.Warn(fmt.Sprintf("%s: this range starts at %s, after the watermark %s: it is loaded, but the watermark stays (nightly runs still pull from %s; or backfill from %s)",
				id, start.Format(time.DateOnly), prev.Format(time.DateOnly), prev.Format(time.DateOnly), prev.Format(time.DateOnly)))
		}
	}
}

func (ex *execution) backfill() *plan.Backfill {
	s := ex.spec
	return &plan.Backfill{Store: ex.store, ID: s.PlanID, Command: s.Command, Destination: s.Destination, Tasks: s.Tasks, Restart: s.Restart, Log: ex.p.Log}
}

// commit saves a committed task: its plan progress, then the stream's state
// (the watermark only where plan.Watermarks allows it, and the rows the
// stream loaded so far in this run).
func (ex *execution) commit(t plan.Task, res engine.Result) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if ex.spec.PlanID != "" {
		if err := ex.store.MarkDone(ctx, ex.spec.PlanID, t.Key()); err != nil {
			return err
		}
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	e := state.Entry{Source: t.Stream.Source, Stream: t.Stream.Name, LastStatus: state.StatusOK, LastRows: res.Rows}
	if t.Stream.Windowed {
		end, advance, total := ex.wm.Done(t.Stream.ID(), t.Window, res.Rows)
		if advance {
			e.Watermark = end
		}
		e.LastRows = total
	}
	return ex.store.Advance(ctx, e)
}
