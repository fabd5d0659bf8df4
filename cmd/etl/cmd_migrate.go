package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/load/clickhouse"
	"github.com/adoptionlabs/etl/sql"
)

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "create the ClickHouse database and tables (DDL in sql/, embedded); running it twice changes nothing",
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			a.cfg.Sink.Type = "clickhouse"
			if err := a.cfg.CheckSink(); err != nil {
				return cli.Exit(err.Error(), exitUsage)
			}
			sink, err := clickhouse.Open(c.Context, a.cfg.Sink.ClickHouse.DSN, a.clickhouseOptions())
			if err != nil {
				return exitFor(err) // a DSN that does not parse is bad config
			}
			defer sink.Close()
			done, err := sink.Migrate(c.Context, sql.Files)
			for _, m := range done {
				state := "already applied"
				if m.Applied {
					state = "applied"
				}
				fmt.Fprintf(a.stdout, "%-28s %s  %s\n", m.Name, m.Version, state)
			}
			if err != nil {
				return cli.Exit(fmt.Sprintf("migrate %s: %v", sink.Database(), err), exitFailed)
			}
			// Tables of configured streams that sql/ does not know (a report
			// added in pipelines.yaml) are created from their declarations.
			sel, err := a.selectStreams(nil, nil, false)
			if err != nil {
				return err
			}
			for _, st := range sel.Streams {
				for _, t := range st.Tables {
					if err := sink.Ensure(c.Context, t); err != nil {
						return cli.Exit(fmt.Sprintf("migrate %s: %v", st.ID(), err), exitFailed)
					}
				}
			}
			if err := a.migrateViews(c.Context, sink); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "database %s is up to date\n", sink.Database())
			return nil
		},
	}
}

// clickhouseOptions are the ClickHouse sink's options from the config
// (etl migrate opens the sink itself).
func (a *app) clickhouseOptions() clickhouse.Options {
	return clickhouse.Options{Logger: a.log, Cluster: clickhouse.ClusterOptions{
		Name:          a.cfg.Sink.ClickHouse.Cluster,
		ZooKeeperPath: a.cfg.Sink.ClickHouse.ZooKeeperPath,
	}}
}
