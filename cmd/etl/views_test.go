package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	etl "github.com/adoptionlabs/etl"
	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/load/clickhouse"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/views"
)

func defaultTables(t *testing.T) []*schemas.Table {
	t.Helper()
	cfg, err := config.Load("pipelines.yaml", etl.DefaultConfig, func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	tables, err := (&app{cfg: cfg}).configuredTables()
	require.NoError(t, err)
	return tables
}

// TestViewFilesAreUpToDate is the golden check of sql/views and sql/duckdb.
func TestViewFilesAreUpToDate(t *testing.T) {
	want, err := views.Files(defaultTables(t))
	require.NoError(t, err)
	root := filepath.Join(testsupport.RepoRoot(t), "sql")
	var have []string
	for _, sub := range []string{"views", "duckdb"} {
		files, err := filepath.Glob(filepath.Join(root, sub, "*.sql"))
		require.NoError(t, err)
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			have = append(have, filepath.ToSlash(rel))
		}
	}
	wantNames := make([]string, 0, len(want))
	for n := range want {
		wantNames = append(wantNames, n)
	}
	sort.Strings(wantNames)
	sort.Strings(have)
	assert.Equal(t, wantNames, have, "sql/views and sql/duckdb hold exactly the generated files: run `make generate`")
	for name, body := range want {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		require.NoError(t, err, "sql/%s missing: run `make generate`", name)
		assert.Equal(t, body, string(got), "sql/%s is stale: run `make generate`", name)
	}
}

func TestViewsCommandUsage(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "views", "--dialect", "postgres")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "unknown dialect")
	code, _, stderr = runCLI(t, nil, "views", "--dialect", string(views.ClickHouse))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--database")

	data := filepath.Join(t.TempDir(), "etl data")
	part := filepath.Join(data, "userflow_content_sessions", "dt=2026-11-30")
	require.NoError(t, os.MkdirAll(part, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(part, "part-0.parquet"), nil, 0o644))
	code, stdout, stderr := runCLI(t, nil, "views", "--dialect", "duckdb", "--data", data)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `read_parquet('`+data+`/userflow_content_sessions/**/*.parquet', hive_partitioning = true, union_by_name = true)`)
	assert.NotContains(t, stdout, "row_number", "a merge table's files hold one row per key: no view dedupes")
	assert.Contains(t, stdout, `CREATE OR REPLACE VIEW "daily_overview"`)

	// Before any run (or with a source not configured) a table has no files:
	// its view is empty, and the curated views still work.
	empty := t.TempDir()
	code, stdout, stderr = runCLI(t, nil, "views", "--dialect", "duckdb", "--data", empty)
	require.Equal(t, exitOK, code, stderr)
	rows := testsupport.DuckDB(t, stdout+"SELECT count(*) AS n FROM daily_overview")
	assert.Equal(t, []map[string]any{{"n": int64(0)}}, rows)

	code, stdout, stderr = runCLI(t, nil, "views", "--dialect", string(views.ClickHouse), "--database", "analytics")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "CREATE VIEW IF NOT EXISTS `analytics`.`userflow_flow_daily`")
	assert.NotContains(t, stdout, views.DatabaseToken)
}

// loaded is one sandbox's data, loaded by etl into a ClickHouse 18.16
// database and into Parquet, and by this test from that Parquet into chdb.
type loaded struct {
	dsn, db string
	out     string
	tables  []*schemas.Table
	// chdbSetup creates db on chdb with every sql/ file and the views, and
	// loads the Parquet files into it.
	chdbSetup []string
}

