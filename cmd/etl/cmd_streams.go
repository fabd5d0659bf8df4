package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/load/clickhouse"
)

func streamsCommand() *cli.Command {
	return &cli.Command{
		Name:  "streams",
		Usage: "list sources, streams, tables and columns",
		Flags: append(selectFlags(), &cli.BoolFlag{Name: "columns", Value: true, Usage: "show each table's columns"}),
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
			for _, st := range sel.Streams {
				mode := "snapshot"
				if st.Windowed {
					mode = "windowed by " + st.WindowField
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", st.ID(), mode, st.Doc)
				for _, t := range st.Tables {
					fmt.Fprintf(tw, "  table %s\t%s\tkey (%s)\n", t.Name, t.Disposition, strings.Join(t.Key, ", "))
					if c.Bool("columns") {
						for _, col := range t.Columns {
							fmt.Fprintf(tw, "    %s\t%s\t%s\n", col.Name, clickhouse.ColumnType(col), col.Doc)
						}
					}
				}
			}
			return tw.Flush()
		},
	}
}
