package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	etl "github.com/adoptionlabs/etl"
	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/sandbox"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/testsupport"
)

// runCLI runs the command in-process with a clean environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	clearEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"etl"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// clearEnv unsets every variable the program reads: each source's declared
// ones (extract.Plugin.Env) and the program's own.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range append([]string{"CLICKHOUSE_DSN", "ETL_CONFIG", "ETL_STATE_DIR"}, extract.EnvNames()...) {
		t.Setenv(k, "") // restored after the test
		require.NoError(t, os.Unsetenv(k))
	}
}

// A variable of the developer's shell must not reach a CLI test: every one a
// source's sample.yaml reads is cleared (a hand list missed the *_BASE_URLs).
func TestRunCLIClearsEverySourceVariable(t *testing.T) {
	vars := extract.EnvNames()
	require.Contains(t, vars, "BOT_BASE_URL")
	for _, k := range vars {
		t.Setenv(k, "from-the-shell")
	}
	clearEnv(t)
	for _, k := range vars {
		_, set := os.LookupEnv(k)
		assert.False(t, set, k)
	}
}

func TestBadUsageExitsTwoBeforeAnyRequest(t *testing.T) {
	// A fake whose every request would be counted: none may happen.
	p, _ := extract.Lookup("userflow")
	sb := p.Sandbox(extract.SandboxOptions{Seed: 1})
	hits := 0
	srv, err := sandbox.Start(countRequests(sb.Handler, &hits))
	require.NoError(t, err)
	defer srv.Close()
	env := sb.Env(srv.URL)
	cfg := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("version: 1\nsources:\n  userflow:\n    bogus: 1\n"), 0o644))

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"impossible date", []string{"backfill", "--from", "2026-02-30", "--to", "2026-03-01"}, "not a valid date"},
		{"from after to", []string{"backfill", "--from", "2026-03-02", "--to", "2026-03-01"}, "is after --to"},
		{"unknown source", []string{"backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--source", "nope"}, "unknown source"},
		{"unknown stream", []string{"backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--stream", "nope"}, "--stream nope"},
		{"clickhouse without dsn", []string{"backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--sink", chSink}, "CLICKHOUSE_DSN"},
		{"unknown sink", []string{"backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--sink", "csv"}, "not a sink"},
		{"bad chunk", []string{"backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--chunk", "week"}, "--chunk"},
		{"missing flag", []string{"backfill", "--from", "2026-03-01"}, "to"},
		{"unknown flag", []string{"backfill", "--frm", "2026-03-01"}, "frm"},
		{"bad log level", []string{"--log-level", "loud", "streams"}, "--log-level"},
		{"unknown config key", []string{"--config", cfg, "validate"}, "field bogus not found"},
		{"missing config file", []string{"--config", "/nonexistent.yaml", "validate"}, "read config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, env, tc.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tc.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one clear line: %q", stderr)
		})
	}
	assert.Zero(t, hits, "no request before the arguments are checked")
}

// Every configured source without its credentials is a line naming what to
// set, and the backfill fails (exit 1): a scheduler must see that nothing
// was loaded (scheduler_test.go has the report and the metrics).
func TestMissingCredentialsSkipWithOneLine(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--out", t.TempDir())
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "userflow: skipped: USERFLOW_API_KEY unset: set it, or leave the source out with --source or `enabled: false`")
	assert.Equal(t, 1, strings.Count(stderr, "userflow: skipped:"), "one line per source")
	assert.Contains(t, lastLine(stderr), "userflow could not run (USERFLOW_API_KEY unset")
}

func TestAPIKeyNeverInOutput(t *testing.T) {
	p, _ := extract.Lookup("userflow")
	sb := p.Sandbox(extract.SandboxOptions{Seed: 1})
	srv, err := sandbox.Start(sb.Handler)
	require.NoError(t, err)
	defer srv.Close()
	secret := "ak_live_super_secret_value_123"
	env := map[string]string{"USERFLOW_BASE_URL": srv.URL, "USERFLOW_API_KEY": secret}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, env, "--log-level", "debug", "backfill", "--from", "2026-03-01", "--to", "2026-03-01", "--out", out)
	assert.Equal(t, exitFailed, code, "a wrong key fails the streams")
	assert.Contains(t, stdout+stderr, "401")
	assert.NotContains(t, stdout+stderr, secret)
	assertNoFileContains(t, out, secret)
}

func assertNoFileContains(t *testing.T, dir, secret string) {
	t.Helper()
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(path)
			assert.NotContains(t, string(b), secret, path)
		}
		return nil
	})
}

