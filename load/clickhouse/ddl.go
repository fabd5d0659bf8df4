// Package clickhouse loads Arrow batches into ClickHouse over the native
// protocol and owns the DDL, so that what a dashboard reads by table name is
// exact without FINAL or GROUP BY on the analyst's side.
//
// Engines, by disposition: every table dashboards query is a plain MergeTree
// whose rows are exact, so reads need no FINAL and prune partitions.
//   - merge: one row per key, ordered by the key and partitioned by the month
//     of a column that never changes for a key. A load dedupes at load time:
//     each partition it touches is rebuilt in staging (the live rows whose key
//     the load does not replace, plus the newest row of each touched key among
//     the live and the new ones) and swapped in with REPLACE PARTITION; a
//     partition the table does not hold yet whose staged rows have one row
//     per key is swapped in from staging as it is (a first backfill).
//     Earlier releases stored <table>_raw (ReplacingMergeTree) behind a FINAL
//     view; Ensure moves such a deployment to the table (legacy.go).
//   - replace-window: a MergeTree partitioned by the month of the day column.
//     A load stages rows, rebuilds each touched month (other days copied from
//     the live table) and swaps it in with REPLACE PARTITION: atomic per month.
//   - replace-all: an unpartitioned MergeTree replaced whole the same way.
//
// The DDL avoids what ClickHouse 18.16 lacks (DateTime64, LowCardinality,
// Map, JSON, Bool, TTL, IF NOT EXISTS on columns) so it also runs unchanged
// on current releases.
package clickhouse

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/views"
)

// DatabaseToken stands for the target database in the DDL files of sql/.
const DatabaseToken = "{database}"

// ColumnType is the ClickHouse type of a column.
func ColumnType(c schemas.Column) string {
	var t string
	switch c.Type {
	case schemas.String, schemas.JSON:
		t = "String"
	case schemas.Int64:
		t = "Int64"
	case schemas.Float64:
		t = "Float64"
	case schemas.Bool:
		t = "UInt8"
	case schemas.Timestamp:
		t = "DateTime('UTC')"
	case schemas.Date:
		t = "Date"
	case schemas.StringList:
		return "Array(String)"
	}
	if c.Nullable {
		return "Nullable(" + t + ")"
	}
	return t
}

// StorageTable is the table rows are inserted into: the table dashboards
// query, whatever the disposition.
func StorageTable(t *schemas.Table) string { return t.Name }

// LegacyRawTable is where releases before dedupe at load time kept a merge
// table's rows (behind a FINAL view named t.Name); "" for other tables. The
// name stays reserved: Ensure moves what it holds into the table.
func LegacyRawTable(t *schemas.Table) string {
	if t.Disposition == schemas.Merge {
		return t.Name + "_raw"
	}
	return ""
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "\\`") + "`" }

func quoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

func identList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// ColumnDefinition renders one column line of CREATE TABLE.
func ColumnDefinition(c schemas.Column) string {
	s := "    " + columnTypeDefault(c)
	if c.Doc != "" {
		s += " COMMENT " + quoteString(c.Doc)
	}
	return s
}

// columnTypeDefault is a column's name, type and DEFAULT, if any: what
// every table of a column carries, with or without its comment.
func columnTypeDefault(c schemas.Column) string {
	s := quoteIdent(c.Name) + " " + ColumnType(c)
	if c.Default != "" {
		s += " DEFAULT " + c.Default
	}
	return s
}

// DDL returns the statements that create t in db (use DatabaseToken for the
// files in sql/). Every statement is idempotent.
func DDL(t *schemas.Table, db string) []string {
	return []string{createTable(t, db, StorageTable(t))}
}

// createTable is the CREATE TABLE IF NOT EXISTS of t under the name table.
func createTable(t *schemas.Table, db, table string) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = ColumnDefinition(c)
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s\n(\n%s\n)\n%s",
		db, quoteIdent(table), strings.Join(cols, ",\n"), plainEngine(t))
}

