package parquet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/bot"
	"github.com/adoptionlabs/etl/extract/userflow"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/testsupport"
)

// earlierRelease is a directory the release before merge tables held one
// row per key wrote (testdata/earlier-release/generate): a Userflow
// backfill run again after sessions came back, and bot windows loaded out
// of order, so that keys sit in two dt= days.
const earlierRelease = "testdata/earlier-release"

// fixtureTables are the tables of the fixture, as declared today.
var fixtureTables = []*schemas.Table{userflow.SessionsTable, userflow.AnswersTable, bot.UsersTable, bot.CustomFieldsTable, bot.UsageTable, schemas.Rejects}

// copyTree copies the fixture's data into a new directory.
func copyTree(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(filepath.Join(to, rel))
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		return errors.Join(err, out.Close())
	})
	require.NoError(t, err)
	return to
}

// keyList is a table's key as a DuckDB expression list.
func keyList(t *schemas.Table) string { return `"` + strings.Join(t.Key, `", "`) + `"` }

// newestRows is what a reader of the earlier layout had to compute (the
// row_number() filter docs/bi.md asked for) and what the converted table
// must hold as it is: per key, the greatest version, then the latest
// _extracted_at. Every column of every row, as DuckDB reads it (one query
// for all the tables), ordered by the key, by table.
func newestRows(t *testing.T, dir string, tables []*schemas.Table, dedupe bool) map[string][]string {
	t.Helper()
	var selects []string
	for _, tbl := range tables {
		glob := strings.ReplaceAll(filepath.Join(dir, tbl.Name, "**", "*.parquet"), "'", "''")
		cols := make([]string, len(tbl.Columns))
		for i, c := range tbl.Columns {
			cols[i] = `"` + c.Name + `"`
		}
		q := fmt.Sprintf("SELECT %s FROM read_parquet('%s', union_by_name = true)", strings.Join(cols, ", "), glob)
		if dedupe {
			q += fmt.Sprintf(" QUALIFY row_number() OVER (PARTITION BY %s ORDER BY %q DESC, _extracted_at DESC) = 1", keyList(tbl), tbl.Version)
		}
		selects = append(selects, fmt.Sprintf("SELECT '%s' AS t, to_json(x)::VARCHAR AS r FROM (%s) x", tbl.Name, q))
	}
	out := map[string][]string{}
	for _, r := range testsupport.DuckDB(t, strings.Join(selects, "\nUNION ALL ")+"\nORDER BY t, r") {
		out[r["t"].(string)] = append(out[r["t"].(string)], r["r"].(string))
	}
	return out
}

