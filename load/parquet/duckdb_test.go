package parquet

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/testsupport"
)

// DuckDB, an independent reader, sees the types, values and dt partition
// the README promises.
func TestDuckDBReadsTheFiles(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, Options{})
	extracted := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	loadRows(t, s, allTypesDaily, days("2026-01-02", "2026-01-03"), "userflow.content_sessions", []row{
		{
			"id": "a", "at": time.Date(2026, 1, 2, 23, 59, 59, 999_000_000, time.UTC),
			"label": "Zoë ✓ 日本語", "n": math.MaxInt64, "score": 45.5, "ok": true,
			"seen_at": time.Date(1969, 12, 31, 23, 59, 59, 1_000_000, time.UTC), "on_day": day("2026-01-02"),
			"tags": []string{"onboarding", "", "ünï"}, "payload": `{"k":[1,2]}`,
			"_extracted_at": extracted, "_run_id": "run1",
		},
		{"id": "b", "at": time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), "n": -7, "_extracted_at": extracted, "_run_id": "run1"},
	})
	glob := strings.ReplaceAll(filepath.Join(dir, allTypesDaily.Name, "*", "*.parquet"), "'", "''")

	rows := testsupport.DuckDB(t, `
SET TimeZone = 'America/Los_Angeles';
SELECT id, "at", label, n, score, ok, seen_at, on_day, tags, payload, _extracted_at, _run_id, dt,
       typeof("at") AS at_type, typeof(tags) AS tags_type, typeof(dt) AS dt_type, typeof(n) AS n_type,
       typeof(on_day) AS on_day_type, typeof(payload) AS payload_type,
       strftime("at" AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g') AS at_utc
FROM read_parquet('`+glob+`', hive_partitioning = true)
ORDER BY id`)
	require.Len(t, rows, 2)
	assert.Equal(t, map[string]any{
		"id": "a", "at": "2026-01-02T23:59:59.999Z", "label": "Zoë ✓ 日本語", "n": "9223372036854775807",
		"score": 45.5, "ok": true, "seen_at": "1969-12-31T23:59:59.001Z", "on_day": "2026-01-02",
		"tags": []any{"onboarding", "", "ünï"}, "payload": `{"k":[1,2]}`,
		"_extracted_at": "2026-03-04T05:06:07.89Z", "_run_id": "run1", "dt": "2026-01-02",
		"at_type": "TIMESTAMP WITH TIME ZONE", "tags_type": "VARCHAR[]", "dt_type": "DATE", "n_type": "BIGINT",
		"on_day_type": "DATE", "payload_type": "VARCHAR",
		"at_utc": "2026-01-02 23:59:59.999",
	}, rows[0])
	assert.Equal(t, map[string]any{
		"id": "b", "at": "2026-01-03T00:00:00Z", "label": nil, "n": int64(-7),
		"score": nil, "ok": nil, "seen_at": nil, "on_day": nil,
		"tags": []any{}, "payload": nil,
		"_extracted_at": "2026-03-04T05:06:07.89Z", "_run_id": "run1", "dt": "2026-01-03",
		"at_type": "TIMESTAMP WITH TIME ZONE", "tags_type": "VARCHAR[]", "dt_type": "DATE", "n_type": "BIGINT",
		"on_day_type": "DATE", "payload_type": "VARCHAR",
		"at_utc": "2026-01-03 00:00:00.000",
	}, rows[1])

	counts := testsupport.DuckDB(t, `SELECT count(*) AS n FROM read_parquet('`+glob+`', hive_partitioning = true) WHERE dt = DATE '2026-01-03'`)
	assert.Equal(t, []map[string]any{{"n": int64(1)}}, counts, "the dt column filters like a date")
}

