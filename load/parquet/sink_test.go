package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

func TestSchemaMapsEveryType(t *testing.T) {
	want := `message all_types {
	required binary id (STRING);
	required int64 at (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS));
	optional binary label (STRING);
	optional int64 n (INT(64,true));
	optional double score;
	optional boolean ok;
	optional int64 seen_at (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS));
	optional int32 on_day (DATE);
	required group tags (LIST) {
		repeated group list {
			required binary element (STRING);
		}
	}
	optional binary payload (STRING);
	required int64 _extracted_at (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS));
	required binary _run_id (STRING);
}`
	assert.Equal(t, want, Schema(allTypes).String())
}

func TestWriteCommitReadBackEveryType(t *testing.T) {
	extracted := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	rows := []row{
		{
			"id": "a", "at": time.Date(2026, 1, 2, 23, 59, 59, 999_000_000, time.UTC),
			"label": "Zoë ✓ 日本語", "n": math.MaxInt64, "score": 45.5, "ok": true,
			"seen_at": time.Date(1969, 12, 31, 23, 59, 59, 1_000_000, time.UTC), "on_day": day("2026-01-02"),
			"tags": []string{"onboarding", "", "ünï"}, "payload": `{"k":[1,2]}`,
			"_extracted_at": extracted, "_run_id": "run1",
		},
		{
			// Every nullable column null, the list empty.
			"id": "b", "at": time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC),
			"tags": []string{}, "_extracted_at": extracted, "_run_id": "run1",
		},
		{
			"id": "c", "at": time.Date(2026, 1, 3, 12, 0, 0, 1_000_000, time.UTC),
			"label": "", "n": math.MinInt64, "score": -0.0001, "ok": false,
			"seen_at": time.Date(2026, 1, 3, 12, 0, 0, 1_000_000, time.UTC), "on_day": day("1970-01-01"),
			"tags": []string{"x"}, "payload": "null",
			"_extracted_at": extracted, "_run_id": "run1",
		},
	}
	dir := t.TempDir()
	s := newSink(t, dir, Options{})
	loadRows(t, s, allTypesDaily, days("2026-01-02", "2026-01-03"), "userflow.content_sessions", rows[:2], rows[2:])

	got := readTable(t, dir, allTypesDaily)
	require.Len(t, got, 3)
	byID := map[string]row{}
	for _, r := range got {
		byID[r["id"].(string)] = r
	}
	for _, want := range rows {
		r := byID[want["id"].(string)]
		for _, col := range allTypesDaily.Columns {
			v, ok := want[col.Name]
			if !ok {
				v = nil
			}
			assert.Equal(t, v, r[col.Name], "row %s column %s", want["id"], col.Name)
		}
	}
	assert.Equal(t, "2026-01-02", byID["a"]["dt"], "23:59:59.999 UTC is still Jan 2")
	assert.Equal(t, "2026-01-03", byID["b"]["dt"])
	assert.Equal(t, "part-userflow.content_sessions-run1-00000.parquet", byID["a"]["file"])

	files, err := ListFiles(context.Background(), dir, allTypesDaily.Name)
	require.NoError(t, err)
	require.Len(t, files, 2, "one file per day: both records' rows of Jan 3 share one file")
	for _, path := range files {
		f := must(os.Open(path))
		pf := must(parquetgo.OpenFile(f, must(f.Stat()).Size()))
		for _, rg := range pf.Metadata().RowGroups {
			for _, cc := range rg.Columns {
				assert.Equal(t, format.Zstd, cc.MetaData.Codec, "column %v", cc.MetaData.PathInSchema)
			}
		}
		v, _ := pf.Lookup("etl.stream")
		assert.Equal(t, "userflow.content_sessions", v)
		_ = f.Close()
	}
	n, err := CountRows(context.Background(), dir, allTypesDaily.Name)
	require.NoError(t, err)
	assert.EqualValues(t, 3, n)
	assert.Equal(t, []string{"all_types_daily/", "all_types_daily/dt=2026-01-02/", "all_types_daily/dt=2026-01-02/part-userflow.content_sessions-run1-00000.parquet",
		"all_types_daily/dt=2026-01-03/", "all_types_daily/dt=2026-01-03/part-userflow.content_sessions-run1-00000.parquet"},
		withoutPrivate(tree(t, dir)), "nothing but the committed files is left outside the private directories")
	assert.NoDirExists(t, filepath.Join(dir, stagingDir, "run1", allTypesDaily.Name, "userflow.content_sessions", "1"))
}

