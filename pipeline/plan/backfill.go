package plan

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/adoptionlabs/etl/state"
)

// Backfill is a resumable plan and its record in the state store.
type Backfill struct {
	Store       state.Store
	ID          string
	Command     string
	Destination string
	Tasks       []Task
	Restart     bool // drop an unfinished plan's progress instead of resuming it
	Log         *slog.Logger
}

// Resume decides what a backfill does with progress an earlier run of the
// same plan left: a completed plan is retired and starts over, an
// unfinished one resumes (or starts over with Restart). done holds the
// keys of the tasks to skip; notice is set when nothing is left to do.
func (b *Backfill) Resume(ctx context.Context) (done map[string]bool, notice string, err error) {
	store, log := b.Store, b.Log
	rec, err := findPlan(ctx, store, b.ID)
	if err != nil {
		return nil, "", err
	}
	if done, err = store.DoneTasks(ctx, b.ID); err != nil {
		return nil, "", fmt.Errorf("read backfill progress: %w", err)
	}
	n := len(b.Tasks)
	committed := 0
	for _, t := range b.Tasks {
		if done[t.Key()] {
			committed++
		}
	}
	clear := func() error {
		if err := store.ClearProgress(ctx, b.ID); err != nil {
			return fmt.Errorf("drop backfill progress: %w", err)
		}
		done = map[string]bool{}
		return nil
	}
	switch {
	case rec != nil && !rec.Unfinished():
		if err := clear(); err != nil {
			return nil, "", err
		}
		log.Info(fmt.Sprintf("this backfill completed on %s: pulling the whole range again (%d chunks)", rec.Completed.UTC().Format(time.RFC3339), n), "plan", b.ID)
	case b.Restart && len(done) > 0:
		if err := clear(); err != nil {
			return nil, "", err
		}
		log.Info(fmt.Sprintf("--restart: dropped the progress of the unfinished backfill (%d of %d chunks had committed); pulling all %d again", committed, n, n), "plan", b.ID)
	case committed == n && n > 0:
		b.Retire()
		return done, fmt.Sprintf("nothing to do: every one of the %d chunks of this backfill was committed by an earlier run; it is now complete (the same command afterwards pulls the range again)", n), nil
	case committed > 0:
		log.Info(fmt.Sprintf("resuming backfill: %d of %d chunks left (%d committed by an earlier run; --restart pulls them all again)", n-committed, n, committed), "plan", b.ID)
	}
	if err := store.SavePlan(ctx, state.Plan{ID: b.ID, Command: b.Command, Destination: b.Destination, Tasks: n, Started: time.Now().UTC()}); err != nil {
		return nil, "", fmt.Errorf("record the backfill plan: %w", err)
	}
	return done, "", nil
}

func findPlan(ctx context.Context, store state.Store, id string) (*state.Plan, error) {
	plans, err := store.Plans(ctx)
	if err != nil {
		return nil, fmt.Errorf("read backfill plans: %w", err)
	}
	for i := range plans {
		if plans[i].ID == id {
			return &plans[i], nil
		}
	}
	return nil, nil
}

// Retire marks a plan whose every chunk committed as complete and forgets
// its progress: the same command afterwards is a new pull. Failures are
// logged: the rows are in, and a rerun finds nothing left.
func (b *Backfill) Retire() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := b.Log
	p := state.Plan{ID: b.ID, Command: b.Command, Destination: b.Destination, Tasks: len(b.Tasks), Completed: time.Now().UTC()}
	rec, err := findPlan(ctx, b.Store, b.ID)
	if err != nil {
		log.Warn("backfill complete; its start time could not be read back", "err", err)
	} else if rec != nil {
		p.Started = rec.Started
	}
	if err := b.Store.SavePlan(ctx, p); err != nil {
		log.Warn("backfill complete, but it could not be marked so: the same command will resume it and find nothing left", "err", err)
		return
	}
	if err := b.Store.ClearProgress(ctx, b.ID); err != nil {
		log.Warn("backfill complete, but its progress could not be dropped", "err", err)
		return
	}
	log.Info("backfill complete: the same command afterwards pulls the whole range again", "plan", b.ID)
}
