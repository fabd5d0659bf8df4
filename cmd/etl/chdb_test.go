package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/testsupport"
)

// statementRank orders the statements of one second of the query log the
// way the sink issues them for one load (create, stage, check, swap, drop):
// 18.16's query_log keeps whole seconds only.
func statementRank(q string) int {
	switch {
	case strings.HasPrefix(q, "CREATE DATABASE"):
		return 0
	case strings.HasPrefix(q, "CREATE TABLE IF NOT EXISTS"):
		return 1
	case strings.HasPrefix(q, "ALTER TABLE") && strings.Contains(q, " ADD COLUMN "):
		return 2
	case strings.HasPrefix(q, "CREATE VIEW"):
		return 3
	case strings.HasPrefix(q, "CREATE TABLE"):
		return 4
	case strings.HasPrefix(q, "INSERT INTO"):
		return 5
	case strings.HasPrefix(q, "ALTER TABLE") && strings.Contains(q, " DROP PARTITION "):
		return 7
	case strings.HasPrefix(q, "ALTER TABLE") && strings.Contains(q, " REPLACE PARTITION "):
		return 8
	case strings.HasPrefix(q, "DROP TABLE"):
		return 9
	}
	return 6
}

// TestSinkStatementsRunOnChDB replays on chdb (current ClickHouse) every
// statement the ClickHouse sink and state store sent to 18.16 during a demo
// load (taken from 18.16's query_log): DDL, staging tables, partition
// rebuilds and swaps, checks. Rows sent in Native format are not replayed
// (the statements then run on empty tables), so this proves the SQL text,
// not the data.
func TestSinkStatementsRunOnChDB(t *testing.T) {
	dsn := testsupport.FreshDatabase(t)
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	code, _, stderr := runCLI(t, map[string]string{"CLICKHOUSE_DSN": dsn + sep + "log_queries=1", "ETL_STATE_DIR": t.TempDir()}, "demo", "--days", "2", "--sink", chSink)
	require.Equal(t, exitOK, code, stderr)

	testsupport.ClickHouseQuery(t, dsn, "SYSTEM FLUSH LOGS")
	logged := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf(
		"SELECT toUInt32(event_time) AS at, query FROM system.query_log WHERE type = 2 AND position(query, '`%s`') > 0 AND position(query, 'system.query_log') = 0", db))
	type stmt struct {
		at   int64
		rank int
		i    int
		q    string
	}
	var stmts []stmt
	kinds := map[int]int{}
	for i, r := range logged {
		q := strings.TrimSpace(fmt.Sprint(r["query"]))
		if strings.HasSuffix(q, "FORMAT Native") {
			continue // rows the driver sent in blocks: no text to replay
		}
		at, _ := r["at"].(int64)
		s := stmt{at: at, rank: statementRank(q), i: i, q: q}
		stmts = append(stmts, s)
		kinds[s.rank]++
	}
	sort.SliceStable(stmts, func(a, b int) bool {
		if stmts[a].at != stmts[b].at {
			return stmts[a].at < stmts[b].at
		}
		return stmts[a].rank < stmts[b].rank
	})
	for _, rank := range []int{1, 4, 5, 8, 9} {
		assert.NotZero(t, kinds[rank], "the load issued statements of kind %d (tables, staging, stage, swap, drop)", rank)
	}
	// Without the rows, a staging partition the sink found non-empty (and so
	// swapped with REPLACE PARTITION) is empty here, which current releases
	// refuse by default; the sink itself turns an empty one into DROP
	// PARTITION.
	queries := []string{"SET allow_replace_partition_from_empty_source = 1"}
	for _, s := range stmts {
		queries = append(queries, s.q)
	}
	_, err := testsupport.ChDBRun(t, queries...)
	require.NoError(t, err, "a statement the sink sends to 18.16 fails on current ClickHouse")
	t.Logf("%d sink statements of a demo load replayed on chdb", len(queries))
}
