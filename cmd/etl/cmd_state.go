package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/state"
)

func stateCommand() *cli.Command {
	return &cli.Command{
		Name:  "state",
		Usage: "show or reset the saved watermarks",
		Subcommands: []*cli.Command{
			{
				Name:  "show",
				Usage: "the destination's state (--sink, --out): source, stream, watermark, last run, last status; then the unfinished backfills",
				Flags: sinkFlags(),
				Action: func(c *cli.Context) error {
					a, err := setup(c, nil)
					if err != nil {
						return err
					}
					if err := a.applySinkFlags(c); err != nil {
						return err
					}
					// Progress belongs to a destination: say whose this is
					// before anything else, so state read from the wrong
					// one cannot pass for the right one.
					place, err := a.p.StatePlace()
					if err != nil {
						return exitFor(err)
					}
					fmt.Fprintf(a.stdout, "state of %s, kept in %s\n\n", place.Destination, place.Where)
					store, err := a.p.OpenState(c.Context)
					if err != nil {
						return exitFor(err)
					}
					defer a.p.CloseState(store)
					entries, err := store.List(c.Context)
					if err != nil {
						return cli.Exit(fmt.Sprintf("read state: %v", err), exitFailed)
					}
					plans, err := store.Plans(c.Context)
					if err != nil {
						return cli.Exit(fmt.Sprintf("read backfill plans: %v", err), exitFailed)
					}
					tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "SOURCE\tSTREAM\tWATERMARK\tLAST RUN\tLAST STATUS\tLAST ROWS\tLAST ERROR")
					for _, e := range entries {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", e.Source, e.Stream, stamp(e.Watermark), stamp(e.LastRun), e.LastStatus, e.LastRows, e.LastError)
					}
					if err := tw.Flush(); err != nil {
						return err
					}
					var open []state.Plan
					for _, p := range plans {
						if p.Unfinished() {
							open = append(open, p)
						}
					}
					if len(open) == 0 {
						fmt.Fprintln(a.stdout, "\nno unfinished backfill")
						return nil
					}
					fmt.Fprintln(a.stdout, "\nUNFINISHED BACKFILLS (the same command resumes; add --restart to pull every chunk again)")
					tw = tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "PLAN\tCOMMAND\tDESTINATION\tCHUNKS DONE\tSTARTED")
					for _, p := range open {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%d of %d\t%s\n", p.ID, p.Command, p.Destination, p.Done, p.Tasks, stamp(p.Started))
					}
					return tw.Flush()
				},
			},
			{
				Name:  "reset",
				Usage: "forget a source's (or one stream's) watermark and backfill progress in the destination's state (--sink, --out): the next run starts over",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "source", Required: true},
					&cli.StringFlag{Name: "stream", Usage: "NAME or SOURCE.NAME, as `etl run --stream` takes it"},
				}, sinkFlags()...),
				Action: func(c *cli.Context) error {
					a, err := setup(c, nil)
					if err != nil {
						return err
					}
					source := c.String("source")
					if a.cfg.Source(source) == nil {
						return usageError("--source %s: not configured in %s", source, a.cfg.Path)
					}
					stream := ""
					if c.IsSet("stream") {
						// Resolved as run resolves it: a typo must not reset
						// nothing and exit 0.
						sel, err := a.selectStreams([]string{source}, []string{c.String("stream")}, false)
						if err != nil {
							return err
						}
						if len(sel.Streams) != 1 {
							return usageError("--stream %s: no such stream in source %s (see `etl streams`)", c.String("stream"), source)
						}
						stream = sel.Streams[0].Name
					}
					if err := a.applySinkFlags(c); err != nil {
						return err
					}
					n, err := a.p.Reset(c.Context, source, stream)
					if err != nil {
						return exitFor(err)
					}
					what := source
					if stream != "" {
						what = source + "." + stream
					}
					dest, err := a.p.Destination()
					if err != nil {
						return exitFor(err)
					}
					fmt.Fprintf(a.stdout, "reset %d stream(s) of %s (and its backfill progress) in the state of %s\n", n, what, dest)
					return nil
				},
			},
		},
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
