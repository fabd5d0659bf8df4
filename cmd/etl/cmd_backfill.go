package main

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/pipeline/plan"
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
			w, clipped, err := plan.ClipToSettled(w, a.cfg.Run.SettleLag.Duration, time.Now())
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
			spec := pipeline.Spec{Command: "etl backfill --from " + c.String("from") + " --to " + c.String("to"), UseState: true, Restart: c.Bool("restart"), Strict: true}
			if spec.Destination, err = a.p.Destination(); err != nil {
				return exitFor(err)
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
			spec.Tasks = plan.Chunks(sel.Streams, w, chunk)
			spec.PlanID = plan.ID(spec.Tasks, spec.Destination)
			if c.Bool("dry-run") {
				a.printPlan(sel, spec.Tasks)
				return nil
			}
			return a.execute(c.Context, sel, spec)
		},
	}
}
