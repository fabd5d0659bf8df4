package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/views"
)

// configuredTables are the tables of every configured stream, each once.
func (a *app) configuredTables() ([]*schemas.Table, error) {
	sel, err := a.selectStreams(nil, nil, false)
	if err != nil {
		return nil, err
	}
	var out []*schemas.Table
	seen := map[string]bool{}
	for _, st := range sel.Streams {
		for _, t := range st.Tables {
			if !seen[t.Name] {
				seen[t.Name] = true
				out = append(out, t)
			}
		}
	}
	return out, nil
}

func viewsCommand() *cli.Command {
	return &cli.Command{
		Name:  "views",
		Usage: "print the curated dashboard views: for DuckDB over the Parquet layout, or for ClickHouse (etl migrate applies those)",
		Description: `--dialect duckdb prints, for the Parquet directory --data, one view per table (named like the
ClickHouse table; merge tables keep the newest row per key) and then the curated views:
    etl views --dialect duckdb --data ./data > views.sql && duckdb analytics.duckdb < views.sql
--dialect clickhouse prints the curated views for --database (default: the database of CLICKHOUSE_DSN).
--out DIR writes the generated files instead (sql/views/*.sql, sql/duckdb/*.sql; make generate).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dialect", Value: "duckdb", Usage: "duckdb or clickhouse"},
			&cli.StringFlag{Name: "data", Usage: "Parquet root the DuckDB views read (default: sink.parquet.dir)"},
			&cli.StringFlag{Name: "database", Usage: "ClickHouse database the views are created in (default: CLICKHOUSE_DSN's)"},
			&cli.StringFlag{Name: "out", Usage: "write the generated sql/views and sql/duckdb files under this directory", Hidden: true},
		},
		Action: func(c *cli.Context) error {
			a, err := setup(c, nil)
			if err != nil {
				return err
			}
			d, err := views.ParseDialect(c.String("dialect"))
			if err != nil {
				return usageError("--dialect: %v", err)
			}
			tables, err := a.configuredTables()
			if err != nil {
				return err
			}
			if dir := c.String("out"); dir != "" {
				return writeViewFiles(dir, tables)
			}
			// Each dialect reads, by default, what the sink whose loads it
			// reads is set to (sink.parquet.dir, CLICKHOUSE_DSN's database).
			places := map[views.Dialect]string{}
			var files load.ViewFiles
			for _, name := range load.Names() {
				if v, ok := a.cfg.Sink.Settings(name).(load.Viewable); ok {
					places[v.ViewDialect()] = v.ViewPlace()
					if f, ok := v.(load.ViewFiles); ok && v.ViewDialect() == views.DuckDB {
						files = f
					}
				}
			}
			data := c.String("data")
			if data == "" {
				data = places[views.DuckDB]
			}
			db := c.String("database")
			if db == "" {
				db = places[views.ClickHouse]
			}
			if d == views.ClickHouse && db == "" {
				return usageError("--dialect clickhouse needs --database NAME or CLICKHOUSE_DSN with a database")
			}
			var hasFiles func(table string) bool
			if d == views.DuckDB && files != nil {
				// Asked before the script is written: a place that cannot
				// be read (a bucket denied) fails the command.
				has := map[string]bool{}
				for _, t := range tables {
					ok, err := files.HasFiles(c.Context, data, t.Name)
					if err != nil {
						return exitFor(err)
					}
					has[t.Name] = ok
				}
				hasFiles = func(table string) bool { return has[table] }
			}
			stmts, err := views.Script(d, tables, data, "`"+db+"`", hasFiles)
			if err != nil {
				return cli.Exit(err.Error(), exitFailed)
			}
			for _, s := range stmts {
				fmt.Fprintf(a.stdout, "%s;\n\n", s)
			}
			return nil
		},
	}
}

// writeViewFiles writes the generated view files and removes stale ones, so
// that a renamed view does not linger in sql/.
func writeViewFiles(dir string, tables []*schemas.Table) error {
	files, err := views.Files(tables)
	if err != nil {
		return cli.Exit(err.Error(), exitFailed)
	}
	for _, sub := range []string{"views", "duckdb"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return cli.Exit(err.Error(), exitFailed)
		}
		old, _ := filepath.Glob(filepath.Join(dir, sub, "*.sql"))
		for _, f := range old {
			rel, _ := filepath.Rel(dir, f)
			if _, keep := files[filepath.ToSlash(rel)]; !keep {
				if err := os.Remove(f); err != nil {
					return cli.Exit(err.Error(), exitFailed)
				}
			}
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(n)), []byte(files[n]), 0o644); err != nil {
			return cli.Exit(err.Error(), exitFailed)
		}
	}
	return nil
}