// leftovers lists the day directories and files under staging and trash.
func leftovers(t testing.TB, dir string) []string {
	var out []string
	for _, p := range privateOnly(tree(t, dir)) {
		if p != lockFile && p != localfsLock && (!strings.HasSuffix(p, "/") || strings.HasPrefix(filepath.Base(p), "dt=")) {
			out = append(out, p)
		}
	}
	return out
}

func privateOnly(paths []string) []string {
	var out []string
	for _, p := range paths {
		if strings.HasPrefix(p, ".") {
			out = append(out, p)
		}
	}
	return out
}

// schemaOnlyTree is what tree shows of a table that has no rows: its
// schema-only file.
func schemaOnlyTree(tbl *schemas.Table) []string {
	part := layoutOf(tbl).dir(emptyPart)
	if part == "" {
		return []string{tbl.Name + "/", filepath.Join(tbl.Name, schemaOnlyName)}
	}
	dir := filepath.Join(tbl.Name, part)
	return []string{tbl.Name + "/", dir + "/", filepath.Join(dir, schemaOnlyName)}
}

func withoutPrivate(paths []string) []string {
	var out []string
	for _, p := range paths {
		if !strings.HasPrefix(p, ".") {
			out = append(out, p)
		}
	}
	return out
}

// swapModes runs a test with the atomic exchange and with the trash
// fallback other filesystems get, and on an object store (objectStore on
// objectstore/localfs, whose objects are the files a local directory would
// hold): newSink opens the mode's sink.
func swapModes(t *testing.T, test func(t *testing.T)) {
	t.Run("exchange", test)
	t.Run("trash", func(t *testing.T) {
		exchangeDirs = func(a, b string) error { return errExchangeUnsupported }
		t.Cleanup(func() { exchangeDirs = exchangeDirsOS })
		test(t)
	})
	t.Run("object store", func(t *testing.T) {
		onObjectStore = true
		t.Cleanup(func() { onObjectStore = false })
		test(t)
	})
}

// onBothStores runs a test on a local directory and on an object store
// (see swapModes).
func onBothStores(t *testing.T, test func(t *testing.T)) {
	t.Run("local", test)
	t.Run("object store", func(t *testing.T) {
		onObjectStore = true
		t.Cleanup(func() { onObjectStore = false })
		test(t)
	})
}

