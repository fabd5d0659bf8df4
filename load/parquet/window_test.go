package parquet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/atomicfile"
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// failSyncOf makes finishing the part files of one table fail as a full
// disk does, for the duration of the test.
func failSyncOf(t *testing.T, table string) {
	old := commitPart
	commitPart = func(f *atomicfile.File) error {
		if strings.Contains(f.Name(), string(filepath.Separator)+table+string(filepath.Separator)) {
			f.Abort()
			return &os.PathError{Op: "fsync", Path: f.Name(), Err: syscall.ENOSPC}
		}
		return old(f)
	}
	t.Cleanup(func() { commitPart = old })
}

// twoTables emits one row per day into daily and snapshot, the first table
// tagged gen, and one reject.
func twoTables(gen string) *engine.Stream {
	return &engine.Stream{Source: "src", Name: "pair", Windowed: true, Tables: []*schemas.Table{daily, allTypes},
		Extract: func(ctx context.Context, w window.Window, out engine.Emitter) error {
			for _, d := range w.Days() {
				if err := out.Emit(ctx, daily.Name, engine.Row{Values: row{"day": d, "gen": gen, "n": 1}}); err != nil {
					return err
				}
				if err := out.Emit(ctx, allTypes.Name, engine.Row{Values: row{"id": gen + d.Format("0102"), "at": d, "label": gen}}); err != nil {
					return err
				}
			}
			return out.Reject(ctx, daily.Name, "bad line", engine.Row{Raw: gen, Where: "line 3"})
		}}
}

// failFSSyncOf makes the one sync of a load's files (syncOnce) fail for
// one table as a full disk does, for the duration of the test.
func failFSSyncOf(t *testing.T, table string) {
	old := syncFS
	syncFS = func(dir string) error {
		if filepath.Base(dir) == table {
			return &os.PathError{Op: "syncfs", Path: dir, Err: syscall.ENOSPC}
		}
		return old(dir)
	}
	t.Cleanup(func() { syncFS = old })
}

// A window's tables become visible together or not at all: the second
// table's files cannot be made durable, so the first table's days are not
// swapped in either, and the rejects stay as they were. Files are made
// durable one by one when finished, or all at once in Prepare (syncOnce):
// either failing keeps the window out.
func TestWindowIsInvisibleWhenASecondTableFailsToStage(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(t *testing.T, table string)
	}{
		{"a part file cannot be finished", failSyncOf},
		{"the files cannot be synced at once", failFSSyncOf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !syncOnce && tc.name == "the files cannot be synced at once" {
				t.Skip("each file is synced on its own on this OS")
			}
			dir := t.TempDir()
			s := newSink(t, dir, Options{})
			w := days("2026-01-01", "2026-01-03")
			r := engine.NewRunner(engine.Options{Sink: s, RunID: "run1"})
			require.NoError(t, r.Run(context.Background(), twoTables("g1"), w).Err)

			tc.fail(t, allTypes.Name)
			res := r.Run(context.Background(), twoTables("g2"), w)
			require.Error(t, res.Err)
			assert.True(t, errors.Is(res.Err, syscall.ENOSPC), "%v", res.Err)
			assert.Contains(t, res.Err.Error(), "nothing of it is visible")
			assert.Equal(t, map[string][]string{"2026-01-01": {"g1"}, "2026-01-02": {"g1"}, "2026-01-03": {"g1"}}, gens(t, dir), "daily keeps the committed window")
			for _, r := range readTable(t, dir, allTypes) {
				assert.Equal(t, "g1", r["label"])
			}
			rejects := readTable(t, dir, schemas.Rejects)
			require.Len(t, rejects, 1)
			assert.Equal(t, "g1", rejects[0]["raw"])
			assert.Empty(t, leftovers(t, dir), "the failed load's staging is gone")
		})
	}
}

