package clickhouse

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/views"
	"github.com/adoptionlabs/etl/window"
)

var update = flag.Bool("update", false, "rewrite testdata/ddl and testdata/dml from the SQL builders")

// The SQL etl sends is its contract with the server: these golden files
// hold, statement for statement, what the builders of ddl.go and dml.go
// make for the test tables, so that a change to any of them shows up as a
// reviewed diff of SQL. The tests against 18.16 and chdb run the same
// builders on real servers. After a deliberate change:
//
//	go test ./load/clickhouse -run 'TestDDLGolden|TestDMLGolden' -update

const (
	goldenDB      = "`an`"
	goldenStaging = "_stg_t_sessions_0123456789ab"
)

// events is a replace-window table whose day is an instant, where report's
// is a Date; flat is a merge table without a partition column.
var (
	events = &schemas.Table{
		Name: "t_events",
		Columns: schemas.WithMeta(
			schemas.Column{Name: "id", Type: schemas.String},
			schemas.Column{Name: "at", Type: schemas.Timestamp},
		),
		Disposition: schemas.ReplaceWindow, Key: []string{"id"}, Day: "at", Partition: "at",
	}
	flat = &schemas.Table{
		Name: "t_flat",
		Columns: schemas.WithMeta(
			schemas.Column{Name: "org", Type: schemas.String, Nullable: true},
			schemas.Column{Name: "id", Type: schemas.String},
			schemas.Column{Name: "seen_at", Type: schemas.Timestamp},
		),
		Disposition: schemas.Merge, Key: []string{"org", "id"}, Version: "seen_at", Day: "seen_at",
	}
	goldenView = views.View{
		Name: "v_daily",
		Doc:  "a view that reads two tables",
		Columns: []views.Column{
			{Name: "day", Type: "Date", Doc: "the day"},
			{Name: "id", Type: "String", Doc: "the session"},
			{Name: "views", Type: "Nullable(Float64)", Doc: "from t_report"},
		},
		Body: `SELECT {{day "created_at"}} AS day, id, views
FROM {{t "t_sessions"}} AS s
{{join}} (SELECT flow AS id, views FROM {{t "t_report"}}) AS r USING (id)
WHERE id NOT IN (SELECT id FROM {{t "t_dims"}})`,
	}
)

func qualifiedIn(name string) string { return goldenDB + "." + quoteIdent(name) }

// checkGolden compares stmts with testdata/<name>.sql (each statement ends
// with ";" and a blank line), or rewrites it under -update.
func checkGolden(t *testing.T, name string, stmts ...string) {
	t.Helper()
	require.NotEmpty(t, stmts)
	got := strings.Join(stmts, ";\n\n") + ";\n"
	path := filepath.Join("testdata", name+".sql")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./load/clickhouse -run 'TestDDLGolden|TestDMLGolden' -update to create %s", path)
	assert.Equal(t, string(want), got, "%s: the SQL changed; if that is meant, rerun with -update and review the diff", path)
}

func TestDDLGolden(t *testing.T) {
	prod := ClusterNames{Cluster: "prod"}
	zk := ClusterNames{Cluster: "prod", ZooKeeperPath: "/zk/{shard}/{database}/{table}"}
	localStaging := stagingPrefix + LocalTable(StorageTable(sessions)) + "_0123456789ab"
	note, _ := sessions.Column("note")
	first := sessions.Columns[0]
	var everywhere []string
	for _, stmt := range stateDDL(goldenDB) {
		everywhere = append(everywhere, prod.everywhereDDL(stmt, "an"))
	}
	dropCreate, err := ViewStatements(goldenView, goldenDB, false)
	require.NoError(t, err)
	orReplace, err := ViewStatements(goldenView, goldenDB, true)
	require.NoError(t, err)
	var onCluster []string
	for _, stmt := range dropCreate {
		onCluster = append(onCluster, clusterView(stmt, prod))
	}
	for _, tc := range []struct {
		name  string
		stmts []string
	}{
		{"create_merge", DDL(sessions, goldenDB)},
		{"create_merge_unpartitioned", DDL(flat, goldenDB)},
		{"create_replace_window", DDL(report, goldenDB)},
		{"create_replace_all", DDL(dims, goldenDB)},
		{"create_rejects", DDL(schemas.Rejects, goldenDB)},
		{"cluster_merge", ClusterDDL(sessions, goldenDB, zk)},
		{"cluster_merge_nullable_key", ClusterDDL(flat, goldenDB, prod)},
		{"cluster_replace_window", ClusterDDL(report, goldenDB, prod)},
		{"cluster_replace_all", ClusterDDL(dims, goldenDB, prod)},
		{"staging", []string{stagingDDL(qualifiedIn(goldenStaging), qualifiedIn(sessions.Name), "")}},
		{"cluster_staging", []string{
			localStagingDDL(sessions, goldenDB, localStaging, prod),
			distributedStagingDDL(sessions, goldenDB, goldenStaging, localStaging, prod),
			stagingDDL(qualifiedIn("_stg_t_sessions_ba9876543210"), qualifiedIn(LocalTable(sessions.Name)), plainEngine(sessions)),
		}},
		{"drop_rename", []string{dropTable(qualifiedIn(goldenStaging)), renameTable(qualifiedIn("etl_migrating_t_sessions"), qualifiedIn(sessions.Name))}},
		{"columns", []string{
			addColumn(qualifiedIn(sessions.Name), sessions, first),
			addColumn(qualifiedIn(sessions.Name), sessions, note),
			addLocalColumn(qualifiedIn(LocalTable(sessions.Name)), prod, sessions, note),
			commentColumn(qualifiedIn(sessions.Name), note),
		}},
		{"database", []string{createDatabase("an", nil), createDatabase("an", &prod)}},
		{"state_tables", stateDDL(goldenDB)},
		{"state_tables_cluster", everywhere},
		{"migrations_table", []string{migrationsTableDDL("an", nil), migrationsTableDDL("an", &prod)}},
		{"view", dropCreate},
		{"view_or_replace", orReplace},
		{"view_cluster", onCluster},
	} {
		t.Run(tc.name, func(t *testing.T) { checkGolden(t, filepath.Join("ddl", tc.name), tc.stmts...) })
	}
}

