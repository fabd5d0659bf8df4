package clickhouse

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/bot"
	"github.com/adoptionlabs/etl/testsupport"
)

type mergeRow struct {
	id            string
	created, last time.Time
	progress      float64
}

// mergeScenarioStatements is the SQL a sequence of merge loads into
// t_sessions sends, built by the functions the sink uses (DDL,
// oneRowPerKeyQuery, mergeRebuild, the swap), with the rows sent as INSERT
// ... SELECT text so that the same statements run on 18.16 and on chdb.
// The loads: a newer window into the empty table (two partitions swapped in
// from staging as they are, one with a key twice rebuilt), then the
// backfill of an older one (a older, b a tie, d twice), then reruns in the
// other order, then a new key only (attached to its live partition).
// checks are the indexes of the oneRowPerKeyQuery and liveKeysTouchedQuery
// statements.
func mergeScenarioStatements(db string) (stmts []string, checks []int) {
	q := func(n string) string { return db + "." + quoteIdent(n) }
	ts := func(v time.Time) string { return fmt.Sprintf("toDateTime('%s', 'UTC')", v.UTC().Format(time.DateTime)) }
	sep, oct, nov := day("2026-09-05"), day("2026-10-05"), day("2026-11-05")
	older, newer := day("2026-11-10").Add(time.Hour), day("2026-11-20").Add(time.Hour)
	loads := [][]mergeRow{
		{{"a", nov, newer, 0.9}, {"b", nov, newer, 0.2}, {"c", nov, newer, 0.3}, {"old", oct, newer, 0.4}, {"e", sep, older, 0.1}, {"e", sep, newer, 0.8}},
		{{"a", nov, older, 0.1}, {"b", nov, newer, 0.7}, {"d", nov, older, 0.5}, {"d", nov, older.Add(time.Hour), 0.6}},
		{{"a", nov, older, 0.1}, {"d", nov, older.Add(time.Hour), 0.6}},
		{{"a", nov, newer, 0.9}},
		{{"f", nov, older, 0.5}},
	}
	stmts = DDL(sessions, db)
	live := map[string]map[string]bool{} // partition -> keys it holds
	for i, rows := range loads {
		stg, rebuilt := fmt.Sprintf("_stg_t_sessions_%012d", 2*i), fmt.Sprintf("_stg_t_sessions_%012d", 2*i+1)
		stmts = append(stmts,
			stagingDDL(q(stg), q(sessions.Name), ""),
			stagingDDL(q(rebuilt), q(sessions.Name), ""))
		parts := map[string]bool{}
		keys := map[string]map[string]int{}
		var order []string
		for _, r := range rows {
			stmts = append(stmts, fmt.Sprintf("INSERT INTO %s (%s) SELECT '%s', %s, %s, %v, NULL, 0, ['t'], NULL, NULL, toDate(%s), %s, 'run%d'",
				q(stg), identList(columnNames(sessions)), r.id, ts(r.created), ts(r.last), r.progress, ts(r.created), ts(r.last), i))
			p := r.created.Format("200601")
			if !parts[p] {
				order = append(order, p)
				keys[p] = map[string]int{}
			}
			parts[p] = true
			keys[p][r.id]++
		}
		checks = append(checks, len(stmts))
		stmts = append(stmts, oneRowPerKeyQuery(sessions, q(stg))+" ORDER BY p")
		var candidates []string
		for _, p := range order {
			if live[p] != nil && oneEach(keys[p]) {
				candidates = append(candidates, p)
			}
		}
		if len(candidates) > 0 {
			checks = append(checks, len(stmts))
			stmts = append(stmts, liveKeysTouchedQuery(sessions, q(sessions.Name), q(stg), candidates)+" ORDER BY p")
		}
		for _, p := range order {
			touched := false
			for k := range keys[p] {
				touched = touched || live[p][k]
			}
			switch {
			case live[p] == nil && oneEach(keys[p]):
				stmts = append(stmts, replacePartition(q(sessions.Name), p, q(stg)))
			case oneEach(keys[p]) && !touched:
				stmts = append(stmts, attachPartition(q(sessions.Name), p, q(stg)))
			default:
				stmts = append(stmts, mergeRebuild(sessions, q(sessions.Name), q(stg), q(rebuilt), p, live[p] != nil), replacePartition(q(sessions.Name), p, q(rebuilt)))
			}
			if live[p] == nil {
				live[p] = map[string]bool{}
			}
			for k := range keys[p] {
				live[p][k] = true
			}
		}
		stmts = append(stmts, dropTable(q(stg)), dropTable(q(rebuilt)))
	}
	return stmts, checks
}

func oneEach(keys map[string]int) bool {
	for _, n := range keys {
		if n != 1 {
			return false
		}
	}
	return true
}

var mergeScenarioWant = []map[string]any{
	{"id": "a", "progress": 0.9}, {"id": "b", "progress": 0.7}, {"id": "c", "progress": 0.3}, {"id": "d", "progress": 0.6}, {"id": "e", "progress": 0.8}, {"id": "f", "progress": 0.5}, {"id": "old", "progress": 0.4},
}