// A directory written by the earlier release converts, table by table, to
// one row per key: the row a reader's row_number() filter picked, in the
// new layout. Other tables keep their files; running it again changes
// nothing; each converted table says so in one log line.
func TestMigrateConvertsADirectoryOfTheEarlierRelease(t *testing.T) {
	dir := copyTree(t, filepath.Join(earlierRelease, "data"))
	var manifest struct {
		Sessions int `json:"userflow_sessions_in_range"`
	}
	require.NoError(t, json.Unmarshal(must(os.ReadFile(filepath.Join(earlierRelease, "manifest.json"))), &manifest))
	reference := copyTree(t, filepath.Join(earlierRelease, "data"))

	var logs logBuffer
	s := newSink(t, dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	untouched := map[string][]string{}
	for _, tbl := range []*schemas.Table{bot.UsageTable, schemas.Rejects} {
		untouched[tbl.Name] = must(ListFiles(context.Background(), dir, tbl.Name))
	}
	require.NoError(t, s.Migrate(context.Background(), fixtureTables))

	lines := strings.Split(strings.TrimSpace(logs.take()), "\n")
	assert.Len(t, lines, 4, "one line per converted table: %s", lines)
	for _, tbl := range fixtureTables {
		if tbl.Disposition != schemas.Merge {
			assert.Equal(t, untouched[tbl.Name], must(ListFiles(context.Background(), dir, tbl.Name)), "%s is not a merge table: its files stay", tbl.Name)
			continue
		}
		ok, err := inLayout(filepath.Join(dir, tbl.Name), layoutOf(tbl))
		require.NoError(t, err)
		assert.True(t, ok, tbl.Name)
	}
	merged := fixtureTables[:4]
	want, all, got := newestRows(t, reference, merged, true), newestRows(t, reference, merged, false), newestRows(t, dir, merged, false)
	for _, tbl := range merged {
		require.Less(t, len(want[tbl.Name]), len(all[tbl.Name]), "%s: the fixture holds keys in two rows", tbl.Name)
		assert.Equal(t, want[tbl.Name], got[tbl.Name], "%s: one row a key, the newest", tbl.Name)
	}
	glob := filepath.Join(dir, userflow.SessionsTable.Name, "**", "*.parquet")
	assert.Equal(t, []map[string]any{{"n": int64(manifest.Sessions), "k": int64(manifest.Sessions)}},
		testsupport.DuckDB(t, "SELECT count(*) AS n, count(DISTINCT id) AS k FROM read_parquet('"+glob+"', hive_partitioning = true)"),
		"the files hold as many sessions as the source")
	assert.Equal(t, []map[string]any{{"n": int64(manifest.Sessions)}},
		testsupport.ChDB(t, "SELECT count() AS n FROM file('"+glob+"', Parquet) SETTINGS use_hive_partitioning = 1")[0],
		"chdb counts the same")

	require.NoError(t, s.Migrate(context.Background(), fixtureTables))
	assert.Empty(t, logs.take(), "a second run has nothing to convert")
	assert.Empty(t, leftovers(t, dir))
}

// duckJSONTime is how DuckDB's to_json writes a TIMESTAMP WITH TIME ZONE.
const duckJSONTime = "2006-01-02 15:04:05.999999999-07"

// The first load of a table converts it, then merges into the new layout.
func TestMigrateOnTheFirstLoad(t *testing.T) {
	dir := copyTree(t, filepath.Join(earlierRelease, "data"))
	var reference []map[string]any
	for _, r := range newestRows(t, dir, []*schemas.Table{userflow.SessionsTable}, true)[userflow.SessionsTable.Name] {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(r), &m))
		reference = append(reference, m)
	}
	s := newSink(t, dir, Options{})
	ctx := context.Background()
	wr, err := s.Begin(ctx, userflow.SessionsTable, days("2026-11-19", "2026-11-20"), "userflow.content_sessions", "run2")
	require.NoError(t, err)
	ok, err := inLayout(filepath.Join(dir, userflow.SessionsTable.Name), layoutOf(userflow.SessionsTable))
	require.NoError(t, err)
	assert.True(t, ok, "Begin converted the table")
	// The newest session of the fixture comes back.
	last := reference[0]
	for _, r := range reference {
		if r["last_activity_at"].(string) > last["last_activity_at"].(string) {
			last = r
		}
	}
	created := must(time.Parse(duckJSONTime, last["created_at"].(string)))
	later := must(time.Parse(duckJSONTime, last["last_activity_at"].(string))).Add(time.Hour)
	rec := record(t, userflow.SessionsTable, []row{{"id": last["id"], "content_id": "c", "user_id": "u", "version_id": "v",
		"created_at": created, "last_activity_at": later, "completed": true, "progress": 1.0,
		"is_preview": false, "launcher_activated": false, "_extracted_at": day("2026-11-20"), "_run_id": "run2"}})
	require.NoError(t, wr.Write(ctx, rec))
	rec.Release()
	require.NoError(t, wr.Commit(ctx))
	glob := filepath.Join(dir, userflow.SessionsTable.Name, "**", "*.parquet")
	got := testsupport.DuckDB(t, "SELECT id, _run_id FROM read_parquet('"+glob+"')")
	require.Len(t, got, len(reference))
	found := false
	for _, r := range got {
		if r["id"] == last["id"] {
			assert.Equal(t, "run2", r["_run_id"], "the later activity replaced the converted row")
			found = true
		}
	}
	assert.True(t, found)
}

// A conversion killed at any step leaves the old files as they were (or,
// once swapped, the new ones), and the next run finishes it: nothing is
// lost, every key is one row.
func TestMigrateKilledMidwayIsFinishedByTheNextRun(t *testing.T) {
	merged := fixtureTables[:4]
	want := newestRows(t, filepath.Join(earlierRelease, "data"), merged, true)
	for _, step := range []string{"routed", "staged", "swapped"} {
		for _, mode := range []string{"exchange", "trash"} {
			t.Run(step+"/"+mode, func(t *testing.T) {
				dir := copyTree(t, filepath.Join(earlierRelease, "data"))
				before := must(ListFiles(context.Background(), dir, userflow.SessionsTable.Name))
				cmd := exec.Command(os.Args[0], "-test.run=^TestMigrateHelperProcess$")
				cmd.Env = append(os.Environ(), "ETL_TEST_MIGRATE_DIR="+dir, "ETL_TEST_MIGRATE_KILL="+step, "ETL_TEST_MIGRATE_SWAP="+mode)
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				require.ErrorAs(t, err, &ee, string(out))
				require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal(), "killed at %s: %s", step, out)

				if step != "swapped" {
					assert.Equal(t, before, must(ListFiles(context.Background(), dir, userflow.SessionsTable.Name)), "before the swap the old files are all there")
				}
				s := newSink(t, dir, Options{})
				require.NoError(t, s.Migrate(context.Background(), fixtureTables))
				assert.Equal(t, want, newestRows(t, dir, merged, false))
				assert.Empty(t, leftovers(t, dir))
			})
		}
	}
}