func TestRejectsAreOneRowPerRowAndLeaveWhenFixed(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		load := func(w window.Window, stream string, whole bool, raws ...string) {
			t.Helper()
			st := &engine.Stream{Source: "src", Name: stream, Windowed: !whole, Tables: []*schemas.Table{snapshot}, Extract: func(ctx context.Context, w window.Window, out engine.Emitter) error {
				for _, raw := range raws {
					if err := out.Reject(ctx, snapshot.Name, "bad", engine.Row{Raw: raw, Where: "page 1"}); err != nil {
						return err
					}
				}
				return nil
			}}
			require.NoError(t, engine.NewRunner(engine.Options{Sink: s, RunID: "run-" + w.Start.Format("0102")}).Run(context.Background(), st, w).Err)
		}
		glob := strings.ReplaceAll(filepath.Join(dir, schemas.Rejects.Name, "*", "*.parquet"), "'", "''")
		count := func(where string) int64 {
			t.Helper()
			rows := testsupport.DuckDB(t, `SELECT count(*) AS n FROM read_parquet('`+glob+`', hive_partitioning = true) WHERE `+where)
			require.Len(t, rows, 1)
			switch n := rows[0]["n"].(type) {
			case int64:
				return n
			case float64:
				return int64(n)
			}
			t.Fatalf("count: %v", rows)
			return 0
		}
		// Nightly lookback: each window overlaps the previous one.
		load(days("2026-11-10", "2026-11-12"), "a", false, "r10", "r11", "r12")
		load(days("2026-11-01", "2026-11-30"), "other", false, "r11")
		load(days("2026-11-11", "2026-11-13"), "a", false, "r11", "r12", "r13")
		assert.Equal(t, int64(5), count("true"), "r10, r11, r12, r13 of stream a once each, and the other stream's r11")
		assert.Equal(t, int64(4), count("stream = 'a'"))
		// r12's cause fixed: the next reload of its days no longer sees it.
		load(days("2026-11-11", "2026-11-13"), "a", false, "r11", "r13")
		assert.Equal(t, int64(3), count("stream = 'a'"), "r10, r11, r13")
		assert.Equal(t, int64(0), count("raw = 'r12'"))
		// A snapshot stream replaces all of its rejects whatever the window.
		load(days("2026-11-01", "2026-11-01"), "snap", true, "x", "y")
		load(days("2026-12-01", "2026-12-01"), "snap", true, "y")
		assert.Equal(t, int64(1), count("stream = 'snap'"))
		assert.Equal(t, int64(1), count("stream = 'other'"))
		assert.Empty(t, leftovers(t, dir))
	})
}

// A file finished in the background (the least recently used day, evicted
// while rows are still coming) that cannot be made durable fails the load:
// a later Write or the Commit returns the error and nothing is visible.
func TestAFileFinishedInTheBackgroundFailsTheLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newSink(t, dir, Options{MaxOpenFiles: 2})
	ds := dayList("2026-01-01", 6)
	failSyncOf(t, daily.Name)
	wr, err := s.Begin(ctx, daily, days(ds[0], ds[5]), "s.x", "run1")
	require.NoError(t, err)
	var werr error
	for i := 0; i < 4 && werr == nil; i++ {
		rec := record(t, daily, dailyRows("g", ds...))
		werr = wr.Write(ctx, rec)
		rec.Release()
	}
	err = wr.Commit(ctx)
	if werr != nil {
		err = werr
		require.NoError(t, wr.Abort(ctx))
	}
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ENOSPC), "%v", err)
	assert.Contains(t, err.Error(), "finish part file")
	assert.Empty(t, gens(t, dir), "nothing of the load is visible")
	assert.Empty(t, leftovers(t, dir), "the failed load's staging is gone")
}

// rejectDays lists the live rejects as "dt row_day row_day_from raw".
func rejectDays(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, r := range readTable(t, dir, schemas.Rejects) {
		out = append(out, r["dt"].(string)+" "+r[schemas.RowDay].(time.Time).Format(time.DateOnly)+" "+r[schemas.RowDayFrom].(string)+" "+r["raw"].(string))
	}
	sort.Strings(out)
	return out
}

