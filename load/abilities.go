package load

import (
	"context"
	"io"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/views"
)

// A sink's optional abilities. Each is a small interface that a kind's
// Config implements when the kind can do it; config, pipeline and the CLI
// find them by type assertion, so a new sink is its own folder and a line
// in load/all, and a new ability of one sink touches the command that uses
// it and that sink.

// Defaulter is a Config whose defaults depend on its decoded block or the
// environment (CLICKHOUSE_CLUSTER when sink.clickhouse.cluster is unset).
// ApplyDefaults runs once the block is decoded, before anything reads it.
type Defaulter interface {
	ApplyDefaults(lookup func(string) (string, bool))
}

// SecretLister is a Config holding credentials (a DSN's password): logs,
// errors and reports redact them.
type SecretLister interface {
	Secrets() []string
}

// OutSetter is a Config whose destination `--out` names (Parquet's
// directory).
type OutSetter interface {
	// SetOut sets the destination as its block's own setting would.
	SetOut(out string)
	// OutUsage says what --out is for this kind, for the flag's help.
	OutUsage() string
}

// StateKeeper is a Config that says where the destination keeps etl's
// state (watermarks, backfill plans, the run lock), so that progress
// belongs to the destination it describes. A kind without it keeps file
// state under state.dir, or in the legacy directory.
type StateKeeper interface {
	StateHome() (StateHome, error)
}

// StateHome is where a destination keeps its state: a store of its own
// (Open), or files beside the data (Dir).
type StateHome struct {
	// Open, when set, opens the store the destination keeps itself (its
	// tables, an object store's prefix), without opening the sink: its
	// own connection, none of the sink's locks. state.location auto uses
	// it.
	Open func(ctx context.Context, env Env) (state.Store, error)
	// Where says where Open keeps the state, for `etl state show`.
	Where string
	// Dir, when Open is nil, is the directory of file state beside the
	// data (state.dir overrides it).
	Dir string
	// Only says the state may live in Open's store alone: state.location
	// file is refused (an object store's commits are resolved under the
	// run lock kept beside them, which a lock on one machine's disk would
	// not keep for runs on other hosts).
	Only bool
}

// Migrator is a Config whose destination `etl migrate` brings up to date:
// ClickHouse's database, tables and views; a layout an older release wrote.
// Running it twice changes nothing the second time.
type Migrator interface {
	Migrate(ctx context.Context, env MigrateEnv) error
}

// MigrateEnv is what `etl migrate` hands a Migrator.
type MigrateEnv struct {
	Env
	// Out takes one line per step, for the person running the command.
	Out io.Writer
	// Tables are the configured streams' tables, each once: the migration
	// brings them up to date along with what it knows itself.
	Tables []*schemas.Table
}

// SchemaDDL is a Config whose destination has a schema written in DDL
// (ClickHouse): `etl ddl` prints it and writes sql/, `etl streams
// --columns` shows its column types, and `etl migrate` without --sink
// creates it, as users create a schema once and then load with --sink.
type SchemaDDL interface {
	// DDL renders the statements that create tables, under a title.
	DDL(title string, tables []*schemas.Table) string
	// ColumnType is a column's type in that DDL.
	ColumnType(c schemas.Column) string
}

// RowCounter is a Config that reads back how many rows a table has, as a
// dashboard would count them, without opening the sink.
type RowCounter interface {
	CountRows(ctx context.Context, env Env, table string) (int64, error)
}

// ReservedNames is a Config whose destination keeps names of its own
// beside the streams' tables, or stores a table under more names than its
// own: no stream may take one.
type ReservedNames interface {
	// ReservedTables names the sink's own tables or directories, each
	// with what it is ("etl's run lock table").
	ReservedTables() map[string]string
	// ReservedPrefixes names prefixes of names the sink makes and drops,
	// each with what for ("etl's staging tables, which the next run
	// drops").
	ReservedPrefixes() map[string]string
	// StoredAs names what else a table takes in the destination, with
	// its settings (a cluster's local table).
	StoredAs(t *schemas.Table) []StoredName
}

// StoredName is a name a table takes besides its own, and what it is
// ("the storage table of merge table userflow_content_sessions").
type StoredName struct{ Name, What string }

// Hint is a step `etl demo` suggests: a line saying what, then the
// commands to paste.
type Hint struct {
	Say      string
	Commands []string
}

// QueryHinter is a Config that can tell a newcomer how to query a table it
// loaded (the demo's "What next").
type QueryHinter interface {
	QueryHint(table string) Hint
}

// SwitchHinter is a Config that can tell a newcomer how to load the demo's
// days into this kind instead of the sink the demo used (from, that kind's
// Title): bin runs etl, loadArgs are the backfill's range arguments.
type SwitchHinter interface {
	SwitchHint(bin, loadArgs, from string) Hint
}

// LocalServer is a Config whose destination is a server that may run on
// this machine, sharing its cores with etl.
type LocalServer interface {
	OnThisMachine() bool
}

// Viewable is a Config whose loads the curated views (package views) read:
// in ViewDialect, at ViewPlace (the Parquet root DuckDB reads, the
// ClickHouse database; "" when the settings name none).
type Viewable interface {
	ViewDialect() views.Dialect
	ViewPlace() string
}

// ViewFiles is a Viewable whose views read files: it says whether a table
// under place (its ViewPlace, or one the command names) has any, so that
// the view of a table without files reads nothing instead of failing.
type ViewFiles interface {
	HasFiles(ctx context.Context, place, table string) (bool, error)
}

// Prober is a Config that `etl check` can test before any load: the
// destination answers, and allows what a load does. An error means the
// probe could not be tried at all.
type Prober interface {
	Probe(ctx context.Context, env Env) ([]Probe, error)
}

// Probe is one thing `etl check` tried on the sink.
type Probe struct {
	// What was tried, naming the place ("put under s3://lake/etl/").
	What string
	// Err is nil when it held; else what failed and what to change.
	Err error
}

// BadSettings is an error the sink's settings cause, however late it
// shows (a DSN naming a server's HTTP port, found by the first
// connection): the CLI exits 2 on it, as on any bad configuration.
type BadSettings interface {
	error
	BadSettings()
}
