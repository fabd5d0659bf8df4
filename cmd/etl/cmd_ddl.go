package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/load/clickhouse"
	"github.com/adoptionlabs/etl/schemas"
)

// ddlFiles renders the sql/ files: the tables etl itself owns, then one
// file per source with the tables of its configured streams.
func ddlFiles(streams []*engine.Stream) map[string]string {
	bySource := map[string][]*schemas.Table{}
	seen := map[string]bool{}
	for _, st := range streams {
		for _, t := range st.Tables {
			if !seen[t.Name] {
				seen[t.Name] = true
				bySource[st.Source] = append(bySource[st.Source], t)
			}
		}
	}
	files := map[string]string{"00_etl.sql": clickhouse.File("etl's own tables", []*schemas.Table{schemas.Rejects})}
	for src, tables := range bySource {
		files[fmt.Sprintf("10_%s.sql", src)] = clickhouse.File("source "+src, tables)
	}
	return files
}

func ddlCommand() *cli.Command {
	return &cli.Command{
		Name:   "ddl",
		Usage:  "print the ClickHouse DDL of every configured stream, or write the sql/ files (--out sql)",
		Hidden: true,
		Flags:  []cli.Flag{&cli.StringFlag{Name: "out", Usage: "write one file per source into this directory"}},
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			sel, err := a.selectStreams(nil, nil, false)
			if err != nil {
				return err
			}
			files := ddlFiles(sel.Streams)
			names := make([]string, 0, len(files))
			for n := range files {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if dir := c.String("out"); dir != "" {
					if err := os.WriteFile(filepath.Join(dir, n), []byte(files[n]), 0o644); err != nil {
						return cli.Exit(err.Error(), exitFailed)
					}
					continue
				}
				fmt.Fprintf(a.stdout, "-- file %s\n%s\n", n, files[n])
			}
			return nil
		},
	}
}
