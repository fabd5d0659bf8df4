package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pqsink "github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/testsupport"
)

// After a demo that rejected nothing, and again after its rerun, every table
// it names, etl_rejects included, answers a reader's glob with its row
// count: no "No files found" from DuckDB or ClickHouse's file().
func TestEveryTableOfADemoRunCanBeQueried(t *testing.T) {
	out := t.TempDir()
	for run := 1; run <= 2; run++ {
		code, stdout, stderr := runCLI(t, nil, "demo", "--days", "2", "--out", out)
		require.Equal(t, exitOK, code, stderr)
		counts := parseTableCounts(t, stdout)
		require.Contains(t, counts, "etl_rejects")
		require.Zero(t, counts["etl_rejects"], "the sandbox's data has no rejects: this test is about a table without rows")

		tables := make([]string, 0, len(counts))
		for table := range counts {
			tables = append(tables, table)
		}
		sort.Strings(tables)
		byName := map[string]*schemas.Table{schemas.Rejects.Name: schemas.Rejects}
		for _, tbl := range defaultTables(t) {
			byName[tbl.Name] = tbl
		}
		var selects []string
		for _, table := range tables {
			require.Contains(t, byName, table)
			// A table's files sit one directory down (its partitions), or in
			// its directory when it has none (an unpartitioned merge table).
			one := "*/*.parquet"
			if pqsink.PartitionKey(byName[table]) == "" {
				one = "*.parquet"
			}
			for _, glob := range []string{one, "**/*.parquet"} {
				path := strings.ReplaceAll(filepath.Join(out, table, glob), "'", "''")
				selects = append(selects, fmt.Sprintf("SELECT '%s' AS t, '%s' AS pattern, count(*) AS n FROM read_parquet('%s', hive_partitioning = true, union_by_name = true)", table, glob, path))
			}
		}
		rows := testsupport.DuckDB(t, strings.Join(selects, "\nUNION ALL ")+"\nORDER BY t, pattern")
		require.Len(t, rows, 2*len(tables))
		for _, r := range rows {
			assert.EqualValues(t, counts[r["t"].(string)], r["n"], "run %d: DuckDB, %s/%s", run, r["t"], r["pattern"])
		}

		rejects := filepath.Join(out, "etl_rejects", "*", "*.parquet")
		got := testsupport.ChDB(t,
			"SELECT count() AS n FROM file('"+rejects+"', Parquet)",
			"DESCRIBE file('"+rejects+"', Parquet)")
		assert.Equal(t, []map[string]any{{"n": int64(0)}}, got[0], "run %d: chdb counts etl_rejects", run)
		var columns []string
		for _, c := range got[1] {
			columns = append(columns, c["name"].(string))
		}
		for _, c := range schemas.Rejects.Columns {
			assert.Contains(t, columns, c.Name, "run %d: chdb sees etl_rejects' columns", run)
		}
	}
}
