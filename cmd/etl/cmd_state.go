package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
)

func stateCommand() *cli.Command {
	return &cli.Command{
		Name:  "state",
		Usage: "show or reset the saved watermarks",
		Subcommands: []*cli.Command{
			{
				Name:  "show",
				Usage: "a table: source, stream, watermark, last run, last status",
				Flags: sinkFlags(),
				Action: func(c *cli.Context) error {
					a, err := setup(c, nil)
					if err != nil {
						return err
					}
					if err := a.applySinkFlags(c); err != nil {
						return err
					}
					sink, err := a.openSink(c.Context)
					if err != nil {
						return err
					}
					defer sink.Close()
					store, err := a.openState(c.Context, sink)
					if err != nil {
						return err
					}
					defer store.Close()
					entries, err := store.List(c.Context)
					if err != nil {
						return cli.Exit(fmt.Sprintf("read state: %v", err), exitFailed)
					}
					tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "SOURCE\tSTREAM\tWATERMARK\tLAST RUN\tLAST STATUS\tLAST ERROR")
					ts := func(t time.Time) string {
						if t.IsZero() {
							return "-"
						}
						return t.UTC().Format(time.RFC3339)
					}
					for _, e := range entries {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Source, e.Stream, ts(e.Watermark), ts(e.LastRun), e.LastStatus, e.LastError)
					}
					return tw.Flush()
				},
			},
			{
				Name:  "reset",
				Usage: "forget a source's (or one stream's) watermark and backfill progress: the next run starts over",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "source", Required: true},
					&cli.StringFlag{Name: "stream"},
				}, sinkFlags()...),
				Action: func(c *cli.Context) error {
					a, err := setup(c, nil)
					if err != nil {
						return err
					}
					if a.cfg.Source(c.String("source")) == nil {
						return usageError("--source %s: not configured in %s", c.String("source"), a.cfg.Path)
					}
					if err := a.applySinkFlags(c); err != nil {
						return err
					}
					sink, err := a.openSink(c.Context)
					if err != nil {
						return err
					}
					defer sink.Close()
					store, err := a.openState(c.Context, sink)
					if err != nil {
						return err
					}
					defer store.Close()
					n, err := store.Reset(c.Context, c.String("source"), c.String("stream"))
					if err != nil {
						return cli.Exit(fmt.Sprintf("reset state: %v", err), exitFailed)
					}
					fmt.Fprintf(a.stdout, "reset %d stream(s) of %s\n", n, c.String("source"))
					return nil
				},
			},
		},
	}
}
