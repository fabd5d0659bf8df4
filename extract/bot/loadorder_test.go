package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/load/clickhouse"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// The two windows of the report: a recent one, then an older backfill.
var (
	lateWindow  = window.New(time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC))
	earlyWindow = window.New(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC))
)

// Data columns (no _extracted_at/_run_id, which say when, not what).
var (
	userColumns        = "channel_id, user_id, user_name, created_at, first_interacted_at, last_interacted_at, seen_at"
	customFieldColumns = "channel_id, bot_user_id, custom_fields, seen_at"
)

// loadWindows runs users and transcripts over each window in turn, each
// load an hour after the previous one, into sink.
func loadWindows(t *testing.T, h *harness, sink load.Sink, windows ...window.Window) {
	t.Helper()
	at := fakeNow
	for i, w := range windows {
		now := at.Add(time.Duration(i) * time.Hour)
		r := engine.NewRunner(engine.Options{Sink: sink, RunID: fmt.Sprintf("load%d", i), Now: func() time.Time { return now }})
		for _, name := range []string{StreamUsers, StreamTranscripts} {
			res := r.Run(context.Background(), h.streams[name], w)
			require.NoError(t, res.Err, "%s %s", name, w)
			require.Positive(t, res.Rows, "%s %s", name, w)
		}
	}
}

// usersInBoth counts users active in both windows: the keys whose rows the
// two loads fight over. Without any, the test could not fail.
func usersInBoth(h *harness) int {
	n := 0
	for _, ch := range h.cfg.Channels {
		early := map[string]bool{}
		for _, u := range h.fake.ActiveUsers(ch, earlyWindow.Start, earlyWindow.End) {
			early[u.ID] = true
		}
		for _, u := range h.fake.ActiveUsers(ch, lateWindow.Start, lateWindow.End) {
			if early[u.ID] {
				n++
			}
		}
	}
	return n
}

// Backfilling an older window after a newer one used to move bot_users'
// seen_at back (its version, last_interacted_at, is the same in every
// window, so the last insert won) and bot_user_custom_fields' row back to
// the older window (version _extracted_at). Both load orders must now end
// with the same rows: those of the newest window.
func TestBotUsersLoadOrderDoesNotMatterClickHouse(t *testing.T) {
	h := newHarness(t, botfake.Options{}, nil)
	require.Positive(t, usersInBoth(h), "the windows share users")
	query := func(dsn, sql string) []map[string]any { return testsupport.ClickHouseQuery(t, dsn, sql) }
	open := func() (string, load.Sink) {
		dsn := testsupport.FreshDatabase(t)
		sink, err := clickhouse.Open(context.Background(), dsn, clickhouse.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = sink.Close() })
		return dsn, sink
	}
	seenLate := fmt.Sprintf("SELECT count() AS n FROM %s WHERE seen_at >= '2026-03-08 00:00:00'", TableUsers)

	newFirst, sinkA := open()
	loadWindows(t, h, sinkA, lateWindow)
	before := query(newFirst, seenLate)
	loadWindows(t, h, sinkA, earlyWindow)
	assert.Equal(t, before, query(newFirst, seenLate), "users seen in the late window stay seen there after the backfill")

	oldFirst, sinkB := open()
	loadWindows(t, h, sinkB, earlyWindow, lateWindow)

	for _, q := range []string{
		"SELECT " + userColumns + " FROM " + TableUsers + " ORDER BY channel_id, user_id",
		"SELECT toDate(seen_at) AS day, count() AS users FROM " + TableUsers + " GROUP BY day ORDER BY day",
		"SELECT " + customFieldColumns + " FROM " + TableCustomFields + " ORDER BY channel_id, bot_user_id",
	} {
		a, b := query(newFirst, q), query(oldFirst, q)
		require.NotEmpty(t, a, q)
		assert.Equal(t, a, b, "same table contents whatever the load order: %s", q)
	}
}

// The same with Parquet: the files hold the same rows in both orders, one
// per key, the newest (by the table's version, then _extracted_at).
func TestBotUsersLoadOrderDoesNotMatterParquet(t *testing.T) {
	h := newHarness(t, botfake.Options{}, nil)
	require.Positive(t, usersInBoth(h), "the windows share users")
	open := func() (string, load.Sink) {
		dir := t.TempDir()
		sink, err := pqsink.New(dir, pqsink.Options{Now: func() time.Time { return fakeNow }})
		require.NoError(t, err)
		t.Cleanup(func() { _ = sink.Close() })
		return dir, sink
	}
	newFirst, sinkA := open()
	loadWindows(t, h, sinkA, lateWindow, earlyWindow)
	oldFirst, sinkB := open()
	loadWindows(t, h, sinkB, earlyWindow, lateWindow)

	for _, tc := range []struct {
		table   *schemas.Table
		columns string
	}{{UsersTable, userColumns}, {CustomFieldsTable, customFieldColumns}} {
		from := func(dir string) string {
			return fmt.Sprintf("read_parquet('%s', hive_partitioning = true)", filepath.Join(dir, tc.table.Name, "**", "*.parquet"))
		}
		all := func(dir string) string {
			return "SELECT " + tc.columns + " FROM " + from(dir) + " ORDER BY " + tc.columns
		}
		key := strings.Join(tc.table.Key, ", ")
		newest := func(dir string) string {
			return fmt.Sprintf("SELECT %s FROM (SELECT *, row_number() OVER (PARTITION BY %s ORDER BY %s DESC, _extracted_at DESC) AS rn FROM %s) WHERE rn = 1 ORDER BY %s",
				tc.columns, key, tc.table.Version, from(dir), key)
		}
		a := testsupport.DuckDB(t, all(newFirst))
		require.NotEmpty(t, a)
		assert.Equal(t, a, testsupport.DuckDB(t, all(oldFirst)), "%s: same rows in both orders", tc.table.Name)
		latest := testsupport.DuckDB(t, newest(newFirst))
		assert.Equal(t, latest, testsupport.DuckDB(t, newest(oldFirst)), "%s: same newest row per key in both orders", tc.table.Name)
		assert.Len(t, a, len(latest), "%s: the files hold one row per key", tc.table.Name)
	}
}