// mergeScenarioChecks is what the check statements return: only 202609 of
// the first load and 202611 of the second have a key twice; the reruns
// bring live keys again (a and d, then a), the last load none.
var mergeScenarioChecks = []string{
	"202609:0 202610:1 202611:1",
	"202611:0",
	"202611:1", "202611:2",
	"202611:1", "202611:1",
	"202611:1", "",
}

// checkRows prints the rows of a check statement as "p:value ...".
func checkRows(rows []map[string]any) string {
	var out []string
	for _, r := range rows {
		v, ok := r["one_row_per_key"]
		if !ok {
			v = r["touched"]
		}
		out = append(out, fmt.Sprintf("%v:%v", r["p"], v))
	}
	return strings.Join(out, " ")
}

// The merge load's SQL (the one-row-per-key check, the swap of a fresh
// partition straight from staging, the partition rebuild) keeps the newest
// row per key, ties to the new load, on 18.16 and on current ClickHouse
// alike: the same statements, no version switch needed.
func TestMergeRebuildStatementsOn1816AndChDB(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	stmts, checks := mergeScenarioStatements(quoteIdent(s.Database()))
	var got []string
	for i, stmt := range stmts {
		if len(got) < len(checks) && checks[len(got)] == i {
			got = append(got, checkRows(testsupport.ClickHouseQuery(t, dsn, stmt)))
			continue
		}
		require.NoError(t, s.exec(ctx, stmt), stmt)
	}
	assert.Equal(t, mergeScenarioChecks, got, "18.16")
	assert.Equal(t, mergeScenarioWant, testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT id, progress FROM `%s`.t_sessions ORDER BY id", s.Database())), "18.16")

	db := "`etl_chdb`"
	stmts, checks = mergeScenarioStatements(db)
	out := testsupport.ChDB(t, append(append([]string{"CREATE DATABASE " + db}, stmts...), "SELECT id, progress FROM "+db+".t_sessions ORDER BY id")...)
	assert.Equal(t, mergeScenarioWant, out[len(out)-1], "chdb")
	for i, at := range checks {
		assert.Equal(t, mergeScenarioChecks[i], checkRows(out[at+1]), "chdb: one row per key, load %d", i)
	}
}

// The move of an old deployment runs on current ClickHouse too: the old
// bot DDL (its engine's version column is not the declared one), rows with
// several versions per key, then the move's statements (create, copy per
// month, drop the view, rename, drop the raw table) keep the newest row of
// each key by the declared version, column for column.
func TestLegacyMoveStatementsOnChDB(t *testing.T) {
	db := "`etl_chdb`"
	tbl := bot.UsersTable
	old, err := os.ReadFile("testdata/legacy-bot-seen-at/10_bot.sql")
	require.NoError(t, err)
	// Current releases collapse an insert block by the engine's version
	// column (optimize_on_insert); 18.16 never did, and that is the state
	// an old deployment is in.
	stmts := []string{"SET optimize_on_insert = 0", "CREATE DATABASE " + db}
	for _, stmt := range SplitStatements(string(old)) {
		stmts = append(stmts, strings.ReplaceAll(stmt, DatabaseToken, db))
	}
	q := func(n string) string { return db + "." + quoteIdent(n) }
	raw, tmp := q(LegacyRawTable(tbl)), q(migratingPrefix+tbl.Name)
	exprs := make([]string, len(tbl.Columns))
	for i, c := range tbl.Columns {
		exprs[i] = legacyExpr(tbl, c)
	}
	for _, part := range [][2]int{{0, legacyRows}} {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM system.numbers WHERE number >= %d LIMIT %d",
			raw, identList(columnNames(tbl)), strings.Join(exprs, ", "), part[0], part[1]-part[0]))
	}
	stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM %s", q("snap"), raw))
	stmts = append(stmts, createTable(tbl, db, migratingPrefix+tbl.Name))
	months := map[string]bool{}
	for k := 0; k < legacyKeys; k++ {
		m := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(k) * 9 * 24 * time.Hour).Format("200601")
		if !months[m] {
			stmts = append(stmts, legacyCopy(tbl, raw, tmp, identList(columnNames(tbl)), partitionFilter(tbl, m)))
		}
		months[m] = true
	}
	cols := identList(columnNames(tbl))
	ids := "'" + strings.Join(newestRunIDs(), "', '") + "'"
	stmts = append(stmts,
		dropTable(q(tbl.Name)),
		renameTable(tmp, q(tbl.Name)),
		dropTable(raw),
		fmt.Sprintf("SELECT %s FROM %s ORDER BY toUInt64(_run_id)", cols, q(tbl.Name)),
		fmt.Sprintf("SELECT %s FROM %s WHERE _run_id IN (%s) ORDER BY toUInt64(_run_id)", cols, q("snap"), ids),
		fmt.Sprintf("SELECT count() AS n FROM system.tables WHERE database = 'etl_chdb' AND name IN ('%s', '%s')", LegacyRawTable(tbl), migratingPrefix+tbl.Name),
	)
	out := testsupport.ChDB(t, stmts...)
	n := len(out)
	require.Len(t, out[n-2], legacyKeys)
	assert.Equal(t, out[n-2], out[n-3], "the moved table holds the newest row of every key")
	assert.Equal(t, []map[string]any{{"n": int64(0)}}, out[n-1])
}
