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
			&cli.IntFlag{Name: "parallel", Usage: "chunks run at once across sources and windows (default: run.parallel)"},
		}, selectFlags()...), sinkFlags()...),
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			w, err := window.ParseDays(c.String("from"), c.String("to"))
			if err != nil {
				return usageError("%v", err)
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
			if c.IsSet("parallel") {
				if p := c.Int("parallel"); p < 1 || p > 64 {
					return usageError("--parallel %d: want 1..64", p)
				}
				a.cfg.Run.Parallel = c.Int("parallel")
			}
			sel, err := a.selectStreams(c.StringSlice("source"), c.StringSlice("stream"), true)
			if err != nil {
				return err
			}
			return a.execute(c.Context, sel, job.Plan(sel.streams, w, chunk), w)
		},
	}
}

// execute runs a plan into the configured sink with progress, prints the
// summary and turns failures into exit code 1.
func (a *app) execute(ctx context.Context, sel *selection, tasks []job.Task, w window.Window) error {
	for _, s := range sel.skipped {
		a.log.Warn(s)
	}
	if len(tasks) == 0 {
		return cli.Exit("nothing to run: no enabled source has credentials set (see the lines above, and the README for the environment variables)", exitUsage)
	}
	sink, err := a.openSink(ctx)
	if err != nil {
		return err
	}
	defer sink.Close()
	res, err := a.runTasks(ctx, sink, tasks, nil, nil)
	if err != nil {
		return err
	}
	printSummary(a.stdout, res)
	return a.exitFor(res)
}

// runTasks runs tasks through the engine with the progress display.
func (a *app) runTasks(ctx context.Context, sink load.Sink, tasks []job.Task, skip func(job.Task) bool, committed func(job.Task, engine.Result) error) ([]job.Outcome, error) {
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
	return out, nil
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