// columnNames lists t's columns in declaration order.
func columnNames(t *schemas.Table) []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// File renders the DDL of several tables as one sql/ file.
func File(title string, tables []*schemas.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s\n-- Generated from the table declarations by `make generate`; do not edit.\n-- %s is replaced by the target database when `etl migrate` applies it.\n", title, DatabaseToken)
	for _, t := range tables {
		fmt.Fprintf(&b, "\n-- %s (%s, key: %s)\n", t.Name, t.Disposition, strings.Join(t.Key, ", "))
		for _, s := range DDL(t, DatabaseToken) {
			b.WriteString(s)
			b.WriteString(";\n")
		}
	}
	return b.String()
}

// SplitStatements splits a sql/ file on the semicolons that end statements,
// ignoring comment lines. The generated files never put ';' inside strings
// except in comments, which COMMENT clauses escape.
func SplitStatements(file string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(file, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			s := strings.TrimSpace(cur.String())
			out = append(out, strings.TrimSuffix(s, ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// DefaultZooKeeperPath is the ZooKeeper path of a replicated table. {shard}
// is the servers' macro; etl fills {database} and {table} itself (18.16 has
// no {database} macro).
const DefaultZooKeeperPath = "/clickhouse/tables/{shard}/{database}/{table}"

// localSuffix marks the tables that hold a node's rows in cluster mode.
const localSuffix = "_local"

// LocalTable is the table that holds a node's rows of storage in cluster
// mode.
func LocalTable(storage string) string { return storage + localSuffix }

// ClusterNames is what ClusterDDL needs besides the table.
type ClusterNames struct {
	Cluster       string
	ZooKeeperPath string
}

func (c ClusterNames) path(db, table string) string {
	p := c.ZooKeeperPath
	if p == "" {
		p = DefaultZooKeeperPath
	}
	p = strings.ReplaceAll(p, "{database}", strings.Trim(db, "`"))
	return strings.ReplaceAll(p, "{table}", table)
}

// everywherePath is the path of a table replicated to every node: the
// template with {shard} taken out, since all shards share it.
func (c ClusterNames) everywherePath(db, table string) string {
	return strings.ReplaceAll(c.path(db, table), "{shard}", "all-shards")
}

func (c ClusterNames) on() string { return " ON CLUSTER " + quoteIdent(c.Cluster) }

// replicatedEngine is t's engine, ORDER BY and PARTITION BY, replicated at path
// under replica (a macro expression).
func replicatedEngine(t *schemas.Table, path, replica string) string {
	return fmt.Sprintf("ENGINE = ReplicatedMergeTree(%s, %s)%s", quoteString(path), quoteString(replica), keysClause(t))
}

// plainEngine is t's single-server engine clause: a single server's
// tables have it, and so has the table a merge load on a cluster rebuilds
// partitions in on a shard's leader: it lives on that one node only, and
// REPLACE PARTITION moves its parts into the Replicated table (checked on
// 18.16).
func plainEngine(t *schemas.Table) string {
	return "ENGINE = MergeTree" + keysClause(t)
}

// keysClause is t's PARTITION BY and ORDER BY, the same in every engine
// of t's tables.
func keysClause(t *schemas.Table) string {
	var partition string
	if t.Partition != "" {
		partition = fmt.Sprintf("\nPARTITION BY toYYYYMM(%s)", quoteIdent(t.Partition))
	}
	order := "tuple()"
	if k := t.SortKey(); len(k) > 0 {
		order = "(" + identList(k) + ")"
	}
	if t.Disposition == schemas.Merge {
		order = "(" + identList(t.Key) + ")"
	}
	return fmt.Sprintf("%s\nORDER BY %s", partition, order)
}

// ShardingKey hashes t's key, so that all versions of a row share a shard.
// A table without a key is replaced whole on every shard, so any spread
// works.
func ShardingKey(t *schemas.Table) string {
	if len(t.Key) == 0 {
		return "rand()"
	}
	args := make([]string, len(t.Key))
	for i, k := range t.Key {
		args[i] = quoteIdent(k)
		if c, _ := t.Column(k); c.Nullable {
			args[i] = "assumeNotNull(" + args[i] + ")"
		}
	}
	return "cityHash64(" + strings.Join(args, ", ") + ")"
}

func distributedEngine(cluster, db, local, key string) string {
	return fmt.Sprintf("ENGINE = Distributed(%s, %s, %s, %s)", quoteString(cluster), quoteString(strings.Trim(db, "`")), quoteString(local), key)
}

// ClusterDDL returns the statements that create t on the cluster in db.
// Every statement is idempotent. The local tables carry no column comments:
// 18.16 cannot create a Replicated table with them ("Table structure in
// ZooKeeper is too different"); the Distributed table dashboards query does.
func ClusterDDL(t *schemas.Table, db string, c ClusterNames) []string {
	plain := make([]string, len(t.Columns))
	commented := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		plain[i] = "    " + columnTypeDefault(col)
		commented[i] = ColumnDefinition(col)
	}
	storage := StorageTable(t)
	local := LocalTable(storage)
	out := []string{
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s\n(\n%s\n)\n%s",
			db, quoteIdent(local), c.on(), strings.Join(plain, ",\n"), replicatedEngine(t, c.path(db, local), "{replica}")),
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s\n(\n%s\n)\n%s",
			db, quoteIdent(storage), c.on(), strings.Join(commented, ",\n"), distributedEngine(c.Cluster, db, local, ShardingKey(t))),
	}
	return out
}

// stagingDDL creates staging (a qualified name) with the columns of target;
// engine, when set, replaces target's engine clause.
func stagingDDL(staging, target, engine string) string {
	q := fmt.Sprintf("CREATE TABLE %s AS %s", staging, target)
	if engine != "" {
		q += "\n" + engine
	}
	return q
}

// localStagingDDL creates local, a node's staging table for t in db,
// replicated within its shard. A replica killed while rows were being
// inserted keeps parts that ZooKeeper never heard of; with the default
// ratio of such parts (0.5), 18.16 then refuses to start at all over a
// staging table (seen in make test-cluster). Staging is disposable: the
// replica detaches them and starts, and a later run drops the table.
func localStagingDDL(t *schemas.Table, db, local string, c ClusterNames) string {
	return fmt.Sprintf("CREATE TABLE %s.%s AS %s.%s\n%s\nSETTINGS replicated_max_ratio_of_wrong_parts = 1", db, quoteIdent(local), db, quoteIdent(LocalTable(StorageTable(t))),
		replicatedEngine(t, c.path(db, local), "{replica}"))
}

// distributedStagingDDL creates dist, the Distributed staging table over
// the nodes' local staging tables for t in db, sharded as t is.
func distributedStagingDDL(t *schemas.Table, db, dist, local string, c ClusterNames) string {
	return fmt.Sprintf("CREATE TABLE %s.%s AS %s.%s\n%s", db, quoteIdent(dist), db, quoteIdent(local),
		distributedEngine(c.Cluster, db, local, ShardingKey(t)))
}

// dropTable drops table (a qualified name) if it exists.
func dropTable(table string) string { return "DROP TABLE IF EXISTS " + table }

// renameTable gives table from (a qualified name) the name to.
func renameTable(from, to string) string { return fmt.Sprintf("RENAME TABLE %s TO %s", from, to) }

// onCluster adds ON CLUSTER to a CREATE/DROP statement after its table name
// (the first "db.`name`" of the statement).
func onCluster(stmt, cluster string) string {
	i := strings.Index(stmt, ".`")
	if i < 0 {
		return stmt
	}
	j := strings.Index(stmt[i+2:], "`")
	if j < 0 {
		return stmt
	}
	at := i + 2 + j + 1
	return stmt[:at] + " ON CLUSTER " + quoteIdent(cluster) + stmt[at:]
}

var (
	inSubquery = regexp.MustCompile(`\b((?:NOT )?IN \(SELECT\b)`)
	joinClause = regexp.MustCompile(`\b((?:(?:ANY|ALL) )?(?:(?:LEFT|RIGHT|INNER|FULL)(?: OUTER)? )?JOIN\b)`)
)

// globalSubqueries makes a curated view's IN and JOIN subqueries GLOBAL.
// Its tables are Distributed on a cluster, and 18.16 refuses an IN or JOIN
// over a Distributed table inside a query over another one
// (distributed_product_mode = 'deny'); GLOBAL runs the subquery once over the
// whole cluster and ships its result to every shard, which is exact whatever
// the two tables are sharded by ('local' would be exact only for tables
// sharded by the same key).
func globalSubqueries(stmt string) string {
	stmt = inSubquery.ReplaceAllString(stmt, "GLOBAL $1")
	return joinClause.ReplaceAllStringFunc(stmt, func(j string) string { return "GLOBAL " + j })
}

// clusterView is a statement of ViewStatements for a cluster: it runs on
// every node, and the view reads the Distributed tables, so that each
// node's copy sees the whole cluster.
func clusterView(stmt string, c ClusterNames) string {
	return globalSubqueries(onCluster(stmt, c.Cluster))
}

var (
	createTableName = regexp.MustCompile("^(CREATE TABLE IF NOT EXISTS [^ ]+\\.`([A-Za-z0-9_]+)`)")
	replacingEngine = regexp.MustCompile(`ENGINE = ReplacingMergeTree\(([a-z_]+)\)`)
	columnComment   = regexp.MustCompile(` COMMENT '(?:[^'\\]|\\.)*'`)
)

// everywhereDDL turns the single-server DDL of one of etl's own tables in
// database db into its cluster form: ON CLUSTER, replicated to every node,
// and without column comments (which 18.16's Replicated engines reject).
func (c ClusterNames) everywhereDDL(stmt, db string) string {
	m := createTableName.FindStringSubmatch(stmt)
	if m == nil {
		return stmt
	}
	stmt = m[1] + c.on() + stmt[len(m[1]):]
	stmt = replacingEngine.ReplaceAllStringFunc(stmt, func(e string) string {
		v := replacingEngine.FindStringSubmatch(e)[1]
		return "ENGINE = " + c.everywhereEngine(db, m[2], "ReplicatedReplacingMergeTree", v)
	})
	return columnComment.ReplaceAllString(stmt, "")
}

// everywhereEngine is the engine of one of etl's own tables (in database
// db) in cluster mode: replicated to every node of every shard, so that
// whichever node a run talks to has the same state. Replica names combine
// both macros, which are unique together.
func (c ClusterNames) everywhereEngine(db, table, engine, version string) string {
	args := quoteString(c.everywherePath(quoteIdent(db), table)) + ", '{shard}-{replica}'"
	if version != "" {
		args += ", " + version
	}
	return engine + "(" + args + ")"
}

// ViewStatements are the statements that create v in db, or bring an
// existing v up to date. With CREATE OR REPLACE VIEW the swap is atomic;
// without it (18.16) the view is dropped and created, and a dashboard
// querying in between gets one "table doesn't exist" error.
func ViewStatements(v views.View, db string, orReplace bool) ([]string, error) {
	stmts, err := v.Create(views.ClickHouse, orReplace)
	if err != nil {
		return nil, err
	}
	for i, s := range stmts {
		stmts[i] = strings.ReplaceAll(s, views.DatabaseToken, db)
	}
	if orReplace {
		return stmts, nil
	}
	return append([]string{fmt.Sprintf("DROP TABLE IF EXISTS %s.%s", db, quoteIdent(v.Name))}, stmts...), nil
}

// stateDDL is the state tables' DDL: types 18.16 and current releases share
// (no Bool, DateTime64 or LowCardinality). DateTime keeps whole seconds, the
// precision the state package promises; lock times are milliseconds.
func stateDDL(db string) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + db + `.` + quoteIdent(StateTable) + ` (
    source String,
    stream String,
    watermark DateTime('UTC') COMMENT 'end (exclusive) of the last committed window; 1970-01-01 when none',
    last_run DateTime('UTC'),
    last_success DateTime('UTC'),
    last_status String,
    last_error String,
    run_id String,
    last_rows Int64 COMMENT 'rows the last committed run loaded',
    deleted UInt8 COMMENT '1 = forgotten by etl state reset',
    updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY (source, stream)`,
		`CREATE TABLE IF NOT EXISTS ` + db + `.` + quoteIdent(BackfillProgressTable) + ` (
    plan_id String,
    task_key String,
    source String,
    stream String,
    done_at DateTime('UTC'),
    deleted UInt8,
    updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY (plan_id, task_key)`,
		`CREATE TABLE IF NOT EXISTS ` + db + `.` + quoteIdent(BackfillPlansTable) + ` (
    plan_id String,
    command String,
    destination String,
    tasks UInt32,
    started DateTime('UTC'),
    completed DateTime('UTC') COMMENT '1970-01-01 while unfinished',
    updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY plan_id`,
		`CREATE TABLE IF NOT EXISTS ` + db + `.` + quoteIdent(LocksTable) + ` (
    name String,
    token String,
    host String,
    pid Int64,
    run_id String,
    command String,
    since_ms UInt64 COMMENT 'when the holder says it started',
    claimed_ms UInt64 COMMENT 'when the claim was made: claims are ordered by (claimed_ms, token)',
    heartbeat_ms UInt64,
    released UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (name, token)`,
	}
}

