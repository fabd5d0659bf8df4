package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/job"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/window"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "the nightly job: each stream from its saved watermark (minus the lookback) to the start of today (UTC) minus the settle lag",
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "lookback", Usage: "days re-pulled behind the watermark, e.g. 2d (default: run.lookback)"},
			&cli.StringFlag{Name: "settle-lag", Usage: "stop this many days before today, e.g. 1d (default: run.settle_lag)"},
			&cli.StringFlag{Name: "initial-period", Usage: "what a first run with no state pulls, e.g. 7d (default: run.initial_period)"},
		}, selectFlags()...), append(sinkFlags(), reportFlags()...)...),
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			for flag, dst := range map[string]*time.Duration{"lookback": &a.cfg.Run.Lookback.Duration, "settle-lag": &a.cfg.Run.SettleLag.Duration, "initial-period": &a.cfg.Run.InitialPeriod.Duration} {
				if c.IsSet(flag) {
					d, err := window.ParseDayCount(c.String(flag))
					if err != nil {
						return usageError("--%s: %v", flag, err)
					}
					*dst = d
				}
			}
			if err := a.applySinkFlags(c); err != nil {
				return err
			}
			spec := runSpec{command: "etl run", useState: true}
			if err := a.applyRunFlags(c, &spec); err != nil {
				return err
			}
			sel, err := a.selectStreams(c.StringSlice("source"), c.StringSlice("stream"), true)
			if err != nil {
				return err
			}
			if len(sel.streams) == 0 {
				return a.execute(c.Context, sel, spec)
			}
			// Watermarks are read from the store the run will write; the
			// dry run opens it too (no API request is made).
			sink, err := a.openSink(c.Context)
			if err != nil {
				return err
			}
			store, err := a.openState(c.Context, sink)
			if err != nil {
				sink.Close()
				return err
			}
			spec.tasks, err = nightlyPlan(c.Context, store, sel.streams, a.cfg.Run.Lookback.Duration, a.cfg.Run.SettleLag.Duration, a.cfg.Run.InitialPeriod.Duration, time.Now())
			store.Close()
			sink.Close()
			if err != nil {
				return cli.Exit(fmt.Sprintf("read watermarks: %v", err), exitFailed)
			}
			if c.Bool("dry-run") {
				a.printPlan(sel, spec.tasks)
				return nil
			}
			return a.execute(c.Context, sel, spec)
		},
	}
}

// nightlyPlan gives each windowed stream [watermark - lookback, today -
// settle lag), in whole days, or the initial period before that end when the
// stream has no watermark; snapshot streams run once.
func nightlyPlan(ctx context.Context, store state.Store, streams []*engine.Stream, lookback, settle, initial time.Duration, now time.Time) ([]job.Task, error) {
	end := window.Floor(window.Floor(now).Add(-settle))
	var tasks []job.Task
	for _, s := range streams {
		if !s.Windowed {
			tasks = append(tasks, job.Task{Stream: s, Window: window.New(end.Add(-window.Day), end)})
			continue
		}
		e, ok, err := store.Get(ctx, s.Source, s.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.ID(), err)
		}
		start := end.Add(-initial)
		if ok && !e.Watermark.IsZero() {
			start = window.Floor(e.Watermark.Add(-lookback))
		}
		start = window.Floor(start)
		if !start.Before(end) {
			continue
		}
		tasks = append(tasks, job.Plan([]*engine.Stream{s}, window.New(start, end), 0)...)
	}
	return tasks, nil
}