func loadSandboxEverywhere(t *testing.T) *loaded {
	t.Helper()
	dsn := testsupport.FreshDatabase(t)
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	// One sandbox for both loads: the fakes derive their data from the seed
	// and their clock, so both sinks see the same rows.
	now := time.Now().UTC()
	env, stop, err := startSandboxes(42, now, 0, 1, nil)
	require.NoError(t, err)
	t.Cleanup(stop)
	env["CLICKHOUSE_DSN"] = dsn
	from := now.AddDate(0, 0, -3).Format("2006-01-02")
	to := now.AddDate(0, 0, -1).Format("2006-01-02")

	env["ETL_STATE_DIR"] = t.TempDir()
	code, _, stderr := runCLI(t, env, "migrate")
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCLI(t, env, "backfill", "--from", from, "--to", to, "--sink", chSink)
	require.Equal(t, exitOK, code, stderr)
	out := t.TempDir()
	env["ETL_STATE_DIR"] = t.TempDir()
	code, _, stderr = runCLI(t, env, "backfill", "--from", from, "--to", to, "--out", out)
	require.Equal(t, exitOK, code, stderr)

	// migrate again over loaded tables: the views and comments are in place.
	code, stdout, stderr := runCLI(t, env, "migrate")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, len(views.All), strings.Count(stdout, "  unchanged"), stdout)
	assert.NotContains(t, stdout, "column comments updated")

	l := &loaded{dsn: dsn, db: db, out: out, tables: defaultTables(t)}
	l.chdbSetup = append(l.chdbSetup, "CREATE DATABASE `"+db+"`")
	l.chdbSetup = append(l.chdbSetup, ddlStatements(t, "`"+db+"`")...)
	for _, tbl := range l.tables {
		files, _ := pqsink.ListFiles(context.Background(), out, tbl.Name)
		if len(files) == 0 {
			continue
		}
		names := make([]string, len(tbl.Columns))
		for i, c := range tbl.Columns {
			names[i] = "`" + c.Name + "`"
		}
		cols := strings.Join(names, ", ")
		l.chdbSetup = append(l.chdbSetup, fmt.Sprintf("INSERT INTO `%s`.`%s` (%s) SELECT %s FROM file('%s/%s/**/*.parquet', Parquet)",
			db, clickhouse.StorageTable(tbl), cols, cols, out, tbl.Name))
	}
	for _, v := range views.All {
		stmts, err := clickhouse.ViewStatements(v, "`"+db+"`", clickhouse.SupportsCreateOrReplaceView("26.7"))
		require.NoError(t, err)
		l.chdbSetup = append(l.chdbSetup, stmts...)
	}
	return l
}

// ddlStatements are every statement of the sql/ files, for db.
func ddlStatements(t *testing.T, db string) []string {
	t.Helper()
	entries, err := sql.Files.ReadDir(".")
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		body, err := sql.Files.ReadFile(e.Name())
		require.NoError(t, err)
		for _, s := range clickhouse.SplitStatements(string(body)) {
			out = append(out, strings.ReplaceAll(s, clickhouse.DatabaseToken, db))
		}
	}
	require.NotEmpty(t, out)
	return out
}