func TestDemoSummaryMatchesDuckDB(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, nil, "demo", "--days", "3", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	counts := parseTableCounts(t, stdout)
	require.NotEmpty(t, counts)
	for table, n := range counts {
		files, _ := pqsink.ListFiles(context.Background(), out, table)
		require.NotEmpty(t, files, "%s: every table of the run has a file, a table without rows its schema-only file", table)
		rows := testsupport.DuckDB(t, fmt.Sprintf("SELECT count(*) AS n FROM read_parquet('%s/%s/**/*.parquet', hive_partitioning=true)", out, table))
		assert.EqualValues(t, n, rows[0]["n"], table)
	}
	assert.Greater(t, counts["userflow_content_sessions"], int64(0))
	assert.Greater(t, counts["userflow_session_answers"], int64(0))
}

var countLine = regexp.MustCompile(`(?m)^(\w+)\s+(\d+)$`)

func parseTableCounts(t *testing.T, stdout string) map[string]int64 {
	i := strings.Index(stdout, "TABLE")
	require.GreaterOrEqual(t, i, 0, stdout)
	out := map[string]int64{}
	for _, m := range countLine.FindAllStringSubmatch(stdout[i:], -1) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		out[m[1]] = n
	}
	return out
}

// TestSQLFilesAreUpToDate is the golden check of the DDL: sql/ must be what
// the declarations of the default pipelines.yaml generate.
func TestSQLFilesAreUpToDate(t *testing.T) {
	cfg, err := config.Load("pipelines.yaml", etl.DefaultConfig, func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	sel, err := cfg.Select(extract.Env{}, nil, nil, false)
	require.NoError(t, err)
	_, ddl, err := (&app{cfg: cfg}).schemaSink()
	require.NoError(t, err)
	want := ddlFiles(ddl, sel.Streams)
	have, err := sql.Files.ReadDir(".")
	require.NoError(t, err)
	var names []string
	for _, e := range have {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	assert.Len(t, names, len(want), "sql/ has exactly one file per source: run `make generate`")
	for name, body := range want {
		got, err := sql.Files.ReadFile(name)
		require.NoError(t, err, "sql/%s missing: run `make generate`", name)
		assert.Equal(t, body, string(got), "sql/%s is stale: run `make generate`", name)
	}
}

// TestDemoIntoClickHouseIsExactAndIdempotent loads every stream of every
// source into a real ClickHouse, twice, and checks each dashboard table by
// its name with clickhouse-client (a reader that did not write it).
func TestDemoIntoClickHouseIsExactAndIdempotent(t *testing.T) {
	dsn := testsupport.FreshDatabase(t)
	env := map[string]string{"CLICKHOUSE_DSN": dsn}
	code, stdout, stderr := runCLI(t, env, "demo", "--days", "3", "--sink", chSink)
	require.Equal(t, exitOK, code, stderr)
	first := parseTableCounts(t, stdout)
	require.Greater(t, len(first), 10)
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	for table, n := range first {
		rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT count() AS n FROM `%s`.`%s`", db, table))
		assert.EqualValues(t, fmt.Sprint(n), fmt.Sprint(rows[0]["n"]), table)
	}
	code, stdout, stderr = runCLI(t, env, "demo", "--days", "3", "--sink", chSink, "--faults", "0.05")
	require.Equal(t, exitOK, code, "%s\n%s", stdout, stderr)
	assert.Equal(t, first, parseTableCounts(t, stdout), "the same window loaded twice, with faults on, is loaded once")
}

func TestDemoRerunIntoParquetKeepsCounts(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, nil, "demo", "--days", "2", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	first := parseTableCounts(t, stdout)
	code, stdout, stderr = runCLI(t, nil, "demo", "--days", "2", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, first, parseTableCounts(t, stdout))
}

func TestMigrateCommandTwiceChangesNothing(t *testing.T) {
	dsn := testsupport.FreshDatabase(t)
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	dsn = strings.TrimSuffix(dsn, db) + db + "_new" // migrate creates a missing database
	t.Cleanup(func() {
		testsupport.ClickHouseQuery(t, strings.TrimSuffix(dsn, db+"_new")+db, "DROP DATABASE IF EXISTS `"+db+"_new`")
	})
	env := map[string]string{"CLICKHOUSE_DSN": dsn}
	code, stdout, stderr := runCLI(t, env, "migrate")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "10_userflow.sql")
	assert.Contains(t, stdout, " applied")
	assert.NotContains(t, stdout, "already applied")
	code, stdout, stderr = runCLI(t, env, "migrate")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 5, strings.Count(stdout, "already applied"), stdout)
	rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT count() AS n FROM system.tables WHERE database = '%s_new' AND engine = 'View'", db))
	assert.NotZero(t, rows[0]["n"], "merge tables have their dashboard view")
	cols := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT type FROM system.columns WHERE database = '%s_new' AND table = 'userflow_session_answers' AND name = 'answer_values'", db))
	require.Len(t, cols, 1)
	assert.Equal(t, "Array(String)", cols[0]["type"])
}
