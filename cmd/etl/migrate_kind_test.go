package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
