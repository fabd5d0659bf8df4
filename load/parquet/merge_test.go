package parquet

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// lastSeen is a Merge table whose day depends on the window, like the bot's
// users: seen_at is the user's last interaction when it falls inside the
// window, else the window's last second, and it is both version and day.
var lastSeen = &schemas.Table{
	Name: "last_seen",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String},
		schemas.Column{Name: "seen_at", Type: schemas.Timestamp},
	),
	Disposition: schemas.Merge,
	Key:         []string{"id"},
	Version:     "seen_at",
	Day:         "seen_at",
}

// listUsers is what a bot-like API returns for a window: the users active in
// it, with seen_at as extract/bot/users.go derives it.
func listUsers(activity map[string][]time.Time, w window.Window) []row {
	var out []row
	for _, id := range slices.Sorted(maps.Keys(activity)) {
		acts := activity[id]
		if !slices.ContainsFunc(acts, w.Contains) {
			continue
		}
		last := slices.MaxFunc(acts, func(a, b time.Time) int { return a.Compare(b) })
		seen := last
		if !w.Contains(last) {
			seen = w.End.Add(-time.Second)
		}
		out = append(out, row{"id": id, "seen_at": seen, "_extracted_at": time.Unix(0, 0).UTC(), "_run_id": "run1"})
	}
	return out
}

// newestPerKey reads the table with DuckDB, a reader that did not write
// it, every row: one per id, its seen_at.
func newestPerKey(t *testing.T, dir string) []map[string]any {
	t.Helper()
	glob := strings.ReplaceAll(filepath.Join(dir, lastSeen.Name, "**", "*.parquet"), "'", "''")
	rows := testsupport.DuckDB(t, `
SELECT id, seen_at FROM read_parquet('`+glob+`', hive_partitioning = true)
ORDER BY id, seen_at`)
	for i := 1; i < len(rows); i++ {
		require.NotEqual(t, rows[i-1]["id"], rows[i]["id"], "a key in two rows")
	}
	return rows
}

// Windows loaded in another order give the same keys as one load of the
// whole range, one row each, the newest row any load carried (what
// ClickHouse keeps): a window that covers a day without listing a key
// there keeps it.
func TestMergeKeepsKeysAWindowDoesNotCarry(t *testing.T) {
	at := func(d string, h int) time.Time { return day(d).Add(time.Duration(h) * time.Hour) }
	activity := map[string][]time.Time{
		// active early and after the range: its rows sit on window ends
		"early-and-after": {at("2026-11-03", 9), at("2026-11-25", 9)},
		"early-and-late":  {at("2026-11-03", 9), at("2026-11-18", 9)},
		"only-middle":     {at("2026-11-12", 9)},
		"only-early":      {at("2026-11-02", 9)},
		"only-late":       {at("2026-11-19", 9)},
		"spans-overlap":   {at("2026-11-06", 9), at("2026-11-14", 9)},
	}
	whole := days("2026-11-01", "2026-11-20")
	sequence := []window.Window{
		days("2026-11-11", "2026-11-20"),
		days("2026-11-01", "2026-11-10"),
		days("2026-11-05", "2026-11-15"),
	}

	dirA, dirC := t.TempDir(), t.TempDir()
	loadRows(t, newSink(t, dirA, Options{}), lastSeen, whole, "bot.users", listUsers(activity, whole))

	sinkC := newSink(t, dirC, Options{})
	oracle := map[string]time.Time{} // ClickHouse: the greatest version any load carried
	for _, w := range sequence {
		rows := listUsers(activity, w)
		for _, r := range rows {
			if v := r["seen_at"].(time.Time); v.After(oracle[r["id"].(string)]) {
				oracle[r["id"].(string)] = v
			}
		}
		loadRows(t, sinkC, lastSeen, w, "bot.users", rows)
	}

	a, c := newestPerKey(t, dirA), newestPerKey(t, dirC)
	ids := func(rows []map[string]any) []any {
		var out []any
		for _, r := range rows {
			out = append(out, r["id"])
		}
		return out
	}
	require.Equal(t, ids(a), ids(c), "the windows in another order lost or added keys")
	require.Len(t, c, len(activity))
	var want []map[string]any
	for _, id := range slices.Sorted(maps.Keys(oracle)) {
		want = append(want, map[string]any{"id": id, "seen_at": oracle[id].Format(time.RFC3339Nano)})
	}
	assert.Equal(t, want, c, "newest row per key differs from the greatest version loaded")
}

// A live row newer than the incoming row of its key stays (the newer
// version wins, as in ClickHouse) and the incoming row goes; an older live
// row goes. One row a key, whatever day its versions fall on.
func TestMergeReplacedDayKeepsNewerVersion(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		w := days("2026-11-01", "2026-11-10")
		ts := func(d string) time.Time { return day(d).Add(12 * time.Hour) }
		meta := func(id string, seen time.Time) row {
			return row{"id": id, "seen_at": seen, "_extracted_at": time.Unix(0, 0).UTC(), "_run_id": "run1"}
		}
		loadRows(t, s, lastSeen, w, "bot.users", []row{meta("newer-kept", ts("2026-11-09")), meta("older-replaced", ts("2026-11-02"))})
		loadRows(t, s, lastSeen, w, "bot.users", []row{meta("newer-kept", ts("2026-11-03")), meta("older-replaced", ts("2026-11-08"))})

		got := map[string][]string{}
		for _, r := range readTable(t, dir, lastSeen) {
			got[r["id"].(string)] = append(got[r["id"].(string)], r["seen_at"].(time.Time).Format(time.DateOnly))
		}
		assert.Equal(t, map[string][]string{
			"newer-kept":     {"2026-11-09"},
			"older-replaced": {"2026-11-08"},
		}, got, fmt.Sprint("rows by key: ", got))
		assert.Equal(t, []map[string]any{
			{"id": "newer-kept", "seen_at": "2026-11-09T12:00:00Z"},
			{"id": "older-replaced", "seen_at": "2026-11-08T12:00:00Z"},
		}, newestPerKey(t, dir))
	})
}

