package main

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/pipeline/plan"
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
			spec := pipeline.Spec{Command: "etl run", UseState: true, Strict: true}
			if err := a.applyRunFlags(c, &spec); err != nil {
				return err
			}
			sel, err := a.selectStreams(c.StringSlice("source"), c.StringSlice("stream"), true)
			if err != nil {
				return err
			}
			if len(sel.Streams) == 0 {
				return a.execute(c.Context, sel, spec)
			}
			// Watermarks are read from the store the run then writes, opened
			// once and without the sink; the dry run reads them too (no API
			// request is made).
			if spec.Store, err = a.p.OpenState(c.Context); err != nil {
				return exitFor(err)
			}
			defer a.p.CloseState(spec.Store)
			spec.Tasks, err = plan.Nightly(c.Context, spec.Store, sel.Streams, a.cfg.Run.Lookback.Duration, a.cfg.Run.SettleLag.Duration, a.cfg.Run.InitialPeriod.Duration, time.Now())
			if err != nil {
				return cli.Exit(err.Error(), exitFailed)
			}
			if c.Bool("dry-run") {
				a.printPlan(sel, spec.Tasks)
				return nil
			}
			return a.execute(c.Context, sel, spec)
		},
	}
}