func TestReloadsReplaceExactlyTheirWindowDays(t *testing.T) {
	type step struct {
		w    window.Window
		rows []row
	}
	tests := []struct {
		name  string
		steps []step
		want  map[string][]string
	}{
		{
			name: "rerun of the same window replaces its days, other days stay",
			steps: []step{
				{days("2026-01-01", "2026-01-03"), dailyRows("g1", "2026-01-01", "2026-01-02", "2026-01-03")},
				{days("2026-01-10", "2026-01-10"), dailyRows("g2", "2026-01-10")},
				{days("2026-01-01", "2026-01-03"), append(dailyRows("g3", "2026-01-01", "2026-01-02", "2026-01-03"), dailyRows("g3", "2026-01-02")...)},
			},
			want: map[string][]string{"2026-01-01": {"g3"}, "2026-01-02": {"g3", "g3"}, "2026-01-03": {"g3"}, "2026-01-10": {"g2"}},
		},
		{
			name: "an overlapping window replaces only the days it covers",
			steps: []step{
				{days("2026-01-01", "2026-01-04"), dailyRows("g1", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04")},
				{days("2026-01-03", "2026-01-06"), dailyRows("g2", "2026-01-03", "2026-01-05", "2026-01-06")},
			},
			want: map[string][]string{"2026-01-01": {"g1"}, "2026-01-02": {"g1"}, "2026-01-03": {"g2"}, "2026-01-05": {"g2"}, "2026-01-06": {"g2"}},
		},
		{
			name: "a day that had rows and now has none is emptied",
			steps: []step{
				{days("2026-01-01", "2026-01-03"), dailyRows("g1", "2026-01-01", "2026-01-02", "2026-01-03")},
				{days("2026-01-01", "2026-01-03"), dailyRows("g2", "2026-01-01", "2026-01-03")},
			},
			want: map[string][]string{"2026-01-01": {"g2"}, "2026-01-03": {"g2"}},
		},
		{
			name: "a rerun without any row empties the whole window",
			steps: []step{
				{days("2026-01-01", "2026-01-02"), dailyRows("g1", "2026-01-01", "2026-01-02")},
				{days("2026-01-01", "2026-01-02"), nil},
			},
			want: map[string][]string{},
		},
	}
	swapModes(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				s := newSink(t, dir, Options{})
				for _, st := range tt.steps {
					loadRows(t, s, daily, st.w, "bot.daily", st.rows)
				}
				assert.Equal(t, tt.want, gens(t, dir))
				var schemaOnly bool
				for _, p := range tree(t, filepath.Join(dir, daily.Name)) {
					if p == filepath.Join(dayDir(emptyPart), schemaOnlyName) {
						schemaOnly = true
					}
					if strings.HasSuffix(p, "/") && p != dayDir(emptyPart)+"/" {
						d := strings.TrimSuffix(p, "/")[len("dt="):]
						assert.Contains(t, tt.want, d, "an emptied day directory is removed")
					}
				}
				assert.Equal(t, len(tt.want) == 0, schemaOnly, "the schema-only file is there exactly when the table has no rows")
				assert.Empty(t, leftovers(t, dir), "finished commits leave no day directory or file in staging or trash")
				require.NoError(t, s.Close())
				assert.Equal(t, []string{lockOf(dir)}, privateOnly(tree(t, dir)), "Close removes the empty private directories")
			})
		}
	})
}

func TestReplaceAllReplacesTheWholeTableOfItsStream(t *testing.T) {
	swapModes(t, func(t *testing.T) {
		dir := t.TempDir()
		now := day("2026-02-01").Add(23 * time.Hour)
		s := newSink(t, dir, Options{Now: func() time.Time { return now }})
		whole := window.Window{} // a ReplaceAll load ignores its window
		loadRows(t, s, snapshot, whole, "crm.accounts", []row{{"id": "1", "gen": "g1"}, {"id": "2", "gen": "g1"}})
		loadRows(t, s, snapshot, whole, "crm.contacts", []row{{"id": "c", "gen": "other"}})
		now = day("2026-02-03").Add(time.Hour)
		loadRows(t, s, snapshot, whole, "crm.accounts", []row{{"id": "1", "gen": "g2"}})

		var got []string
		for _, r := range readTable(t, dir, snapshot) {
			got = append(got, fmt.Sprintf("%s %s %s", r["dt"], r["id"], r["gen"]))
		}
		assert.ElementsMatch(t, []string{"2026-02-01 c other", "2026-02-03 1 g2"}, got,
			"the stream's old snapshot is gone from every day; another stream's files stay")

		now = day("2026-02-04")
		loadRows(t, s, snapshot, whole, "crm.contacts", nil)
		assert.Equal(t, []string{"snapshot/", "snapshot/dt=2026-02-03/", "snapshot/dt=2026-02-03/part-crm.accounts-run1-00000.parquet"},
			withoutPrivate(tree(t, dir)), "an empty snapshot empties the stream's days and removes empty day directories")
	})
}