// A partition holding a file written before a column was added keeps that
// file's rows of keys a merge load does not carry, with the new column
// null: carried over as it is while it loses no row, read in today's
// schema when a load replaces one of its rows.
func TestMergeKeepsRowsOfAnOlderSchema(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		before := *lastSeen
		before.Name = "last_seen_v"
		after := before
		after.Columns = schemas.WithMeta(
			schemas.Column{Name: "id", Type: schemas.String},
			schemas.Column{Name: "seen_at", Type: schemas.Timestamp},
			schemas.Column{Name: "note", Type: schemas.String, Nullable: true},
		)
		w := days("2026-11-01", "2026-11-10")
		seen := day("2026-11-04").Add(time.Hour)
		meta := row{"_extracted_at": time.Unix(0, 0).UTC(), "_run_id": "run1"}
		with := func(r row) row { maps.Copy(r, meta); return r }
		loadRows(t, s, &before, w, "bot.users", []row{with(row{"id": "old", "seen_at": seen}), with(row{"id": "old2", "seen_at": seen})})
		loadRows(t, s, &after, w, "bot.users", []row{with(row{"id": "new", "seen_at": seen, "note": "x"})})

		read := func() map[string]any {
			glob := strings.ReplaceAll(filepath.Join(dir, after.Name, "*.parquet"), "'", "''")
			got := map[string]any{}
			for _, r := range testsupport.DuckDB(t, "SELECT id, note FROM read_parquet('"+glob+"', union_by_name = true)") {
				require.NotContains(t, got, r["id"], "a key in two rows")
				got[r["id"].(string)] = r["note"]
			}
			return got
		}
		assert.Equal(t, map[string]any{"old": nil, "old2": nil, "new": "x"}, read())

		loadRows(t, s, &after, w, "bot.users", []row{with(row{"id": "old", "seen_at": seen.Add(time.Hour), "note": "y"})})
		assert.Equal(t, map[string]any{"old": "y", "old2": nil, "new": "x"}, read(), "the older file rewritten in today's schema")
		for _, f := range must(ListFiles(context.Background(), dir, after.Name)) {
			assert.Len(t, readFile(t, f, &after), int(footerRows(t, f)), "every file is in today's schema now")
		}
	})
}

// channelUsers has a key of two columns, one of them an integer, like the
// bot's users.
var channelUsers = &schemas.Table{
	Name: "channel_users",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "channel_id", Type: schemas.Int64},
		schemas.Column{Name: "user_id", Type: schemas.String},
		schemas.Column{Name: "seen_at", Type: schemas.Timestamp},
	),
	Disposition: schemas.Merge,
	Key:         []string{"channel_id", "user_id"},
	Version:     "seen_at",
	Day:         "seen_at",
}

// A rerun compares the keys it staged, read back from its files across row
// groups, with the old rows' keys: an integer key part and a key made of
// several columns match exactly, so an old row goes only when the load
// carries its key at the same or a newer version, and a row of the load
// goes when the old row of its key is newer.
func TestMergeRerunMatchesKeysOfSeveralColumns(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{RowGroupRows: 2})
		w := days("2026-11-01", "2026-11-10")
		at := func(d string, h int) time.Time { return day(d).Add(time.Duration(h) * time.Hour) }
		u := func(channel int, user string, seen time.Time) row {
			return row{"channel_id": channel, "user_id": user, "seen_at": seen, "_extracted_at": time.Unix(0, 0).UTC(), "_run_id": "run1"}
		}
		loadRows(t, s, channelUsers, w, "bot.users", []row{
			u(1, "a", at("2026-11-09", 1)), u(1, "b", at("2026-11-02", 1)), u(2, "a", at("2026-11-03", 1)), u(10, "a", at("2026-11-05", 1)),
			u(3, "x", at("2026-11-03", 1)), u(4, "x", at("2026-11-03", 1)), u(5, "x", at("2026-11-03", 1)),
		})
		loadRows(t, s, channelUsers, w, "bot.users", []row{
			u(1, "a", at("2026-11-03", 2)),  // older than the old row: the old row stays
			u(1, "b", at("2026-11-08", 2)),  // newer: the old row goes
			u(10, "a", at("2026-11-05", 1)), // a tie goes to the load
			u(3, "x", at("2026-11-03", 2)), u(4, "x", at("2026-11-03", 2)), u(5, "x", at("2026-11-03", 2)),
			// (2, a) is not carried: its old row stays
		})

		got := map[string][]string{}
		for _, r := range readTable(t, dir, channelUsers) {
			k := fmt.Sprint(r["channel_id"], "/", r["user_id"])
			got[k] = append(got[k], r["seen_at"].(time.Time).Format("01-02T15"))
		}
		for _, v := range got {
			slices.Sort(v)
		}
		assert.Equal(t, map[string][]string{
			"1/a":  {"11-09T01"},
			"1/b":  {"11-08T02"},
			"2/a":  {"11-03T01"},
			"10/a": {"11-05T01"},
			"3/x":  {"11-03T02"},
			"4/x":  {"11-03T02"},
			"5/x":  {"11-03T02"},
		}, got)
	})
}
