package clickhouse

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/views"
)

// What the ClickHouse sink does for etl's commands besides loading: the
// abilities of package load, on Config.

var (
	_ load.StateKeeper   = (*Config)(nil)
	_ load.Migrator      = (*Config)(nil)
	_ load.SchemaDDL     = (*Config)(nil)
	_ load.RowCounter    = (*Config)(nil)
	_ load.ReservedNames = (*Config)(nil)
	_ load.QueryHinter   = (*Config)(nil)
	_ load.SwitchHinter  = (*Config)(nil)
	_ load.LocalServer   = (*Config)(nil)
	_ load.Viewable      = (*Config)(nil)
)

// StateHome is the database itself, on a connection of its own.
func (c *Config) StateHome() (load.StateHome, error) {
	return load.StateHome{
		Open: func(ctx context.Context, env load.Env) (state.Store, error) {
			st, err := OpenState(ctx, c.DSN, c.options(env))
			if err != nil {
				return nil, err
			}
			return st, nil
		},
		Where: "its tables " + StateTable + ", " + BackfillPlansTable + ", " + BackfillProgressTable + " and " + LocksTable,
	}, nil
}

// Migrate applies the embedded sql/ files, creates the configured tables
// that sql/ does not know (a report added in pipelines.yaml) from their
// declarations, brings column comments up to date on tables an older
// version created, then creates or updates the curated views.
func (c *Config) Migrate(ctx context.Context, env load.MigrateEnv) error {
	sink, err := Open(ctx, c.DSN, c.options(env.Env))
	if err != nil {
		return err
	}
	defer sink.Close()
	db := sink.Database()
	done, err := sink.Migrate(ctx, sql.Files)
	printSteps(env.Out, 28, done, "applied", "already applied")
	if err != nil {
		return fmt.Errorf("migrate %s: %w", db, err)
	}
	for _, t := range env.Tables {
		if err := sink.Ensure(ctx, t); err != nil {
			return fmt.Errorf("migrate %s: table %s: %w", db, t.Name, err)
		}
	}
	n, err := sink.SyncComments(ctx, env.Tables)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", db, err)
	}
	if n > 0 {
		fmt.Fprintf(env.Out, "column comments updated: %d\n", n)
	}
	done, err = sink.ApplyViews(ctx, views.All)
	printSteps(env.Out, 36, done, "created", "unchanged")
	if err != nil {
		return fmt.Errorf("migrate %s: %w", db, err)
	}
	fmt.Fprintf(env.Out, "database %s is up to date\n", db)
	return nil
}

// printSteps writes a line per migration step: its name (padded to
// width), its version, and whether this run applied it.
func printSteps(out io.Writer, width int, done []Migration, applied, skipped string) {
	for _, m := range done {
		state := skipped
		if m.Applied {
			state = applied
		}
		fmt.Fprintf(out, "%-*s %s  %s\n", width, m.Name, m.Version, state)
	}
}

// DDL is the tables' CREATE statements, as in sql/.
func (c *Config) DDL(title string, tables []*schemas.Table) string { return File(title, tables) }

// ColumnType is the column's ClickHouse type.
func (c *Config) ColumnType(col schemas.Column) string { return ColumnType(col) }

// CountRows opens the sink for the count: the table a dashboard reads.
func (c *Config) CountRows(ctx context.Context, env load.Env, table string) (int64, error) {
	s, err := Open(ctx, c.DSN, c.options(env))
	if err != nil {
		return 0, err
	}
	defer s.Close()
	return s.CountRows(ctx, table)
}

// ReservedTables are the state's, the lock's and the migrations' tables.
func (c *Config) ReservedTables() map[string]string {
	out := map[string]string{
		StateTable:            "etl's state table (watermarks)",
		BackfillPlansTable:    "etl's backfill plans table",
		BackfillProgressTable: "etl's backfill progress table",
		LocksTable:            "etl's run lock table",
		MigrationsTable:       "etl's schema migrations table",
	}
	if raw := StorageTable(schemas.Rejects); raw != schemas.Rejects.Name {
		out[raw] = "the storage table of etl's rejects table"
	}
	return out
}

// ReservedPrefixes is the staging prefix: the next run drops what it finds
// under it.
func (c *Config) ReservedPrefixes() map[string]string {
	return map[string]string{schemas.StagingPrefix: "etl's staging tables, which the next run drops"}
}

// StoredAs is the <t>_raw table of a merge table an older release made,
// and on a cluster the <t>_local table holding the rows.
func (c *Config) StoredAs(t *schemas.Table) []load.StoredName {
	var out []load.StoredName
	if raw := LegacyRawTable(t); raw != "" {
		out = append(out, load.StoredName{Name: raw, What: "the storage table of merge table " + t.Name})
	}
	if c.Cluster != "" {
		out = append(out, load.StoredName{Name: LocalTable(t.Name), What: "the cluster's local table of " + t.Name})
	}
	return out
}

// QueryHint counts the table by the name dashboards use.
func (c *Config) QueryHint(table string) load.Hint {
	return load.Hint{Say: "Query it in ClickHouse by the name dashboards use:", Commands: []string{"SELECT count() FROM " + table}}
}

// SwitchHint is the DSN to set, then migrate and the same backfill.
func (c *Config) SwitchHint(bin, loadArgs, from string) load.Hint {
	return load.Hint{Say: "ClickHouse instead of " + from + ":", Commands: []string{
		"export CLICKHOUSE_DSN=clickhouse://user:password@host:9000/analytics",
		bin + " migrate",
		bin + " backfill " + loadArgs + " --sink " + Kind,
	}}
}

// OnThisMachine says whether the DSN's servers are all this machine.
func (c *Config) OnThisMachine() bool { return OnThisMachine(c.DSN) }

// ViewDialect is ClickHouse's.
func (c *Config) ViewDialect() views.Dialect { return views.ClickHouse }

// ViewPlace is the DSN's database, "" when it names none.
func (c *Config) ViewPlace() string {
	u, err := url.Parse(c.DSN)
	if err != nil {
		return ""
	}
	if db := u.Query().Get("database"); db != "" {
		return db
	}
	return strings.Trim(u.Path, "/")
}