// TestMigrateHelperProcess is the process TestMigrateKilledMidway kills:
// it only runs when that test starts it.
func TestMigrateHelperProcess(t *testing.T) {
	dir := os.Getenv("ETL_TEST_MIGRATE_DIR")
	if dir == "" {
		return
	}
	if os.Getenv("ETL_TEST_MIGRATE_SWAP") == "trash" {
		exchangeDirs = func(a, b string) error { return errExchangeUnsupported }
	}
	kill := os.Getenv("ETL_TEST_MIGRATE_KILL")
	migrateStep = func(step string) {
		if step == kill {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		}
	}
	s, err := New(dir, Options{})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(context.Background(), fixtureTables))
	t.Fatal("the conversion was not killed")
}

// A crash between the two renames of a table's swap (the trash fallback)
// leaves the old table in the trash: New puts it back.
func TestNewPutsBackATableMovedAwayByAnInterruptedSwap(t *testing.T) {
	dir := copyTree(t, filepath.Join(earlierRelease, "data"))
	before := must(ListFiles(context.Background(), dir, bot.CustomFieldsTable.Name))
	trash := filepath.Join(dir, trashDir, "run9", bot.CustomFieldsTable.Name, "migrate-1", tableLevel)
	require.NoError(t, os.MkdirAll(filepath.Dir(trash), 0o755))
	require.NoError(t, os.Rename(filepath.Join(dir, bot.CustomFieldsTable.Name), trash))
	newSink(t, dir, Options{})
	assert.Equal(t, before, must(ListFiles(context.Background(), dir, bot.CustomFieldsTable.Name)))
}

// Old layouts made by hand: several streams' files in a day, a file in an
// older schema, more keys than a pass holds, an unpartitioned table; the
// conversion keeps per key the greatest version, then the latest
// extraction.
func TestMigrateKeepsTheNewestRowOfEveryLayout(t *testing.T) {
	for _, tc := range []struct {
		name string
		tbl  *schemas.Table
	}{{"partitioned", sessions}, {"unpartitioned", lastSeen}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// The earlier release's layout: by dt= of the day column, as a
			// replace-window table of the same columns writes it.
			byDay := *tc.tbl
			byDay.Disposition, byDay.Partition, byDay.Version = schemas.ReplaceWindow, "", ""
			older := byDay
			older.Columns = tc.tbl.Columns[:len(tc.tbl.Columns)-1] // without _run_id
			s := newSink(t, dir, Options{RowGroupRows: 20})
			ts := func(d string, h int) time.Time { return at(d, h) }
			mk := func(tbl *schemas.Table, id string, d string, h int, extracted time.Time) row {
				r := row{"id": id, "created_at": ts("2026-10-15", len(id)), "last_activity_at": ts(d, h), "seen_at": ts(d, h),
					"progress": float64(h), "_extracted_at": extracted}
				if tbl.Index("_run_id") >= 0 {
					r["_run_id"] = "r"
				}
				return r
			}
			var want []string
			var rows1, rows2, rows3 []row
			for i := range 60 {
				id := fmt.Sprintf("k%02d", i)
				rows1 = append(rows1, mk(&older, id, "2026-11-02", 1, day("2026-11-03")))
				switch i % 3 {
				case 0: // seen again later: the later day wins
					rows2 = append(rows2, mk(&byDay, id, "2026-11-05", 2, day("2026-11-06")))
					want = append(want, id+" 2")
				case 1: // the same version extracted later, by another stream
					rows3 = append(rows3, mk(&byDay, id, "2026-11-02", 1, day("2026-11-09")))
					want = append(want, id+" 1 late")
				default:
					want = append(want, id+" 1")
				}
			}
			loadRows(t, s, &older, days("2026-11-02", "2026-11-02"), "a.one", rows1)
			loadRows(t, s, &byDay, days("2026-11-05", "2026-11-05"), "a.one", rows2)
			loadRows(t, s, &byDay, days("2026-11-02", "2026-11-02"), "a.two", rows3)
			require.NoError(t, s.Close())

			s = newSink(t, dir, Options{MaxMergeKeys: 16, RowGroupRows: 20})
			require.NoError(t, s.Migrate(context.Background(), []*schemas.Table{tc.tbl}))
			var got []string
			for _, r := range readTable(t, dir, tc.tbl) {
				line := fmt.Sprintf("%s %v", r["id"], r[tc.tbl.Version].(time.Time).Hour())
				if r["_extracted_at"].(time.Time).Equal(day("2026-11-09")) {
					line += " late"
				}
				got = append(got, line)
			}
			assert.ElementsMatch(t, want, got)
			ok, err := inLayout(filepath.Join(dir, tc.tbl.Name), layoutOf(tc.tbl))
			require.NoError(t, err)
			assert.True(t, ok)
		})
	}
}
