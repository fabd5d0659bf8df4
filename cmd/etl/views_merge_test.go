package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/load/clickhouse"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/views"
	"github.com/adoptionlabs/etl/window"
)

func loadInto(t *testing.T, s load.Sink, tbl *schemas.Table, w window.Window, rows []map[string]any) {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	wr, err := s.Begin(ctx, tbl, w, "test.stream", "run")
	require.NoError(t, err)
	b := transform.NewBatcher(mem, tbl, transform.Meta{RunID: "run", ExtractedAt: time.Now()}, 100, nil)
	defer b.Release()
	for _, r := range rows {
		require.NoError(t, b.Append(r))
	}
	if rec := b.Flush(); rec != nil {
		require.NoError(t, wr.Write(ctx, rec))
		rec.Release()
	}
	require.NoError(t, wr.Commit(ctx))
}

// A session seen again on a later day is one row, its latest state, in
// ClickHouse and in the Parquet files, so a session counts once on both,
// through the views and in the files read directly.
func TestViewsCountASessionSeenTwiceOnce(t *testing.T) {
	tables := map[string]*schemas.Table{}
	for _, tbl := range defaultTables(t) {
		tables[tbl.Name] = tbl
	}
	content, sessions := tables["userflow_content"], tables["userflow_content_sessions"]
	require.NotNil(t, content)
	require.NotNil(t, sessions)

	dsn := testsupport.FreshDatabase(t)
	ctx := context.Background()
	ch, err := clickhouse.Open(ctx, dsn, clickhouse.Options{QueryTimeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ch.Close() })
	_, err = ch.Migrate(ctx, sql.Files)
	require.NoError(t, err)
	_, err = ch.ApplyViews(ctx, views.All)
	require.NoError(t, err)
	out := t.TempDir()
	pq, err := pqsink.New(out, pqsink.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pq.Close() })

	d1 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	d2 := d1.Add(window.Day)
	at := func(d time.Time, h int) time.Time { return d.Add(time.Duration(h) * time.Hour) }
	session := func(id string, created, last time.Time, done bool, progress float64) map[string]any {
		r := map[string]any{"id": id, "content_id": "f1", "user_id": "u-" + id, "version_id": "v1",
			"created_at": created, "last_activity_at": last, "completed": done, "progress": progress,
			"is_preview": false, "launcher_activated": false}
		if done {
			r["completed_at"] = last
		}
		return r
	}
	for _, s := range []load.Sink{ch, pq} {
		loadInto(t, s, content, window.New(d1, d2.Add(window.Day)), []map[string]any{
			{"id": "f1", "name": "Tour", "type": "flow", "created_at": d1.AddDate(0, -1, 0)},
		})
		loadInto(t, s, sessions, window.New(d1, d2), []map[string]any{
			session("s1", at(d1, 10), at(d1, 11), false, 0.4),
			session("s2", at(d1, 12), at(d1, 13), true, 1),
		})
		// The next night: s1 went on and finished.
		loadInto(t, s, sessions, window.New(d2, d2.Add(window.Day)), []map[string]any{
			session("s1", at(d1, 10), at(d2, 9), true, 1),
		})
	}

	db := dsn[strings.LastIndex(dsn, "/")+1:]
	want := []map[string]any{{"day": "2026-11-02", "flow_name": "Tour", "starts": int64(2), "completions": int64(2), "completion_rate": int64(1)}} // JSON prints 1.0 as 1
	q := "SELECT day, flow_name, starts, completions, completion_rate FROM %s ORDER BY day"
	assert.Equal(t, want, testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf(q, "`"+db+"`.userflow_flow_daily")))

	stmts, err := views.Script(views.DuckDB, defaultTables(t), out, "", func(table string) bool {
		return table == "userflow_content" || table == "userflow_content_sessions"
	})
	require.NoError(t, err)
	setup := strings.Join(stmts, ";\n") + ";\n"
	assert.Equal(t, want, testsupport.DuckDB(t, setup+fmt.Sprintf(q, "userflow_flow_daily")))
	raw := testsupport.DuckDB(t, fmt.Sprintf("SELECT count(*) AS n FROM read_parquet('%s/userflow_content_sessions/*/*.parquet')", out))
	assert.Equal(t, []map[string]any{{"n": int64(2)}}, raw, "the files hold s1 once")
	assert.Equal(t, []map[string]any{{"n": int64(2), "done": int64(2)}},
		testsupport.DuckDB(t, setup+"SELECT count(*) AS n, CAST(sum(CASE WHEN completed THEN 1 ELSE 0 END) AS BIGINT) AS done FROM userflow_content_sessions"))
}