func TestStreamsSharingATableKeepEachOthersFiles(t *testing.T) {
	swapModes(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		w := days("2026-01-05", "2026-01-06")
		reject := func(stream, reason string) row {
			return row{"source": strings.Split(stream, ".")[0], "stream": stream, "table_name": "t", "window_start": w.Start, "window_end": w.End,
				"row_day": w.Start, "row_day_from": "window", "location": "page 1", "reason": reason, "raw": "{}", "row_hash": reason, "_extracted_at": w.Start, "_run_id": "run1"}
		}
		// "a.b" is a prefix of "a.b-c": the file prefix must still tell them apart.
		loadRows(t, s, schemas.Rejects, w, "a.b", []row{reject("a.b", "first")})
		loadRows(t, s, schemas.Rejects, w, "a.b-c", []row{reject("a.b-c", "keep")})
		loadRows(t, s, schemas.Rejects, w, "userflow.users", []row{reject("userflow.users", "keep too")})
		loadRows(t, s, schemas.Rejects, w, "a.b", []row{reject("a.b", "second")})

		var got []string
		for _, r := range readTable(t, dir, schemas.Rejects) {
			got = append(got, r["dt"].(string)+" "+r["stream"].(string)+" "+r["reason"].(string))
		}
		assert.ElementsMatch(t, []string{"2026-01-05 a.b second", "2026-01-05 a.b-c keep", "2026-01-05 userflow.users keep too"}, got)

		loadRows(t, s, schemas.Rejects, w, "a.b", nil)
		got = nil
		for _, r := range readTable(t, dir, schemas.Rejects) {
			got = append(got, r["stream"].(string))
		}
		assert.ElementsMatch(t, []string{"a.b-c", "userflow.users"}, got)
	})
}

func TestAbortLeavesNothingVisible(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		ctx := context.Background()
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		loadRows(t, s, daily, days("2026-01-01", "2026-01-01"), "s.x", dailyRows("old", "2026-01-01"))

		wr, err := s.Begin(ctx, daily, days("2026-01-01", "2026-01-02"), "s.x", "run2")
		require.NoError(t, err)
		rec := record(t, daily, dailyRows("new", "2026-01-01", "2026-01-02"))
		defer rec.Release()
		require.NoError(t, wr.Write(ctx, rec))
		assert.Equal(t, map[string][]string{"2026-01-01": {"old"}}, gens(t, dir), "nothing is visible before Commit")

		require.NoError(t, wr.Abort(ctx))
		assert.Equal(t, map[string][]string{"2026-01-01": {"old"}}, gens(t, dir))
		assert.NoDirExists(t, filepath.Join(dir, stagingDir, "run2", daily.Name, "s.x", "2"))
		require.Error(t, wr.Write(ctx, rec), "Write after Abort")
		require.Error(t, wr.Commit(ctx), "Commit after Abort")
		require.NoError(t, wr.Abort(ctx), "Abort twice")

		wr, err = s.Begin(ctx, daily, days("2026-01-01", "2026-01-01"), "s.x", "run3")
		require.NoError(t, err)
		require.NoError(t, wr.Commit(ctx))
		require.NoError(t, wr.Abort(ctx), "Abort after Commit is a no-op")
		assert.Equal(t, map[string][]string{}, gens(t, dir), "the committed empty load stays committed")
	})
}

