package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
)

// ddlFiles renders the sql/ files in the DDL of a sink with a schema: the
// tables etl itself owns, then one file per source with the tables of its
// configured streams.
func ddlFiles(ddl load.SchemaDDL, streams []*engine.Stream) map[string]string {
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
	files := map[string]string{"00_etl.sql": ddl.DDL("etl's own tables", []*schemas.Table{schemas.Rejects})}
	for src, tables := range bySource {
		files[fmt.Sprintf("10_%s.sql", src)] = ddl.DDL("source "+src, tables)
	}
	return files
}

func ddlCommand() *cli.Command {
	return &cli.Command{
		Name:   "ddl",
		Usage:  "print the DDL of every configured stream in the sink with a schema (ClickHouse's), or write the sql/ files (--out sql)",
		Hidden: true,
		Flags:  []cli.Flag{&cli.StringFlag{Name: "out", Usage: "write one file per source into this directory"}},
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			_, ddl, err := a.schemaSink()
			if err != nil {
				return err
			}
			sel, err := a.selectStreams(nil, nil, false)
			if err != nil {
				return err
			}
			files := ddlFiles(ddl, sel.Streams)
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

// schemaSink is the sink whose schema etl ddl, etl streams --columns and
// etl migrate without --sink use: the configured one when it has a schema,
// else the first registered kind that has one.
func (a *app) schemaSink() (load.Kind, load.SchemaDDL, error) {
	names := append([]string{a.cfg.Sink.Type}, load.Names()...)
	for _, name := range names {
		if ddl, ok := a.cfg.Sink.Settings(name).(load.SchemaDDL); ok {
			k, err := load.Lookup(name)
			return k, ddl, err
		}
	}
	return load.Kind{}, nil, usageError("no sink with a schema is built in (%s)", strings.Join(load.Names(), ", "))
}