var isoInstant = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})Z$`)

// canonical makes rows from clickhouse-client, chdb and DuckDB comparable:
// instants as "YYYY-MM-DD hh:mm:ss", integers as int64, floats rounded to
// 9 significant digits (engines print the last digits differently).
func canonical(rows []map[string]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			v := r[k]
			switch x := v.(type) {
			case string:
				if m := isoInstant.FindStringSubmatch(x); m != nil {
					v = m[1] + " " + m[2]
				}
			case uint64:
				v = int64(x)
			case float64:
				if x == math.Trunc(x) && math.Abs(x) < 1e15 {
					v = int64(x)
				} else {
					v = fmt.Sprintf("%.9g", x)
				}
			}
			fmt.Fprintf(&b, "%s=%v|", k, v)
		}
		out[i] = b.String()
	}
	sort.Strings(out)
	return out
}

// TestDashboardSQL loads one sandbox into ClickHouse 18.16
// (etl backfill --sink clickhouse, views by etl migrate) and into Parquet,
// then reads every curated view from 18.16, from DuckDB over the Parquet
// files (etl views --dialect duckdb) and from chdb (current ClickHouse, the
// same DDL and views, loaded from those Parquet files): the three agree row
// for row, and each view has rows. It also checks that the types the views
// declare (and BI tools read from system.columns) are what 18.16 computes,
// and runs every SQL example of docs/bi.md on 18.16 as a readonly=2
// dashboard user through the drivers BI tools use (@clickhouse/client over
// HTTP, clickhouse-go over the native protocol) and on chdb, with the same
// results, and the DuckDB ones on the Parquet files.
func TestDashboardSQL(t *testing.T) {
	l := loadSandboxEverywhere(t)
	chExamples, duckExamples := docExamples(t)
	require.GreaterOrEqual(t, len(chExamples), 8, "docs/bi.md has eight questions with their SQL")
	require.NotEmpty(t, duckExamples)

	duckStmts, err := views.Script(views.DuckDB, l.tables, l.out, "", nil)
	require.NoError(t, err)
	duckSetup := strings.Join(duckStmts, ";\n") + ";\n"

	chdbQueries := append([]string(nil), l.chdbSetup...)
	for _, v := range views.All {
		chdbQueries = append(chdbQueries, fmt.Sprintf("SELECT * FROM `%s`.`%s`", l.db, v.Name))
	}
	chdbQueries = append(chdbQueries, fmt.Sprintf("SELECT table, name, type, comment FROM system.columns WHERE database = '%s'", l.db))
	chdbQueries = append(chdbQueries, "USE `"+l.db+"`")
	chdbQueries = append(chdbQueries, chExamples...)
	chdbOut := testsupport.ChDB(t, chdbQueries...)
	chdbRows := chdbOut[len(l.chdbSetup):]
	chdbCols := chdbRows[len(views.All)]
	chdbDoc := chdbRows[len(views.All)+2:]

	// The examples as a dashboard runs them on 18.16: over HTTP through
	// ClickHouse's official JS client, and over the native protocol through
	// clickhouse-go (Grafana's driver), both as the readonly=2 user docs/bi.md
	// describes, sending per-query settings as those drivers do.
	biUser, biPassword := testsupport.BIUser(t)
	jsSettings := map[string]any{"date_time_input_format": "best_effort", "max_execution_time": 60, "output_format_json_quote_64bit_integers": 0}
	jsStatements := []any{"SELECT version() AS v"}
	for _, ex := range chExamples {
		jsStatements = append(jsStatements, ex)
	}
	jsStatements = append(jsStatements,
		fmt.Sprintf("SELECT table, name, comment FROM system.columns WHERE database = '%s' AND table IN ('userflow_flow_daily', 'userflow_content_sessions')", l.db),
		testsupport.JSCommand("CREATE TABLE etl_bi_probe (n UInt8) ENGINE = Memory"),
		testsupport.JSCommand("INSERT INTO userflow_content_sessions (id) SELECT 'x'"))
	js := testsupport.ClickHouseJS(t, biUser, biPassword, l.db, jsSettings, jsStatements...)
	require.Len(t, js, len(jsStatements))
	require.Empty(t, js[0].Err)
	require.Regexp(t, `^18\.16\.`, js[0].Rows[0]["v"], "@clickhouse/client talks to ClickHouse 18.16")
	jsDoc, jsTail := js[1:1+len(chExamples)], js[1+len(chExamples):]
	for i, ex := range chExamples {
		t.Run(fmt.Sprintf("doc/clickhouse_%d", i+1), func(t *testing.T) {
			require.Empty(t, jsDoc[i].Err, "@clickhouse/client over HTTP as the readonly=2 user:\n%s", ex)
			rows := jsDoc[i].Rows
			require.NotEmpty(t, rows, "the example has rows on the sandbox data:\n%s", ex)
			assert.Equal(t, canonical(rows), canonical(chdbDoc[i]), "chdb (current ClickHouse) = ClickHouse 18.16 through @clickhouse/client:\n%s", ex)

			native, err := testsupport.ClickHouseNative(t, l.dsn, biUser, biPassword, ch.Settings{"max_execution_time": 60}, ex)
			require.NoError(t, err, "clickhouse-go over the native protocol as the readonly=2 user:\n%s", ex)
			assert.Equal(t, canonical(rows), canonical(native), "the native protocol (clickhouse-go) = HTTP (@clickhouse/client):\n%s", ex)
		})
	}
	t.Run("doc/bi_user", func(t *testing.T) {
		require.Empty(t, jsTail[0].Err)
		require.NotEmpty(t, jsTail[0].Rows, "the readonly=2 user reads system.columns")
		for _, r := range jsTail[0].Rows {
			assert.NotEmpty(t, r["comment"], "%s.%s: the comment a BI tool reads as the column description", r["table"], r["name"])
		}
		assert.Contains(t, jsTail[1].Err, "readonly mode", "the dashboard user cannot create a table")
		assert.Contains(t, jsTail[2].Err, "readonly mode", "the dashboard user cannot insert")
		// readonly=1 (the package's `readonly` user) refuses the settings an
		// HTTP driver sends with every query: docs/bi.md asks for 2.
		strict := testsupport.ClickHouseJS(t, "readonly", "", l.db, jsSettings, chExamples[0])
		assert.Contains(t, strict[0].Err, "Cannot override setting", "readonly=1 with a BI driver's settings")
	})
	for i, ex := range duckExamples {
		t.Run(fmt.Sprintf("doc/duckdb_%d", i+1), func(t *testing.T) {
			rows := testsupport.DuckDB(t, duckSetup+strings.ReplaceAll(ex, "'data/", "'"+l.out+"/"))
			require.NotEmpty(t, rows, ex)
		})
	}

	for i, v := range views.All {
		t.Run("views/"+v.Name, func(t *testing.T) {
			ch := testsupport.ClickHouseQuery(t, l.dsn, fmt.Sprintf("SELECT * FROM `%s`.`%s`", l.db, v.Name))
			require.NotEmpty(t, ch, "the sandbox gives every view rows")
			duck := testsupport.DuckDB(t, duckSetup+fmt.Sprintf("SELECT * FROM %q", v.Name))
			assert.Equal(t, canonical(ch), canonical(duck), "DuckDB over Parquet = ClickHouse 18.16")
			assert.Equal(t, canonical(ch), canonical(chdbRows[i]), "chdb (current ClickHouse) = ClickHouse 18.16")

			// 18.16 takes a view's column list as declared, without checking it
			// against the SELECT: check it here.
			exprs := make([]string, len(v.Columns))
			for j, c := range v.Columns {
				exprs[j] = fmt.Sprintf("toTypeName(`%s`) AS `%s`", c.Name, c.Name)
			}
			types := testsupport.ClickHouseQuery(t, l.dsn, fmt.Sprintf("SELECT DISTINCT %s FROM (SELECT * FROM `%s`.`%s`)", strings.Join(exprs, ", "), l.db, v.Name))
			for _, row := range types {
				for _, c := range v.Columns {
					assert.Equal(t, c.Type, row[c.Name], "column %s", c.Name)
				}
			}
			cols := testsupport.ClickHouseQuery(t, l.dsn, fmt.Sprintf("SELECT name, type, comment FROM system.columns WHERE database = '%s' AND table = '%s'", l.db, v.Name))
			require.Len(t, cols, len(v.Columns))
			var chdbViewCols []map[string]any
			for _, c := range chdbCols {
				if c["table"] == v.Name {
					delete(c, "table")
					chdbViewCols = append(chdbViewCols, c)
				}
			}
			for j, c := range v.Columns {
				want := map[string]any{"name": c.Name, "type": c.Type, "comment": c.Doc}
				assert.Equal(t, want, cols[j], "18.16 system.columns")
				if assert.Len(t, chdbViewCols, len(v.Columns)) {
					assert.Equal(t, want, chdbViewCols[j], "chdb system.columns")
				}
			}
		})
	}

	t.Run("every table column has a comment", func(t *testing.T) {
		// etl's own bookkeeping tables are not for dashboards.
		for _, rows := range [][]map[string]any{
			testsupport.ClickHouseQuery(t, l.dsn, fmt.Sprintf("SELECT table, name, comment FROM system.columns WHERE database = '%s' AND table != '%s'", l.db, clickhouse.MigrationsTable)),
			chdbCols,
		} {
			require.NotEmpty(t, rows)
			for _, r := range rows {
				name, _ := r["table"].(string)
				if strings.HasPrefix(name, "etl_") {
					continue
				}
				assert.NotEmpty(t, r["comment"], "%s.%s has no COMMENT: give the column a Doc naming its source field", r["table"], r["name"])
			}
		}
	})
}

// docExamples are the SQL blocks of docs/bi.md: ```sql (ClickHouse) and
// ```sql duckdb.
func docExamples(t *testing.T) (clickhouse, duckdb []string) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(testsupport.RepoRoot(t), "docs", "bi.md"))
	require.NoError(t, err)
	var cur *[]string
	var b strings.Builder
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case cur == nil && line == "```sql":
			cur = &clickhouse
		case cur == nil && line == "```sql duckdb":
			cur = &duckdb
		case cur != nil && line == "```":
			*cur = append(*cur, strings.TrimSpace(b.String()))
			b.Reset()
			cur = nil
		case cur != nil:
			b.WriteString(line)
			b.WriteString("\n")
		}
	}
	require.Nil(t, cur, "docs/bi.md: a code block is not closed")
	return clickhouse, duckdb
}