func TestNewRecoversFromACrashMidSwap(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{})
	require.NoError(t, err)
	loadRows(t, s, daily, days("2026-01-01", "2026-01-02"), "s.x", dailyRows("old", "2026-01-01", "2026-01-02"))
	require.NoError(t, s.Close())

	live := func(d string) string { return filepath.Join(dir, daily.Name, "dt="+d) }
	trash := func(d string) string { return filepath.Join(dir, trashDir, "run9", daily.Name, "s.x-1", "dt="+d) }
	require.NoError(t, os.MkdirAll(filepath.Dir(trash("x")), 0o755))
	// Jan 1: the crash fell between the two renames: live is in the trash.
	require.NoError(t, os.Rename(live("2026-01-01"), trash("2026-01-01")))
	// Jan 2: the new day was in place, the trash not yet deleted.
	require.NoError(t, os.MkdirAll(trash("2026-01-02"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(trash("2026-01-02"), "part-s.x-run0-00000.parquet"), []byte("stale"), 0o644))
	// Staging of the interrupted run.
	staged := filepath.Join(dir, stagingDir, "run9", daily.Name, "s.x", "1", "new", "dt=2026-01-03")
	require.NoError(t, os.MkdirAll(staged, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(staged, ".part-s.x-run9-00000.parquet.tmp"), []byte("half"), 0o644))

	s = newSink(t, dir, Options{})
	assert.Equal(t, map[string][]string{"2026-01-01": {"old"}, "2026-01-02": {"old"}}, gens(t, dir))
	assert.NoDirExists(t, filepath.Join(dir, trashDir))
	assert.NoDirExists(t, filepath.Join(dir, stagingDir))

	// The sink works normally after recovery.
	loadRows(t, s, daily, days("2026-01-01", "2026-01-01"), "s.x", dailyRows("new", "2026-01-01"))
	assert.Equal(t, map[string][]string{"2026-01-01": {"new"}, "2026-01-02": {"old"}}, gens(t, dir))
}

func TestOneSinkPerDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{})
	require.NoError(t, err)
	_, err = New(dir, Options{})
	require.ErrorContains(t, err, "another etl process")
	require.NoError(t, s.Close())
	s2, err := New(dir, Options{})
	require.NoError(t, err, "Close releases the directory")
	require.NoError(t, s2.Close())
	_, err = s.Begin(context.Background(), daily, days("2026-01-01", "2026-01-01"), "s.x", "run1")
	require.ErrorContains(t, err, "closed")
}

func TestConcurrentCommitsToOneTableLoseNothing(t *testing.T) {
	swapModes(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		ctx := context.Background()
		const chunks, streams = 6, 3
		var wg sync.WaitGroup
		errs := make(chan error, chunks*streams*2)
		for round := 0; round < 2; round++ { // the second round replaces the first
			for c := 0; c < chunks; c++ {
				for st := 0; st < streams; st++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ds := dayList("2026-01-01", 12)[c*2 : c*2+2]
						w := days(ds[0], ds[1])
						wr, err := s.Begin(ctx, daily, w, fmt.Sprintf("src.s%d", st), fmt.Sprintf("run%d", round))
						if err != nil {
							errs <- err
							return
						}
						rec := record(t, daily, dailyRows(fmt.Sprintf("s%d/r%d", st, round), ds...))
						defer rec.Release()
						if err := wr.Write(ctx, rec); err != nil {
							errs <- err
							return
						}
						errs <- wr.Commit(ctx)
					}()
				}
			}
			wg.Wait()
		}
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		want := map[string][]string{}
		for _, d := range dayList("2026-01-01", 12) {
			want[d] = []string{"s0/r1", "s1/r1", "s2/r1"}
		}
		assert.Equal(t, want, gens(t, dir))
	})
}

