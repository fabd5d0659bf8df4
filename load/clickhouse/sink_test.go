package clickhouse

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

func day(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }

var (
	sessions = &schemas.Table{
		Name: "t_sessions",
		Columns: schemas.WithMeta(
			schemas.Column{Name: "id", Type: schemas.String},
			schemas.Column{Name: "created_at", Type: schemas.Timestamp},
			schemas.Column{Name: "last_activity_at", Type: schemas.Timestamp},
			schemas.Column{Name: "progress", Type: schemas.Float64},
			schemas.Column{Name: "completed_at", Type: schemas.Timestamp, Nullable: true},
			schemas.Column{Name: "done", Type: schemas.Bool},
			schemas.Column{Name: "tags", Type: schemas.StringList},
			schemas.Column{Name: "note", Type: schemas.String, Nullable: true, Doc: "it's a note; with quotes"},
			schemas.Column{Name: "n", Type: schemas.Int64, Nullable: true},
			schemas.Column{Name: "d", Type: schemas.Date},
		),
		Disposition: schemas.Merge, Key: []string{"id"}, Version: "last_activity_at", Day: "last_activity_at", Partition: "created_at",
	}
	report = &schemas.Table{
		Name: "t_report",
		Columns: schemas.WithMeta(
			schemas.Column{Name: "report_date", Type: schemas.Date},
			schemas.Column{Name: "flow", Type: schemas.String},
			schemas.Column{Name: "views", Type: schemas.Float64, Nullable: true},
		),
		Disposition: schemas.ReplaceWindow, Key: []string{"report_date", "flow"}, Day: "report_date", Partition: "report_date",
	}
	dims = &schemas.Table{
		Name:        "t_dims",
		Columns:     schemas.WithMeta(schemas.Column{Name: "id", Type: schemas.String}, schemas.Column{Name: "name", Type: schemas.String}),
		Disposition: schemas.ReplaceAll, Key: []string{"id"},
	}
)

func openSink(t *testing.T) (*Sink, string) {
	return openSinkWith(t, "")
}

