package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/testsupport"
)

// `etl migrate` goes through the kind: --sink picks it, and without --sink
// it migrates the sink with a schema, as before other sinks had a step.
func TestMigrateGoesThroughTheKind(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, nil, "migrate", "--sink", pqSink, "--out", dir)
	assert.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "Parquet under "+dir+": nothing to migrate\n", stdout)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written")

	code, _, stderr = runCLI(t, nil, "migrate")
	assert.Equal(t, exitUsage, code, "without --sink, the sink with a schema: ClickHouse, which needs its DSN")
	assert.Contains(t, stderr, "CLICKHOUSE_DSN")
}

// A directory an earlier release wrote (merge tables by the dt= day of a
// column that moves, a key on several days) is converted by `etl migrate
// --sink parquet`, once: the second call finds nothing left to do.
func TestMigrateConvertsAParquetDirectoryOfAnEarlierRelease(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../../load/parquet/testdata/earlier-release/data")))
	before := testsupport.DuckDB(t, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM read_parquet('"+dir+"/userflow_content_sessions/**/*.parquet')")
	require.Greater(t, before[0]["n"], before[0]["ids"], "the fixture holds a session twice")

	code, stdout, stderr := runCLI(t, nil, "migrate", "--sink", pqSink, "--out", dir)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "userflow_content_sessions converted to one row per key, in created_at_month= partitions")
	after := testsupport.DuckDB(t, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM read_parquet('"+dir+"/userflow_content_sessions/**/*.parquet', hive_partitioning = true)")
	assert.Equal(t, before[0]["ids"], after[0]["n"], "one row a session, none lost")
	assert.Equal(t, after[0]["ids"], after[0]["n"])

	code, stdout, stderr = runCLI(t, nil, "migrate", "--sink", pqSink, "--out", dir)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "Parquet under "+dir+": nothing to migrate\n", stdout)
}