func TestRowOutsideTheWindowIsAnError(t *testing.T) {
	byTimestamp := &schemas.Table{Name: "events", Columns: []schemas.Column{{Name: "at", Type: schemas.Timestamp}},
		Disposition: schemas.Merge, Key: []string{"at"}, Version: "at", Day: "at"}
	w := days("2026-01-05", "2026-01-06")
	tests := []struct {
		name    string
		tbl     *schemas.Table
		row     row
		wantDay string
	}{
		{"date the day before", daily, row{"day": day("2026-01-04"), "gen": "x", "n": 1}, "2026-01-04"},
		{"date on the exclusive end", daily, row{"day": day("2026-01-07"), "gen": "x", "n": 1}, "2026-01-07"},
		{"timestamp a millisecond before", byTimestamp, row{"at": w.Start.Add(-time.Millisecond)}, "2026-01-04"},
		{"timestamp at the end", byTimestamp, row{"at": w.End}, "2026-01-07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := newSink(t, dir, Options{})
			wr, err := s.Begin(ctx, tt.tbl, w, "s.x", "run1")
			require.NoError(t, err)
			inside := row{"day": day("2026-01-05"), "gen": "x", "n": 1, "at": w.Start}
			rec := record(t, tt.tbl, []row{inside, tt.row})
			defer rec.Release()
			err = wr.Write(ctx, rec)
			require.Error(t, err)
			for _, part := range []string{tt.tbl.Name, tt.wantDay, "2026-01-05..2026-01-06", "outside the window"} {
				assert.Contains(t, err.Error(), part)
			}
			require.NoError(t, wr.Abort(ctx))
			assert.Equal(t, schemaOnlyTree(tt.tbl), withoutPrivate(tree(t, dir)), "an aborted load leaves only the table's schema-only file")
		})
	}
}

