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
	a, err := b.assess(ctx)
	if err != nil {
		return nil, "", err
	}
	store, log, n := b.Store, b.Log, len(b.Tasks)
	switch a.start {
	case startOver:
		if err := store.ClearProgress(ctx, b.ID); err != nil {
			return nil, "", fmt.Errorf("drop backfill progress: %w", err)
		}
		if a.restart {
			log.Info(fmt.Sprintf("--restart: dropped the progress of the unfinished backfill (%d of %d chunks had committed); pulling all %d again", a.committed, n, n), "plan", b.ID)
		} else {
			log.Info(fmt.Sprintf("this backfill completed on %s: pulling the whole range again (%d chunks)", a.rec.Completed.UTC().Format(time.RFC3339), n), "plan", b.ID)
		}
	case nothingLeft:
		b.Retire()
		return a.done, fmt.Sprintf("nothing to do: every one of the %d chunks of this backfill was committed by an earlier run; it is now complete (the same command afterwards pulls the range again)", n), nil
	case resume:
		if a.committed > 0 {
			log.Info(fmt.Sprintf("resuming backfill: %d of %d chunks left (%d committed by an earlier run; --restart pulls them all again)", n-a.committed, n, a.committed), "plan", b.ID)
		}
	}
	if err := store.SavePlan(ctx, state.Plan{ID: b.ID, Command: b.Command, Destination: b.Destination, Tasks: n, Started: time.Now().UTC()}); err != nil {
		return nil, "", fmt.Errorf("record the backfill plan: %w", err)
	}
	return a.done, "", nil
}

// Peek says which tasks Resume would skip, reading the store and writing
// nothing; ok is false when Resume would find nothing left to do. A run
// whose lock is still being decided starts from it (it may not write yet);
// Resume, under the lock, decides for real.
func (b *Backfill) Peek(ctx context.Context) (done map[string]bool, ok bool, err error) {
	a, err := b.assess(ctx)
	if err != nil {
		return nil, false, err
	}
	return a.done, a.start != nothingLeft, nil
}

type start int

const (
	resume      start = iota // skip the committed tasks (none on a new plan)
	startOver                // drop the progress first: all tasks run
	nothingLeft              // every task committed: retire the plan
)

type assessment struct {
	rec       *state.Plan
	done      map[string]bool // the tasks to skip
	committed int             // tasks of this plan the progress holds
	start     start
	restart   bool // startOver because of Restart (else: the plan had completed)
}

// assess reads the plan's record and progress and decides how to start;
// it writes nothing.
func (b *Backfill) assess(ctx context.Context) (assessment, error) {
	rec, err := findPlan(ctx, b.Store, b.ID)
	if err != nil {
		return assessment{}, err
	}
	done, err := b.Store.DoneTasks(ctx, b.ID)
	if err != nil {
		return assessment{}, fmt.Errorf("read backfill progress: %w", err)
	}
	a := assessment{rec: rec, done: done}
	for _, t := range b.Tasks {
		if done[t.Key()] {
			a.committed++
		}
	}
	n := len(b.Tasks)
	switch {
	case rec != nil && !rec.Unfinished():
		a.start, a.done = startOver, map[string]bool{}
	case b.Restart && len(done) > 0:
		a.start, a.done, a.restart = startOver, map[string]bool{}, true
	case a.committed == n && n > 0:
		a.start = nothingLeft
	}
	return a, nil
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