// Thousands of rows through the column writers: records routed to several
// days each, row groups, pages and write chunks ending mid-record, nulls at
// every position of every nullable column, lists of every length up to 3
// (with an empty string among the elements). DuckDB reads back exactly
// what was written.
func TestDuckDBReadsManyRowsOfEveryType(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, Options{RowGroupRows: 700})
	const n = 3000
	base := day("2026-01-02")
	rows := make([]row, n)
	want := make([]map[string]any, n)
	for i := range rows {
		at := base.Add(time.Duration(i%3)*24*time.Hour + time.Duration(i)*time.Second + time.Duration(i%1000)*time.Millisecond)
		r := row{"id": fmt.Sprintf("r%05d", i), "at": at, "_extracted_at": base, "_run_id": "run1"}
		w := map[string]any{"id": r["id"], "at_ms": at.UnixMilli(), "dt": at.Format(time.DateOnly),
			"label": nil, "n": nil, "score": nil, "ok": nil, "seen_ms": nil, "on_day": nil, "payload": nil}
		if i%2 == 0 {
			r["label"] = fmt.Sprintf("label %d ✓", i)
			w["label"] = r["label"]
		}
		if i%3 != 1 {
			r["n"] = i - 1500
			w["n"] = int64(i - 1500)
		}
		if i%5 != 0 {
			r["score"] = float64(i) + 0.25
			w["score"] = r["score"]
		}
		if i%7 != 3 {
			r["ok"] = i%2 == 0
			w["ok"] = r["ok"]
		}
		if i%4 != 2 {
			seen := time.UnixMilli(int64(i)*1_000_003 - 500_000_000).UTC()
			r["seen_at"] = seen
			w["seen_ms"] = seen.UnixMilli()
		}
		if i%6 != 5 {
			r["on_day"] = base.AddDate(0, 0, i%40-20)
			w["on_day"] = r["on_day"].(time.Time).Format(time.DateOnly)
		}
		tags := []any{}
		for j := range i % 4 {
			tag := fmt.Sprintf("t%d-%d", i, j)
			if j == 1 {
				tag = ""
			}
			r["tags"] = append(asStrings(r["tags"]), tag)
			tags = append(tags, tag)
		}
		w["tags"] = tags
		if i%9 != 0 {
			r["payload"] = fmt.Sprintf(`{"i":%d}`, i)
			w["payload"] = r["payload"]
		}
		rows[i], want[i] = r, w
	}
	loadRows(t, s, allTypesDaily, days("2026-01-02", "2026-01-04"), "userflow.content_sessions", rows[:1700], rows[1700:])
	glob := strings.ReplaceAll(filepath.Join(dir, allTypesDaily.Name, "*", "*.parquet"), "'", "''")

	got := testsupport.DuckDB(t, `
SELECT id, epoch_ms("at") AS at_ms, label, n, score, ok, epoch_ms(seen_at) AS seen_ms, on_day, tags, payload, dt
FROM read_parquet('`+glob+`', hive_partitioning = true)
ORDER BY id`)
	require.Len(t, got, n)
	for i := range want {
		require.Equal(t, want[i], got[i], "row %d", i)
	}
}

func asStrings(v any) []string {
	s, _ := v.([]string)
	return s
}

// Min/max statistics, as DuckDB reads them: kept for the columns a filter
// can prune by (times, dates, numbers), left out for text, whose min/max
// prunes nothing (textWithoutBounds); null counts for every column.
func TestDuckDBReadsStatisticsOfNonTextColumns(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, Options{})
	extracted := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	loadRows(t, s, allTypes, days("2026-01-02", "2026-01-03"), "userflow.content_sessions", []row{
		{"id": "a", "at": time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC), "label": "x", "n": 3, "payload": `{}`, "_extracted_at": extracted, "_run_id": "run1"},
		{"id": "b", "at": time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC), "n": 9, "_extracted_at": extracted, "_run_id": "run1"},
	})
	glob := strings.ReplaceAll(filepath.Join(dir, allTypes.Name, "*", "*.parquet"), "'", "''")
	rows := testsupport.DuckDB(t, `SELECT path_in_schema AS col, stats_min_value IS NOT NULL AS has_min, stats_max_value IS NOT NULL AS has_max, stats_null_count AS nulls
FROM parquet_metadata('`+glob+`') ORDER BY column_id`)
	got := map[string][]any{}
	for _, r := range rows {
		got[fmt.Sprint(r["col"])] = []any{r["has_min"], r["has_max"], r["nulls"]}
	}
	assert.Equal(t, []any{true, true, int64(0)}, got["at"], "a timestamp keeps min/max")
	assert.Equal(t, []any{true, true, int64(0)}, got["n"], "a number keeps min/max")
	assert.Equal(t, []any{false, false, int64(0)}, got["id"], "text has no min/max")
	assert.Equal(t, []any{false, false, int64(1)}, got["label"], "text has no min/max, and keeps its null count")
	assert.Equal(t, []any{false, false, int64(1)}, got["payload"], "JSON text has no min/max")
}