func TestBeginRejects(t *testing.T) {
	s := newSink(t, t.TempDir(), Options{})
	ctx := context.Background()
	tests := []struct {
		name string
		tbl  *schemas.Table
		w    window.Window
		want string
	}{
		{"partial-day window", daily, window.New(day("2026-01-01").Add(12*time.Hour), day("2026-01-02")), "does not start and end at UTC midnight"},
		{"table name that is a path", &schemas.Table{Name: "../x", Columns: daily.Columns, Disposition: schemas.ReplaceAll}, days("2026-01-01", "2026-01-01"), "cannot name a directory"},
		{"invalid table", &schemas.Table{Name: "bad", Columns: daily.Columns, Disposition: schemas.ReplaceWindow}, days("2026-01-01", "2026-01-01"), "needs a day column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Begin(ctx, tt.tbl, tt.w, "s.x", "run1")
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestWriteRejectsRecordsThatDoNotMatchTheTable(t *testing.T) {
	other := &schemas.Table{Name: "daily", Columns: []schemas.Column{{Name: "day", Type: schemas.Date}, {Name: "gen", Type: schemas.Int64}, {Name: "n", Type: schemas.Int64}}}
	tests := []struct {
		name string
		tbl  *schemas.Table
		rows []row
		want string
	}{
		{"wrong type", other, []row{{"day": day("2026-01-01"), "gen": 1, "n": 1}}, "column gen: Arrow type int64 cannot load into a string column"},
		{"null in a required column", daily, []row{{"day": day("2026-01-01"), "gen": "g", "n": 1}, {"day": day("2026-01-01"), "n": 1}}, "row 1 is null but the column is not nullable"},
		{"null day", &schemas.Table{Name: "daily", Columns: []schemas.Column{{Name: "day", Type: schemas.Date, Nullable: true}, {Name: "gen", Type: schemas.String}, {Name: "n", Type: schemas.Int64}}},
			[]row{{"gen": "g", "n": 1}}, "row 0 has no day"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := newSink(t, dir, Options{})
			wr, err := s.Begin(ctx, daily, days("2026-01-01", "2026-01-01"), "s.x", "run1")
			require.NoError(t, err)
			rec := record(t, tt.tbl, tt.rows)
			defer rec.Release()
			require.ErrorContains(t, wr.Write(ctx, rec), tt.want)
			require.ErrorContains(t, wr.Commit(ctx), "Abort it", "a load whose Write failed cannot commit half a batch")
			require.NoError(t, wr.Abort(ctx))
			assert.Equal(t, schemaOnlyTree(daily), withoutPrivate(tree(t, dir)), "an aborted load leaves only the table's schema-only file")
		})
	}
}

func TestOpenFilesStayBoundedOverALongWindow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newSink(t, dir, Options{MaxOpenFiles: 16, RowGroupRows: 7})
	ds := dayList("2026-01-01", 60)
	wr, err := s.Begin(ctx, daily, days(ds[0], ds[59]), "s.x", "run1")
	require.NoError(t, err)
	for batch := 0; batch < 2; batch++ {
		var rows []row
		for i := 0; i < 600; i++ { // every record jumps across all 60 days
			rows = append(rows, row{"day": day(ds[(i*7)%60]), "gen": "g", "n": i})
		}
		rec := record(t, daily, rows)
		require.NoError(t, wr.Write(ctx, rec))
		rec.Release()
		assert.LessOrEqual(t, wr.(*Writer).PeakOpenFiles(), 16)
	}
	require.NoError(t, wr.Commit(ctx))
	assert.Equal(t, 16, wr.(*Writer).PeakOpenFiles(), "the bound was reached, and held")

	byDay, err := RowsByPartition(context.Background(), dir, daily.Name)
	require.NoError(t, err)
	require.Len(t, byDay, 60)
	for _, d := range ds {
		assert.EqualValues(t, 20, byDay[d], "day %s", d)
	}
	files := must(ListFiles(context.Background(), dir, daily.Name))
	assert.Greater(t, len(files), 60, "a day whose file was closed continues in the next part")
	assert.FileExists(t, filepath.Join(dir, daily.Name, "dt="+ds[0], "part-s.x-run1-00001.parquet"))

	f := must(os.Open(files[0]))
	defer f.Close()
	pf := must(parquetgo.OpenFile(f, must(f.Stat()).Size()))
	assert.Equal(t, int((pf.NumRows()+6)/7), len(pf.RowGroups()), "row groups hold at most RowGroupRows rows")
}

// What the open files hold stays within MaxBufferedBytes however many rows
// a day has, and a stream in time order, either way, still gets one file a
// day: the files finished to stay within it are of days the load has moved
// past. A day bigger than the bound on its own ends row groups early.
func TestBufferedBytesStayBoundedWhateverADaysVolume(t *testing.T) {
	const (
		rowBytes = 17 // day and n count 8, gen 1 (writeColumn)
		budget   = 12 << 10
	)
	ds := dayList("2026-01-01", 8)
	tests := []struct {
		name       string
		days       []string // in the order the rows come
		perDay     int
		wantFiles  int
		manyGroups bool // the one day's file has more than one row group
	}{
		{"descending, as a newest-first walk", reversed(ds), 500, 8, false},
		{"ascending", ds, 500, 8, false},
		{"one day far bigger than the bound", ds[:1], 4000, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := newSink(t, dir, Options{MaxBufferedBytes: budget})
			wr, err := s.Begin(ctx, daily, days(ds[0], ds[7]), "s.x", "run1")
			require.NoError(t, err)
			var rows []row
			for _, d := range tc.days {
				for i := 0; i < tc.perDay; i++ {
					rows = append(rows, row{"day": day(d), "gen": "g", "n": i})
				}
			}
			for len(rows) > 0 { // records of 700 rows: each spans two days
				k := min(len(rows), 700)
				rec := record(t, daily, rows[:k])
				require.NoError(t, wr.Write(ctx, rec))
				rec.Release()
				rows = rows[k:]
			}
			require.NoError(t, wr.Commit(ctx))
			peak := wr.(*Writer).PeakBufferedBytes()
			assert.LessOrEqual(t, peak, int64(budget+rowsPerWrite*rowBytes), "at most one call's rows over the bound")
			assert.Greater(t, peak, int64(budget), "the bound was reached")

			byDay, err := RowsByPartition(context.Background(), dir, daily.Name)
			require.NoError(t, err)
			require.Len(t, byDay, len(tc.days))
			for _, d := range tc.days {
				assert.EqualValues(t, tc.perDay, byDay[d], "day %s", d)
			}
			files := must(ListFiles(context.Background(), dir, daily.Name))
			assert.Len(t, files, tc.wantFiles, "one file a day: no day was finished while it had rows to come")
			f := must(os.Open(files[0]))
			defer f.Close()
			pf := must(parquetgo.OpenFile(f, must(f.Stat()).Size()))
			if tc.manyGroups {
				assert.Greater(t, len(pf.RowGroups()), 1, "the day's rows reached disk in several row groups")
			} else {
				assert.Len(t, pf.RowGroups(), 1)
			}
		})
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func TestNamesAreFileSafe(t *testing.T) {
	tests := []struct{ in, stream, run string }{
		{"userflow.content_sessions", "userflow.content_sessions", "userflow.content_sessions"},
		{"a-b", "a~2db", "a-b"},
		{"../etc/x y", "~2e.~2fetc~2fx~20y", "~2e.~2fetc~2fx~20y"},
		{"20260102T030405Z-ab12", "20260102T030405Z~2dab12", "20260102T030405Z-ab12"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.stream, fileSafe(tt.in, false), tt.in)
		assert.Equal(t, tt.run, fileSafe(tt.in, true), tt.in)
	}
}

func TestCountRowsOfATableNeverLoaded(t *testing.T) {
	n, err := CountRows(context.Background(), t.TempDir(), "nothing")
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestCommitFailsWhenTheContextIsDone(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	wr, err := s.Begin(ctx, daily, days("2026-01-01", "2026-01-01"), "s.x", "run1")
	require.NoError(t, err)
	rec := record(t, daily, dailyRows("g", "2026-01-01"))
	defer rec.Release()
	require.NoError(t, wr.Write(ctx, rec))
	cancel()
	require.True(t, errors.Is(wr.Commit(ctx), context.Canceled))
	require.NoError(t, wr.Abort(context.Background()))
	assert.Equal(t, schemaOnlyTree(daily), withoutPrivate(tree(t, dir)), "an aborted load leaves only the table's schema-only file")
}

// Long strings go to the column writers in runs of whole rows of about
// bytesPerCall bytes, so a page of JSON payloads or lists of long strings
// outgrows the 64 KiB page buffer by that much and one row at most, however
// many rows a record holds.
func TestPagesOfLongStringsStayNearThePageSize(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, Options{})
	const size = 3000
	long := strings.Repeat("x", size)
	var rows []row
	for i := range 1200 {
		rows = append(rows, row{
			"id": fmt.Sprint(i), "at": day("2026-01-02"), "payload": fmt.Sprintf(`{"i":%d,"s":"%s"}`, i, long),
			"tags": []string{long, long}, "_extracted_at": day("2026-01-02"), "_run_id": "run1",
		})
	}
	loadRows(t, s, allTypes, days("2026-01-02", "2026-01-02"), "s.x", rows)

	files := must(ListFiles(context.Background(), dir, allTypes.Name))
	require.Len(t, files, 1)
	f := must(os.Open(files[0]))
	defer f.Close()
	pf := must(parquetgo.OpenFile(f, must(f.Stat()).Size()))
	limit := int64(64<<10 + bytesPerCall + 2*(size+100))
	for _, col := range []string{"payload", "tags"} {
		path := []string{col}
		if col == "tags" {
			path = []string{"tags", "list", "element"}
		}
		leaf, ok := pf.Schema().Lookup(path...)
		require.True(t, ok, "column %s", col)
		// 10 MB of text: MaxBufferedBytes ends row groups on the way.
		n := 0
		for _, rg := range pf.RowGroups() {
			pages := rg.ColumnChunks()[leaf.ColumnIndex].Pages()
			for {
				p, err := pages.ReadPage()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				assert.LessOrEqual(t, p.Size(), limit, "a page of %s", col)
				n++
			}
			require.NoError(t, pages.Close())
		}
		assert.Greater(t, n, 40, "%s is cut in pages", col)
	}
}
