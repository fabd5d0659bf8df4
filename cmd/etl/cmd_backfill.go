package main

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/job"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/progress"
	"github.com/adoptionlabs/etl/window"
)

func backfillCommand() *cli.Command {
	return &cli.Command{
		Name:  "backfill",
		Usage: "load a date range: --from and --to are whole UTC days, --to included",
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "from", Required: true, Usage: "first day, YYYY-MM-DD (UTC)"},
			&cli.StringFlag{Name: "to", Required: true, Usage: "last day, YYYY-MM-DD (UTC), included"},
			&cli.StringFlag{Name: "chunk", Usage: "split the range into chunks of 1d, 7d, 30d... (default: each stream's own)"},
			&cli.BoolFlag{Name: "restart", Usage: "drop the progress of an unfinished run of this backfill and pull every chunk again"},
		}, selectFlags()...), append(sinkFlags(), reportFlags()...)...),
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			w, err := window.ParseDays(c.String("from"), c.String("to"))
			if err != nil {
				return usageError("%v", err)
			}
			w, clipped, err := clipToSettled(w, a.cfg.Run.SettleLag.Duration, time.Now())
			if err != nil {
				return err
			}
			var chunk time.Duration
			if c.IsSet("chunk") {
				if chunk, err = window.ParseChunk(c.String("chunk")); err != nil {
					return usageError("--chunk: %v", err)
				}
			}
			if err := a.applySinkFlags(c); err != nil {
				return err
			}
			spec := runSpec{command: "etl backfill --from " + c.String("from") + " --to " + c.String("to"), useState: true, restart: c.Bool("restart")}
			if spec.destination, err = a.destination(); err != nil {
				return err
			}
			if err := a.applyRunFlags(c, &spec); err != nil {
				return err
			}
			sel, err := a.selectStreams(c.StringSlice("source"), c.StringSlice("stream"), true)
			if err != nil {
				return err
			}
			if clipped != "" {
				a.log.Warn(clipped)
			}
			spec.tasks = job.Plan(sel.streams, w, chunk)
			spec.planID = planID(spec.tasks, spec.destination)
			if c.Bool("dry-run") {
				a.printPlan(sel, spec.tasks)
				return nil
			}
			return a.execute(c.Context, sel, spec)
		},
	}
}

// clipToSettled ends a backfill at the last day a nightly run would pull
// (today minus run.settle_lag, today included when the lag is 0): days after
// it do not exist yet, and loading them would move the watermark over days
// never pulled. A range entirely after it is refused.
func clipToSettled(w window.Window, settle time.Duration, now time.Time) (window.Window, string, error) {
	last := window.Floor(window.Floor(now).Add(-settle))
	end := last.Add(window.Day)
	if !w.Start.Before(end) {
		return w, "", usageError("--from %s is after the last day that can be pulled, %s (today minus run.settle_lag %dd): nothing to load",
			w.Start.Format(time.DateOnly), last.Format(time.DateOnly), int(settle/window.Day))
	}
	if !w.End.After(end) {
		return w, "", nil
	}
	clipped := window.New(w.Start, end)
	return clipped, fmt.Sprintf("--to %s is after the last day that can be pulled: loading %s instead (the range ends today minus run.settle_lag)",
		w.End.Add(-window.Day).Format(time.DateOnly), clipped), nil
}

// runTasks runs tasks through the engine with the progress display.
func (a *app) runTasks(ctx context.Context, sink load.Sink, tasks []job.Task, skip func(job.Task) bool, committed func(job.Task, engine.Result) error) []job.Outcome {
	runID := newRunID()
	disp := progress.New(a.stderr, isTerminal(a.rawStderr), a.log, 15*time.Second)
	runner := engine.NewRunner(engine.Options{
		Sink: sink, Allocator: memory.NewGoAllocator(), BatchRows: a.cfg.Run.BatchRows, RunID: runID,
		Logger: a.log, OnStart: disp.Started, OnDone: disp.Finished,
	})
	j := &job.Job{Runner: runner, Parallel: a.cfg.Run.Parallel, Skip: skip, Committed: committed,
		Started: func(todo []job.Task) {
			counts := map[string]int{}
			for _, t := range todo {
				counts[t.Stream.Source]++
			}
			disp.Plan(counts)
			a.log.Info("run started", "run_id", runID, "tasks", len(todo), "sink", sink.Name(), "parallel", a.cfg.Run.Parallel)
		}}
	disp.Run(ctx)
	out := j.Run(ctx, tasks)
	disp.Stop()
	return out
}

func (a *app) exitFor(out []job.Outcome) error {
	failed := 0
	for _, o := range out {
		if o.Result.Status == engine.StatusFailed {
			failed++
		}
	}
	if failed > 0 {
		return cli.Exit(fmt.Sprintf("%d of %d stream windows failed (see the summary above; rerun the same command to retry them)", failed, len(out)), exitFailed)
	}
	return nil
}

func newRunID() string {
	return time.Now().UTC().Format("20060102T150405Z") + fmt.Sprintf("-%04x", time.Now().UnixNano()&0xffff)
}
