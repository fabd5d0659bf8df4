package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/engine"
)

func streamsCommand() *cli.Command {
	return &cli.Command{
		Name:  "streams",
		Usage: "list the streams and their tables, one line each (--columns: descriptions, keys and columns)",
		Flags: append(selectFlags(), &cli.BoolFlag{Name: "columns", Usage: "show each stream's description and each table's disposition, key and columns (hundreds of lines: narrow with --source or --stream)"}),
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			sel, err := a.selectStreams(c.StringSlice("source"), c.StringSlice("stream"), false)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			if !c.Bool("columns") {
				return a.printStreamSummary(tw, sel.Streams)
			}
			// Column types as the sink with a schema declares them.
			_, ddl, err := a.schemaSink()
			if err != nil {
				return err
			}
			for _, st := range sel.Streams {
				mode := streamMode(st)
				fmt.Fprintf(tw, "%s\t%s\t%s\n", st.ID(), mode, st.Doc)
				for _, t := range st.Tables {
					fmt.Fprintf(tw, "  table %s\t%s\tkey (%s)\n", t.Name, t.Disposition, strings.Join(t.Key, ", "))
					for _, col := range t.Columns {
						fmt.Fprintf(tw, "    %s\t%s\t%s\n", col.Name, ddl.ColumnType(col), col.Doc)
					}
				}
			}
			return tw.Flush()
		},
	}
}

// printStreamSummary is one line per stream: what `etl streams` shows unless
// --columns asks for everything.
func (a *app) printStreamSummary(tw *tabwriter.Writer, streams []*engine.Stream) error {
	tables := 0
	fmt.Fprintln(tw, "STREAM\tMODE\tTABLES")
	for _, st := range streams {
		names := make([]string, len(st.Tables))
		for i, t := range st.Tables {
			names[i] = t.Name
		}
		tables += len(names)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", st.ID(), streamMode(st), strings.Join(names, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d streams, %d tables; --columns adds descriptions, keys and columns (narrow it with --source or --stream)\n", len(streams), tables)
	return nil
}

func streamMode(st *engine.Stream) string {
	if st.Windowed {
		return "windowed by " + st.WindowField
	}
	return "snapshot"
}