// after places a column added to a live table where the declaration has
// it (after the column declared before it), so that the table reads as a
// new one does; the first column is appended.
func after(t *schemas.Table, c schemas.Column) string {
	i := t.Index(c.Name)
	if i <= 0 {
		return ""
	}
	return " AFTER " + quoteIdent(t.Columns[i-1].Name)
}

// addColumn adds column c of t, with its comment, to table (a qualified
// name): a single server's table, or a node's Distributed table.
func addColumn(table string, t *schemas.Table, c schemas.Column) string {
	return fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s%s", table, strings.TrimSpace(ColumnDefinition(c)), after(t, c))
}

// addLocalColumn adds column c of t to the local tables of a cluster
// (local, a qualified name), without the comment Replicated tables refuse.
func addLocalColumn(local string, cl ClusterNames, t *schemas.Table, c schemas.Column) string {
	return fmt.Sprintf("ALTER TABLE %s%s ADD COLUMN %s%s", local, cl.on(), columnTypeDefault(c), after(t, c))
}

// commentColumn sets c's comment in table (a qualified name) to its Doc.
func commentColumn(table string, c schemas.Column) string {
	return fmt.Sprintf("ALTER TABLE %s COMMENT COLUMN %s %s", table, quoteIdent(c.Name), quoteString(c.Doc))
}

// createDatabase creates db (the database's name) if it is missing; on a
// cluster (c set) on every node.
func createDatabase(db string, c *ClusterNames) string {
	q := "CREATE DATABASE IF NOT EXISTS " + quoteIdent(db)
	if c != nil {
		q += c.on()
	}
	return q
}

// migrationsTableDDL creates MigrationsTable in db (the database's name);
// on a cluster (c set) replicated to every node.
func migrationsTableDDL(db string, c *ClusterNames) string {
	table := quoteIdent(db) + "." + quoteIdent(MigrationsTable)
	if c == nil {
		return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (name String, version String, applied_at DateTime('UTC')) ENGINE = MergeTree ORDER BY (name, version)`, table)
	}
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s%s (name String, version String, applied_at DateTime('UTC')) ENGINE = %s ORDER BY (name, version)`,
		table, c.on(), c.everywhereEngine(db, MigrationsTable, "ReplicatedMergeTree", ""))
}