// openSinkWith opens a sink on a fresh database with DSN settings added
// (dsnSettings: "" or "?name=value&..."); it returns the plain DSN.
func openSinkWith(t *testing.T, dsnSettings string) (*Sink, string) {
	dsn := testsupport.FreshDatabase(t)
	s, err := Open(context.Background(), dsn+dsnSettings, Options{QueryTimeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, dsn
}

// loadRows runs one Begin/Write/Commit like the engine does.
func loadRows(t *testing.T, s *Sink, tbl *schemas.Table, w window.Window, rows []map[string]any) {
	t.Helper()
	require.NoError(t, writeRows(t, s, tbl, w, rows, 3).Commit(context.Background()))
}

// writeRows begins a load of tbl and writes rows to it in batches of
// batchRows, as the engine does; the caller prepares or commits it.
func writeRows(t *testing.T, s *Sink, tbl *schemas.Table, w window.Window, rows []map[string]any, batchRows int) load.Writer {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	wr, err := s.Begin(ctx, tbl, w, "test.stream", "run")
	require.NoError(t, err)
	b := transform.NewBatcher(mem, tbl, transform.Meta{RunID: "run", ExtractedAt: time.Now()}, batchRows, nil)
	defer b.Release()
	for _, r := range rows {
		require.NoError(t, b.Append(r))
		if b.Full() {
			rec := b.Flush()
			require.NoError(t, wr.Write(ctx, rec))
			rec.Release()
		}
	}
	if rec := b.Flush(); rec != nil {
		require.NoError(t, wr.Write(ctx, rec))
		rec.Release()
	}
	return wr
}

func count(t *testing.T, dsn, q string) float64 {
	t.Helper()
	rows := testsupport.ClickHouseQuery(t, dsn, q)
	require.Len(t, rows, 1)
	for _, v := range rows[0] {
		var f float64
		_, err := fmt.Sscan(fmt.Sprint(v), &f)
		require.NoError(t, err, "value %v", v)
		return f
	}
	t.Fatalf("no value in %v", rows)
	return 0
}

func session(id string, created, last time.Time, progress float64) map[string]any {
	return map[string]any{"id": id, "created_at": created, "last_activity_at": last, "progress": progress, "done": progress == 1,
		"tags": []any{"a", "b"}, "d": created}
}

func TestMergeTableStaysExactAcrossRerunsAndChanges(t *testing.T) {
	s, dsn := openSink(t)
	db := s.Database()
	nov1, nov2 := window.New(day("2026-11-01"), day("2026-11-02")), window.New(day("2026-11-02"), day("2026-11-03"))
	var first []map[string]any
	for i := 0; i < 10; i++ {
		// created in two different months: rows of one key must still collapse.
		created := day("2026-10-30").Add(time.Duration(i) * 12 * time.Hour)
		first = append(first, session(fmt.Sprintf("s%d", i), created, nov1.Start.Add(time.Duration(i)*time.Hour), 0.5))
	}
	loadRows(t, s, sessions, nov1, first)
	loadRows(t, s, sessions, nov1, first) // the same window again
	assert.Equal(t, 10.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", db)))
	assert.Equal(t, 5.0, count(t, dsn, fmt.Sprintf("SELECT sum(progress) FROM `%s`.t_sessions", db)))

	// s3 moved on: seen again next day, completed.
	changed := session("s3", first[3]["created_at"].(time.Time), nov2.Start.Add(time.Hour), 1)
	loadRows(t, s, sessions, nov2, []map[string]any{changed})
	assert.Equal(t, 10.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", db)))
	assert.Equal(t, 5.5, count(t, dsn, fmt.Sprintf("SELECT sum(progress) FROM `%s`.t_sessions", db)))
	assert.Equal(t, 1.0, count(t, dsn, fmt.Sprintf("SELECT sum(done) FROM `%s`.t_sessions", db)))

	// An overlapping rerun of the first day (s3 no longer in it) changes nothing.
	var again []map[string]any
	for i, r := range first {
		if i != 3 {
			again = append(again, r)
		}
	}
	loadRows(t, s, sessions, window.New(day("2026-10-31"), day("2026-11-02")), again)
	assert.Equal(t, 10.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", db)))
	assert.Equal(t, 5.5, count(t, dsn, fmt.Sprintf("SELECT sum(progress) FROM `%s`.t_sessions", db)))

	// The name dashboards query is a plain MergeTree holding one row per key:
	// no view, no FINAL, and no raw table behind it.
	assert.Equal(t, 10.0, count(t, dsn, fmt.Sprintf("SELECT uniqExact(id) FROM `%s`.t_sessions", db)))
	assert.Equal(t, "MergeTree", fmt.Sprint(testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT engine FROM system.tables WHERE database = '%s' AND name = 't_sessions'", db))[0]["engine"]))
	assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM system.tables WHERE database = '%s' AND name != 't_sessions' AND name != 'etl_rejects'", db)), "no raw table, view or staging table is left")
}

// The row with the highest version per key wins whether it was already in
// the table or arrives now, in any load order: a backfill of an older window
// loaded last never replaces a newer row, a tie goes to the new load, and a
// load with several rows of a key keeps its newest. Untouched keys of a
// rebuilt partition and untouched partitions stay as they were.
func TestMergeKeepsTheNewestRowPerKeyInAnyLoadOrder(t *testing.T) {
	s, dsn := openSink(t)
	db := s.Database()
	oct, nov := day("2026-10-05"), day("2026-11-05")
	older, newer := window.New(day("2026-11-10"), day("2026-11-11")), window.New(day("2026-11-20"), day("2026-11-21"))
	progressOf := func() map[string]float64 {
		out := map[string]float64{}
		for _, r := range testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT id, progress FROM `%s`.t_sessions", db)) {
			_, dup := out[fmt.Sprint(r["id"])]
			require.False(t, dup, "key %v twice", r["id"])
			var f float64
			_, err := fmt.Sscan(fmt.Sprint(r["progress"]), &f)
			require.NoError(t, err)
			out[fmt.Sprint(r["id"])] = f
		}
		return out
	}
	// Every key but "old" lives in November; "old" lives in October, a
	// partition no later load touches.
	loadRows(t, s, sessions, newer, []map[string]any{
		session("a", nov, newer.Start.Add(time.Hour), 0.9),
		session("b", nov, newer.Start.Add(time.Hour), 0.2),
		session("c", nov, newer.Start.Add(time.Hour), 0.3),
		session("old", oct, newer.Start.Add(time.Hour), 0.4),
	})
	// The backfill of an older window comes last: a older, b the same
	// version (tie: the new load wins), d new, and d twice in this load.
	loadRows(t, s, sessions, older, []map[string]any{
		session("a", nov, older.Start.Add(time.Hour), 0.1),
		session("b", nov, newer.Start.Add(time.Hour), 0.7),
		session("d", nov, older.Start.Add(time.Hour), 0.5),
		session("d", nov, older.Start.Add(2*time.Hour), 0.6),
	})
	assert.Equal(t, map[string]float64{"a": 0.9, "b": 0.7, "c": 0.3, "d": 0.6, "old": 0.4}, progressOf())
	// Rerunning both loads, in the other order, changes nothing.
	loadRows(t, s, sessions, older, []map[string]any{
		session("a", nov, older.Start.Add(time.Hour), 0.1),
		session("d", nov, older.Start.Add(2*time.Hour), 0.6),
	})
	loadRows(t, s, sessions, newer, []map[string]any{session("a", nov, newer.Start.Add(time.Hour), 0.9)})
	assert.Equal(t, map[string]float64{"a": 0.9, "b": 0.7, "c": 0.3, "d": 0.6, "old": 0.4}, progressOf())
	// A plain SELECT is exact at once: no merge is pending to collapse rows.
	require.NoError(t, s.exec(context.Background(), fmt.Sprintf("OPTIMIZE TABLE `%s`.t_sessions FINAL", db)))
	assert.Equal(t, map[string]float64{"a": 0.9, "b": 0.7, "c": 0.3, "d": 0.6, "old": 0.4}, progressOf())
}

// A window of two tables commits through load.CommitWindow, which seals
// both (their INSERTs closed and the merge table's staging read at once,
// before any lock) and then prepares them: a merge load that changes keys
// already live keeps one row per key, exactly as Commit does, and nothing
// can be written once a load is sealed.
func TestSealedWindowCommitsLikeCommit(t *testing.T) {
	s, dsn := openSink(t)
	db := s.Database()
	ctx := context.Background()
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	var first, changed []map[string]any
	for i := 0; i < 6; i++ {
		created := day("2026-10-30").Add(time.Duration(i) * 12 * time.Hour)
		first = append(first, session(fmt.Sprintf("s%d", i), created, w.Start.Add(time.Duration(i)*time.Hour), 0.5))
		if i%2 == 0 {
			changed = append(changed, session(fmt.Sprintf("s%d", i), created, w.Start.Add(time.Duration(i)*time.Hour+time.Minute), 1))
		}
	}
	loadRows(t, s, sessions, w, first)
	require.NoError(t, s.Ensure(ctx, report))

	var reports []map[string]any
	for f := 0; f < 5; f++ {
		reports = append(reports, map[string]any{"report_date": w.Start, "flow": fmt.Sprintf("f%d", f), "views": float64(f)})
	}
	ws := writeRows(t, s, sessions, w, changed, 2)
	wr := writeRows(t, s, report, w, reports, 2)
	committed, err := load.CommitWindow(ctx, []load.TableWriter{{Table: sessions.Name, Writer: ws}, {Table: report.Name, Writer: wr}})
	require.NoError(t, err)
	assert.Equal(t, []string{sessions.Name, report.Name}, committed)
	assert.Equal(t, 6.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", db)))
	assert.Equal(t, 4.5, count(t, dsn, fmt.Sprintf("SELECT sum(progress) FROM `%s`.t_sessions", db)), "three sessions at 1, three at 0.5")
	assert.Equal(t, 5.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_report", db)))

	sealed := writeRows(t, s, sessions, w, changed, 2)
	require.NoError(t, sealed.(load.Sealer).Seal(ctx))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := sessionRecords(t, mem, "late", w.Start, 1, 1)
	defer recs[0].Release()
	err = sealed.Write(ctx, recs[0])
	require.Error(t, err, "a row written after Seal would never be staged")
	require.NoError(t, sealed.Abort(ctx))
}

func TestReplaceWindowReplacesExactlyTheWindowDays(t *testing.T) {
	s, dsn := openSink(t)
	db := s.Database()
	rowsFor := func(days []time.Time, views float64) []map[string]any {
		var out []map[string]any
		for _, d := range days {
			for _, f := range []string{"a", "b"} {
				out = append(out, map[string]any{"report_date": d, "flow": f, "views": views})
			}
		}
		return out
	}
	oct := window.New(day("2026-10-28"), day("2026-11-04")) // spans two months
	loadRows(t, s, report, oct, rowsFor(oct.Days(), 1))
	sum := func() float64 { return count(t, dsn, fmt.Sprintf("SELECT sum(views) FROM `%s`.t_report", db)) }
	assert.Equal(t, 14.0, sum())

	loadRows(t, s, report, oct, rowsFor(oct.Days(), 1))
	assert.Equal(t, 14.0, sum(), "the same window twice")

	mid := window.New(day("2026-10-31"), day("2026-11-02"))
	loadRows(t, s, report, mid, rowsFor(mid.Days(), 10))
	assert.Equal(t, 14.0-4+40, sum(), "an overlapping window replaces only its days, across the month edge")
	assert.Equal(t, 14.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_report", db)))

	loadRows(t, s, report, window.New(day("2026-11-03"), day("2026-11-04")), nil)
	assert.Equal(t, 12.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_report", db)), "a day now empty at the source is emptied")
	assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM system.tables WHERE database = '%s' AND name LIKE '_stg_%%'", db)), "no staging table left")
}

func TestReplaceAllSwapsTheSnapshot(t *testing.T) {
	s, dsn := openSink(t)
	db := s.Database()
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	loadRows(t, s, dims, w, []map[string]any{{"id": "1", "name": "a"}, {"id": "2", "name": "b"}})
	loadRows(t, s, dims, w, []map[string]any{{"id": "2", "name": "b2"}, {"id": "3", "name": "c"}, {"id": "4", "name": "d"}})
	assert.Equal(t, 3.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_dims", db)))
	rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT name FROM `%s`.t_dims WHERE id = '2'", db))
	assert.Equal(t, "b2", rows[0]["name"])
	loadRows(t, s, dims, w, nil)
	assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_dims", db)), "an empty snapshot empties the table")
}

func TestAbortLeavesNothingVisible(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	loadRows(t, s, report, w, []map[string]any{{"report_date": w.Start, "flow": "a", "views": 1}})
	wr, err := s.Begin(ctx, report, w, "test.stream", "run2")
	require.NoError(t, err)
	mem := memory.NewGoAllocator()
	b := transform.NewBatcher(mem, report, transform.Meta{RunID: "run2", ExtractedAt: time.Now()}, 10, nil)
	defer b.Release()
	require.NoError(t, b.Append(map[string]any{"report_date": w.Start, "flow": "zzz", "views": 100}))
	rec := b.Flush()
	require.NoError(t, wr.Write(ctx, rec))
	rec.Release()
	require.NoError(t, wr.Abort(ctx))
	assert.Equal(t, 1.0, count(t, dsn, fmt.Sprintf("SELECT sum(views) FROM `%s`.t_report", s.Database())))
}

// Values round-trip under every network compression: the test server is on
// loopback, where a DSN without compress= sends blocks uncompressed, so LZ4
// (the default to any other host) and zstd are asked for by name.
func TestValuesRoundTripWithTypes(t *testing.T) {
	for _, method := range []string{"none", "lz4", "zstd"} {
		t.Run(method, func(t *testing.T) {
			s, dsn := openSinkWith(t, "?compress="+method)
			w := window.New(day("2026-11-01"), day("2026-11-02"))
			completed := w.Start.Add(90 * time.Minute)
			loadRows(t, s, sessions, w, []map[string]any{{
				"id": "x", "created_at": "2026-10-01T08:00:00.000+02:00", "last_activity_at": w.Start.Add(time.Hour), "progress": "0.25",
				"completed_at": completed, "done": true, "tags": []any{"é", "a,b", ""}, "note": "l'été \"chaud\"\nligne", "n": nil, "d": "2026-10-01",
			}})
			rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT id, toString(created_at) AS c, toString(completed_at) AS ca, progress, done, tags, note, n, toString(d) AS d FROM `%s`.t_sessions", s.Database()))
			require.Len(t, rows, 1)
			r := rows[0]
			assert.Equal(t, "2026-10-01 06:00:00", r["c"], "stored in UTC")
			assert.Equal(t, "2026-11-01 01:30:00", r["ca"])
			assert.Equal(t, 0.25, r["progress"])
			assert.EqualValues(t, 1, r["done"])
			assert.Equal(t, []any{"é", "a,b", ""}, r["tags"])
			assert.Equal(t, "l'été \"chaud\"\nligne", r["note"])
			assert.Nil(t, r["n"])
			assert.Equal(t, "2026-10-01", r["d"])
		})
	}
}

func TestEnsureAddsNewColumnsAndRejectsTypeChanges(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	require.NoError(t, s.Ensure(ctx, sessions))
	wider := *sessions
	wider.Columns = append(append([]schemas.Column{}, sessions.Columns...), schemas.Column{Name: "added", Type: schemas.String, Nullable: true})
	fresh, err := Open(ctx, dsn, Options{})
	require.NoError(t, err)
	defer fresh.Close()
	require.NoError(t, fresh.Ensure(ctx, &wider))
	assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions WHERE added IS NOT NULL", s.Database())), "the view exposes the new column")

	changed := *sessions
	changed.Name = sessions.Name
	changed.Columns = append([]schemas.Column{}, sessions.Columns...)
	changed.Columns[3] = schemas.Column{Name: "progress", Type: schemas.String}
	again, err := Open(ctx, dsn, Options{})
	require.NoError(t, err)
	defer again.Close()
	err = again.Ensure(ctx, &changed)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "column progress is Float64 in ClickHouse but declared String")
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	files := fstest.MapFS{
		"00_a.sql": {Data: []byte(File("a", []*schemas.Table{sessions, report}))},
		"10_b.sql": {Data: []byte(File("b", []*schemas.Table{dims}))},
	}
	first, err := s.Migrate(ctx, files)
	require.NoError(t, err)
	require.Len(t, first, 2)
	assert.True(t, first[0].Applied && first[1].Applied)
	second, err := s.Migrate(ctx, files)
	require.NoError(t, err)
	assert.False(t, second[0].Applied || second[1].Applied, "already applied")
	assert.Equal(t, 3.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM system.tables WHERE database = '%s' AND name LIKE 't_%%'", s.Database())), "sessions + report + dims")
}

func TestDropStaleStagingRemovesWhatAKilledLoadLeft(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	// A load that began and never finished, as after kill -9.
	_, err := s.Begin(ctx, dims, w, "test.stream", "killed-run")
	require.NoError(t, err)
	_, err = s.Begin(ctx, report, w, "test.stream", "killed-run")
	require.NoError(t, err)
	staging := func() float64 {
		return count(t, dsn, fmt.Sprintf("SELECT count() FROM system.tables WHERE database = '%s' AND startsWith(name, '_stg_')", s.Database()))
	}
	require.Equal(t, 2.0, staging())
	n, err := s.DropStaleStaging(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, 0.0, staging())
	loadRows(t, s, dims, w, []map[string]any{{"id": "1", "name": "a"}})
	assert.Equal(t, 1.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_dims", s.Database())), "the live table is untouched and loads still work")
}

func TestDropStaleStagingDropsOnlyExactStagingNames(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	_, err := s.Begin(ctx, report, w, "test.stream", "killed-run")
	require.NoError(t, err)
	_, err = s.Begin(ctx, sessions, w, "test.stream", "killed-run")
	require.NoError(t, err)
	// Tables a user may have: a report table named _stg_x, and names that
	// look like staging but are not of a known table or have another shape.
	user := *report
	for _, name := range []string{"_stg_x", "_stg_t_report_abc", "_stg_nosuch_0123456789ab", "_stg_t_report_0123456789AB"} {
		user.Name = name
		require.NoError(t, s.Ensure(ctx, &user))
		loadRows(t, s, &user, w, []map[string]any{{"report_date": w.Start, "flow": "a", "views": 1}})
	}
	n, err := s.DropStaleStaging(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the two staging tables of the killed loads")
	rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT name FROM system.tables WHERE database = '%s' AND startsWith(name, '_stg_') ORDER BY name", s.Database()))
	var names []any
	for _, r := range rows {
		names = append(names, r["name"])
	}
	assert.Equal(t, []any{"_stg_nosuch_0123456789ab", "_stg_t_report_0123456789AB", "_stg_t_report_abc", "_stg_x"}, names)
	assert.Equal(t, 1.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.`_stg_x`", s.Database())), "the user's table keeps its rows")
}

// A merge view whose ALTER ADD COLUMN happened but whose rebuild did not (a
// run killed in between) is repaired by the next Ensure, as `etl migrate`
// runs it.
// rejectRows are the rejects the engine would record for a window.
func rejectRows(w window.Window, stream string, hashes ...string) []map[string]any {
	var out []map[string]any
	for _, h := range hashes {
		out = append(out, map[string]any{"source": "src", "stream": stream, "table_name": "t", "window_start": w.Start, "window_end": w.End,
			"row_day": w.Start, "row_day_from": "window", "location": "page 1", "reason": "bad", "raw": "{" + h + "}", "row_hash": h})
	}
	return out
}

func loadRejects(t *testing.T, s *Sink, w window.Window, stream string, whole bool, hashes ...string) {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewGoAllocator()
	wr, err := s.Begin(ctx, schemas.Rejects, w, "src."+stream, "run")
	require.NoError(t, err)
	if whole {
		wr.(*writer).ReplaceWholeStream()
	}
	b := transform.NewBatcher(mem, schemas.Rejects, transform.Meta{RunID: "run", ExtractedAt: time.Now()}, 100, nil)
	defer b.Release()
	for _, r := range rejectRows(w, stream, hashes...) {
		require.NoError(t, b.Append(r))
	}
	if rec := b.Flush(); rec != nil {
		require.NoError(t, wr.Write(ctx, rec))
		rec.Release()
	}
	require.NoError(t, wr.Commit(ctx))
}

func TestRejectsAreOneRowPerRowAndLeaveWhenFixed(t *testing.T) {
	s, dsn := openSink(t)
	db := s.Database()
	n := func(where string) float64 {
		return count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.etl_rejects WHERE %s", db, where))
	}
	// Nightly lookback: each window overlaps the previous one.
	loadRejects(t, s, window.New(day("2026-11-10"), day("2026-11-13")), "a", false, "r10", "r11", "r12")
	loadRejects(t, s, window.New(day("2026-11-01"), day("2026-11-30")), "other", false, "r11")
	loadRejects(t, s, window.New(day("2026-11-11"), day("2026-11-14")), "a", false, "r11", "r12", "r13")
	assert.Equal(t, 5.0, n("1"), "r10, r11, r12, r13 of stream a once each, and the other stream's r11")
	assert.Equal(t, 4.0, n("stream = 'a'"))
	assert.Equal(t, 5.0, count(t, dsn, fmt.Sprintf("SELECT uniqExact(source, stream, table_name, row_hash) FROM `%s`.etl_rejects", db)))
	// r12's cause fixed: the next reload of its days no longer sees it.
	loadRejects(t, s, window.New(day("2026-11-11"), day("2026-11-14")), "a", false, "r11", "r13")
	assert.Equal(t, 3.0, n("stream = 'a'"), "r10, r11, r13")
	assert.Equal(t, 0.0, n("row_hash = 'r12'"))
	// Across a month edge: the earlier copy in October goes too.
	loadRejects(t, s, window.New(day("2026-10-30"), day("2026-11-01")), "a", false, "r13")
	loadRejects(t, s, window.New(day("2026-10-31"), day("2026-11-12")), "a", false, "r13")
	assert.Equal(t, 1.0, n("stream = 'a' AND row_hash = 'r13'"))
	assert.Equal(t, 1.0, n("stream = 'other'"), "another stream's rejects are its own")
	// A snapshot stream replaces all of its rejects whatever the window.
	loadRejects(t, s, window.New(day("2026-11-01"), day("2026-11-02")), "snap", true, "x", "y")
	loadRejects(t, s, window.New(day("2026-12-01"), day("2026-12-02")), "snap", true, "y")
	assert.Equal(t, 1.0, n("stream = 'snap'"))
}

// Databases made before rejects were keyed by row have etl_rejects as a
// view over etl_rejects_raw; migrate turns it into the table, keeping one
// row per reject.
func TestMigrateConvertsTheOldRejectsView(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	db := quoteIdent(s.Database())
	require.NoError(t, s.CreateDatabase(ctx))
	require.NoError(t, s.exec(ctx, "CREATE TABLE "+db+".etl_rejects_raw (source String, stream String, table_name String, window_start DateTime('UTC'), window_end DateTime('UTC'), location String, reason String, raw String, row_hash String, _extracted_at DateTime('UTC'), _run_id String) ENGINE = ReplacingMergeTree(_extracted_at) PARTITION BY toYYYYMM(window_start) ORDER BY (source, stream, table_name, window_start, row_hash)"))
	require.NoError(t, s.exec(ctx, "CREATE VIEW "+db+".etl_rejects AS SELECT * FROM "+db+".etl_rejects_raw FINAL"))
	require.NoError(t, s.exec(ctx, "INSERT INTO "+db+".etl_rejects_raw (source, stream, table_name, window_start, row_hash) SELECT 's', 'a', 't', toDateTime('2026-11-10 00:00:00', 'UTC') + number * 86400, 'h' FROM system.numbers LIMIT 3"))
	_, err := s.Migrate(ctx, fstest.MapFS{})
	require.NoError(t, err)
	assert.Equal(t, 1.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM %s.etl_rejects", db)))
	assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM system.tables WHERE database = '%s' AND name = 'etl_rejects_raw'", s.Database())))
}