func TestDMLGolden(t *testing.T) {
	target, staging, rebuilt := qualifiedIn(sessions.Name), qualifiedIn(goldenStaging), qualifiedIn("_stg_t_sessions_ba9876543210")
	nov := window.New(day("2026-11-01"), day("2026-11-08"))
	rejects, rejectsStaging := qualifiedIn(schemas.Rejects.Name), qualifiedIn("_stg_etl_rejects_0123456789ab")
	goes := rejectsGoing(schemas.Rejects, "userflow.content_sessions", rejectsStaging, nov, false)
	for _, tc := range []struct {
		name  string
		stmts []string
	}{
		{"insert", []string{insertInto(staging, columnNames(sessions))}},
		{"count", []string{countRows(staging, "tuple()"), countRows(staging, partitionFilter(sessions, "202611"))}},
		{"merge_one_row_per_key", []string{oneRowPerKeyQuery(sessions, staging), oneRowPerKeyQuery(flat, staging)}},
		{"merge_live_keys_touched", []string{
			liveKeysTouchedQuery(sessions, target, staging, []string{"202610", "202611"}),
			liveKeysTouchedQuery(flat, target, staging, []string{"tuple()"}),
		}},
		{"merge_rebuild", []string{
			mergeRebuild(sessions, target, staging, rebuilt, "202611", true),
			mergeRebuild(sessions, target, staging, rebuilt, "202612", false),
			mergeRebuild(flat, target, staging, rebuilt, "tuple()", true),
		}},
		{"replace_window", []string{
			keepOutsideWindow(report, qualifiedIn(report.Name), staging, window.New(day("2026-10-30"), day("2026-11-02")), "202610"),
			keepOutsideWindow(events, qualifiedIn(events.Name), staging, window.Window{Start: day("2026-11-01").Add(6 * time.Hour), End: day("2026-11-02")}, "202611"),
			monthCounts(report, staging),
		}},
		{"rejects", []string{
			rejectsMonths(schemas.Rejects, rejects, rejectsStaging, goes),
			keepRejects(schemas.Rejects, rejects, rejectsStaging, []string{"202610", "202611"}, goes),
			keepRejects(schemas.Rejects, rejects, rejectsStaging, []string{"202611"},
				rejectsGoing(schemas.Rejects, "userflow.users", rejectsStaging, nov, true)),
			monthCounts(schemas.Rejects, rejectsStaging),
		}},
		{"swap", []string{
			replacePartition(target, "202611", staging),
			replacePartition(qualifiedIn(dims.Name), "tuple()", staging),
			attachPartition(target, "202611", staging),
			dropPartition(target, "202611"),
			syncReplica(staging),
		}},
		{"migrations", []string{
			appliedMigrations(qualifiedIn(MigrationsTable), ""),
			appliedMigrations(qualifiedIn(MigrationsTable), viewPrefix),
			recordMigration(qualifiedIn(MigrationsTable), Migration{Name: "10_userflow.sql", Version: "0123456789abcdef"}, day("2026-11-02")),
		}},
		{"legacy", []string{
			partitionMonths(sessions, qualifiedIn(LegacyRawTable(sessions))),
			legacyCopy(sessions, qualifiedIn(LegacyRawTable(sessions)), qualifiedIn("etl_migrating_t_sessions"), identList([]string{"id", "created_at", "last_activity_at"}), partitionFilter(sessions, "202611")),
			countKeys(sessions, qualifiedIn(LegacyRawTable(sessions))),
			keysMissingQuery(sessions, qualifiedIn(LegacyRawTable(sessions)), target),
			legacyRejectsCopy(rejects, qualifiedIn("etl_rejects_raw"), []string{"source", "stream", "table_name", "row_hash"}),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkGolden(t, filepath.Join("dml", tc.name), tc.stmts...) })
	}
}
