package main

import (
	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/load"
)

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name: "migrate",
		Usage: "bring a sink's destination up to date: without --sink, create the database, tables and views of the sink with a schema " +
			"(ClickHouse's; DDL in sql/, embedded); running it twice changes nothing",
		Flags: sinkFlags(),
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			if !c.IsSet("sink") {
				k, _, err := a.schemaSink()
				if err != nil {
					return err
				}
				a.cfg.Sink.Type = k.Name
			}
			if err := a.setSinkFlags(c); err != nil {
				return err
			}
			k, sc, err := a.p.ConfiguredSink()
			if err != nil {
				return exitFor(err)
			}
			m, ok := sc.(load.Migrator)
			if !ok {
				return usageError("--sink %s: the %s sink has nothing to migrate", k.Name, k.Name)
			}
			// The configured streams' tables: those sql/ does not know (a
			// report added in pipelines.yaml) are created from their
			// declarations.
			tables, err := a.configuredTables()
			if err != nil {
				return err
			}
			return exitFor(m.Migrate(c.Context, load.MigrateEnv{Env: load.Env{Logger: a.log}, Out: a.stdout, Tables: tables}))
		},
	}
}