// A reject lives on its row's day: a load replaces the rejects of the days
// it covers, and no other. A later window that saw some of a window's rows
// again does not take the rejects of the days it did not cover; a fixed
// load takes the rejects of the rows it now loads, whatever window saw
// them. The same text on two days is two rejects.
func TestRejectsAreReplacedByTheLoadOfTheirDay(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		load := func(w window.Window, fixed bool) {
			t.Helper()
			st := &engine.Stream{Source: "src", Name: "report", Windowed: true, Tables: []*schemas.Table{daily}, Extract: func(ctx context.Context, w window.Window, out engine.Emitter) error {
				for _, d := range w.Days() {
					n := any("many")
					if fixed {
						n = 3
					}
					// The report's line carries no date: the request does.
					if err := out.Emit(ctx, daily.Name, engine.Row{Values: row{"day": d, "gen": "g", "n": n}, Raw: "g,many", Where: "line 2"}); err != nil {
						return err
					}
				}
				// A line without a day that reads lives on the window's day.
				return out.Reject(ctx, daily.Name, "expected 3 fields", engine.Row{Raw: "torn", Where: "line 3"})
			}}
			require.NoError(t, engine.NewRunner(engine.Options{Sink: s, RunID: "run-" + w.Start.Format("0102")}).Run(context.Background(), st, w).Err)
		}
		load(days("2026-11-17", "2026-11-19"), false)
		load(days("2026-11-19", "2026-11-21"), false)
		assert.Equal(t, []string{
			"dt=2026-11-17 2026-11-17 row g,many", "dt=2026-11-18 2026-11-18 row g,many",
			"dt=2026-11-19 2026-11-19 row g,many", "dt=2026-11-19 2026-11-19 window torn",
			"dt=2026-11-20 2026-11-20 row g,many", "dt=2026-11-21 2026-11-21 row g,many",
		}, prefixed(rejectDays(t, dir)), "the torn line seen again moved to the later window's day")

		load(days("2026-11-18", "2026-11-19"), true)
		assert.Equal(t, []string{
			"dt=2026-11-17 2026-11-17 row g,many",
			"dt=2026-11-18 2026-11-18 window torn",
			"dt=2026-11-20 2026-11-20 row g,many", "dt=2026-11-21 2026-11-21 row g,many",
		}, prefixed(rejectDays(t, dir)), "the days 18 and 19 load now; 17, 20 and 21 were not pulled again")
		assert.Equal(t, map[string][]string{"2026-11-18": {"g"}, "2026-11-19": {"g"}}, gens(t, dir))
		assert.Empty(t, leftovers(t, dir))
	})
}

func prefixed(rows []string) []string {
	for i, r := range rows {
		rows[i] = "dt=" + r
	}
	return rows
}

// Reject files written before rejects had a day of their own (dt= is the
// window's start) keep working: such a reject goes with a load of its
// window's day or when seen again, as before, and a rewrite of its file
// gives it that day.
func TestRejectsWrittenBeforeRowDaysKeepTheWindowRule(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		old := *schemas.Rejects
		old.Columns = nil
		for _, c := range schemas.Rejects.Columns {
			if c.Name != schemas.RowDay && c.Name != schemas.RowDayFrom {
				old.Columns = append(old.Columns, c)
			}
		}
		old.Name, old.Day = "old_rejects", "window_start"
		w := days("2026-11-17", "2026-11-19")
		legacy := func(raw string) row {
			return row{"source": "src", "stream": "report", "table_name": daily.Name, "window_start": w.Start, "window_end": w.End,
				"location": "line 2", "reason": "bad", "raw": raw, "row_hash": raw, "_extracted_at": w.Start, "_run_id": "old"}
		}
		loadRows(t, s, &old, w, "src.report", []row{legacy("seen again"), legacy("not seen")})
		require.NoError(t, os.Rename(filepath.Join(dir, old.Name), filepath.Join(dir, schemas.Rejects.Name)))

		now := func(raw, from string, d time.Time) row {
			r := legacy(raw)
			r["window_start"], r["window_end"], r[schemas.RowDay], r[schemas.RowDayFrom] = d, d.Add(window.Day), d, from
			return r
		}
		loadRows(t, s, schemas.Rejects, days("2026-11-20", "2026-11-20"), "src.report", []row{now("seen again", "row", day("2026-11-20"))})
		assert.Equal(t, []string{"dt=2026-11-17 2026-11-17 window not seen", "dt=2026-11-20 2026-11-20 row seen again"}, prefixed(rejectDays(t, dir)),
			"the old copy of the reject seen again goes; the other is rewritten with its window's day")

		loadRows(t, s, schemas.Rejects, days("2026-11-17", "2026-11-17"), "src.report")
		assert.Equal(t, []string{"dt=2026-11-20 2026-11-20 row seen again"}, prefixed(rejectDays(t, dir)), "a load of its window's day replaces it")
	})
}
