package parquet

import (
	"context"
	"fmt"
	"math/rand"
	"os"
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

// sessions is shaped like Userflow's content sessions: the version and the
// day move (last activity), the partition column never does (created_at).
var sessions = &schemas.Table{
	Name: "sessions",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp},
		schemas.Column{Name: "last_activity_at", Type: schemas.Timestamp},
		schemas.Column{Name: "progress", Type: schemas.Float64},
	),
	Disposition: schemas.Merge,
	Key:         []string{"id"},
	Version:     "last_activity_at",
	Day:         "last_activity_at",
	Partition:   "created_at",
}

// session is one state of a session as a source returns it.
type session struct {
	id            string
	created, last time.Time
	progress      float64
}

func (s session) row(run string, extracted time.Time) row {
	return row{"id": s.id, "created_at": s.created, "last_activity_at": s.last, "progress": s.progress,
		"_extracted_at": extracted, "_run_id": run}
}

// loadAs is loadRows with a run id of its own.
func loadAs(t testing.TB, s *Sink, tbl *schemas.Table, w window.Window, run string, batches ...[]row) {
	t.Helper()
	ctx := context.Background()
	wr, err := s.Begin(ctx, tbl, w, "uf.sessions", run)
	require.NoError(t, err)
	for _, rows := range batches {
		rec := record(t, tbl, rows)
		err := wr.Write(ctx, rec)
		rec.Release()
		require.NoError(t, err)
	}
	require.NoError(t, wr.Commit(ctx))
}

// sessionState reads the table: one line a key ("id last progress run"),
// failing on a key in two rows, and checks with DuckDB, a reader that did
// not write the files, that it counts as many rows as keys.
func sessionState(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, r := range readTable(t, dir, sessions) {
		id := r["id"].(string)
		require.False(t, seen[id], "session %s is in two rows", id)
		seen[id] = true
		assert.Equal(t, r["created_at"].(time.Time).Format("2006-01"), r["dt"], "session %s sits in the month it was created", id)
		out = append(out, fmt.Sprintf("%s %s %v %s", id, r["last_activity_at"].(time.Time).Format("01-02T15"), r["progress"], r["_run_id"]))
	}
	slices.Sort(out)
	if len(out) > 0 {
		glob := strings.ReplaceAll(filepath.Join(dir, sessions.Name, "**", "*.parquet"), "'", "''")
		got := testsupport.DuckDB(t, "SELECT count(*) AS n, count(DISTINCT id) AS k FROM read_parquet('"+glob+"', hive_partitioning = true)")
		assert.Equal(t, []map[string]any{{"n": int64(len(out)), "k": int64(len(out))}}, got, "DuckDB counts one row a key")
	}
	return out
}

func at(d string, h int) time.Time { return day(d).Add(time.Duration(h) * time.Hour) }

// A session that comes back on a later day has one row, its latest, in
// the month it was created: the load of its new day replaces its old row
// wherever that row's day was.
func TestMergeAKeyMovingBetweenDaysIsOneRow(t *testing.T) {
	swapModes(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		a := session{"a", at("2026-10-30", 9), at("2026-11-02", 10), 0.2}
		b := session{"b", at("2026-11-02", 9), at("2026-11-02", 11), 0.5}
		loadAs(t, s, sessions, days("2026-11-02", "2026-11-02"), "r1", []row{a.row("r1", day("2026-11-03")), b.row("r1", day("2026-11-03"))})
		a.last, a.progress = at("2026-11-12", 8), 1
		loadAs(t, s, sessions, days("2026-11-12", "2026-11-12"), "r2", []row{a.row("r2", day("2026-11-13"))})
		assert.Equal(t, []string{"a 11-12T08 1 r2", "b 11-02T11 0.5 r1"}, sessionState(t, dir))

		glob := strings.ReplaceAll(filepath.Join(dir, sessions.Name, "**", "*.parquet"), "'", "''")
		got := testsupport.DuckDB(t, "SELECT id, created_at_month FROM read_parquet('"+glob+"', hive_partitioning = true) ORDER BY id")
		assert.Equal(t, []map[string]any{{"id": "a", "created_at_month": "2026-10"}, {"id": "b", "created_at_month": "2026-11"}}, got,
			"readers get the partition as created_at_month")
		assert.Empty(t, leftovers(t, dir))
	})
}

// A load rewrites only the partitions its keys live in; the others keep
// their files, and a partition's files that lose no row are kept as they
// are.
func TestMergeRewritesOnlyThePartitionsOfItsKeys(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		var first []row
		for i, m := range []string{"2026-09-10", "2026-10-10", "2026-11-10"} {
			for j := range 5 {
				first = append(first, session{fmt.Sprintf("m%d-%d", i, j), at(m, j), at("2026-11-20", j), 0}.row("r1", day("2026-11-21")))
			}
		}
		loadAs(t, s, sessions, days("2026-11-20", "2026-11-20"), "r1", first)
		inodes := func() map[string]os.FileInfo {
			out := map[string]os.FileInfo{}
			for _, f := range must(ListFiles(context.Background(), dir, sessions.Name)) {
				out[strings.TrimPrefix(f, dir)] = must(os.Stat(f))
			}
			return out
		}
		before := inodes()
		require.Len(t, before, 3, "one file a month")

		// Two sessions of November come back; one of October is new.
		ctx := context.Background()
		wr, err := s.Begin(ctx, sessions, days("2026-11-25", "2026-11-25"), "uf.sessions", "r2")
		require.NoError(t, err)
		rec := record(t, sessions, []row{
			session{"m2-1", at("2026-11-10", 1), at("2026-11-25", 1), 1}.row("r2", day("2026-11-26")),
			session{"m2-3", at("2026-11-10", 3), at("2026-11-25", 3), 1}.row("r2", day("2026-11-26")),
			session{"new", at("2026-10-01", 0), at("2026-11-25", 0), 1}.row("r2", day("2026-11-26")),
		})
		require.NoError(t, wr.Write(ctx, rec))
		rec.Release()
		require.NoError(t, wr.Commit(ctx))
		parts, rowsCopied, _ := wr.(*Writer).MergeStats()
		assert.Equal(t, 2, parts, "two partitions touched")
		assert.EqualValues(t, 3, rowsCopied, "the 3 November rows the load does not replace are copied; nothing else is")

		after := inodes()
		for path, info := range before {
			switch {
			case strings.Contains(path, "created_at_month=2026-11"):
				assert.NotContains(t, after, path, "November's file lost two rows: rewritten")
			default:
				require.Contains(t, after, path)
				assert.True(t, os.SameFile(info, after[path]), "%s is kept as it is", path)
			}
		}
		state := sessionState(t, dir)
		assert.Len(t, state, 16)
		assert.Contains(t, state, "m2-1 11-25T01 1 r2")
		assert.Contains(t, state, "m2-2 11-20T02 0 r1")
	})
}

// Ties: against the partition's rows a tie on the version goes to the
// load; within one load the latest _extracted_at wins, then the row
// written last, across records and files.
func TestMergeTies(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		// One open file: the load's rows alternating between two months are
		// spread over many files of each.
		s := newSink(t, dir, Options{MaxOpenFiles: 1})
		w := days("2026-11-01", "2026-11-30")
		created := map[string]time.Time{"a": at("2026-10-01", 0), "b": at("2026-11-01", 0), "c": at("2026-10-02", 0), "d": at("2026-11-02", 0)}
		v := func(id string, h int, progress float64, run string, extracted time.Time) row {
			return session{id, created[id], at("2026-11-05", h), progress}.row(run, extracted)
		}
		x1, x2 := day("2026-12-01"), day("2026-12-02")
		loadAs(t, s, sessions, w, "r1", []row{v("a", 5, 0.1, "r1", x1), v("b", 5, 0.1, "r1", x1), v("c", 5, 0.1, "r1", x1), v("d", 9, 0.1, "r1", x1)})
		loadAs(t, s, sessions, w, "r2",
			[]row{
				v("a", 5, 0.2, "r2", x1),                           // ties the live row: the load wins
				v("b", 5, 0.2, "r2", x2), v("b", 5, 0.3, "r2", x1), // within the load: the later extraction wins
				v("c", 5, 0.2, "r2", x1), v("d", 7, 0.9, "r2", x2), // d: older than the live row, which stays
			},
			[]row{v("c", 5, 0.3, "r2", x1), v("a", 4, 0.9, "r2", x2)}, // c: written last wins a tie; a: older
			[]row{v("c", 5, 0.4, "r2", x1)},
		)
		assert.Equal(t, []string{"a 11-05T05 0.2 r2", "b 11-05T05 0.2 r2", "c 11-05T05 0.4 r2", "d 11-05T09 0.1 r1"}, sessionState(t, dir))
	})
}

// A key the load carries more than once is one row, its newest version,
// whether it is new to the partition or not.
func TestMergeDedupesWithinALoad(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{RowGroupRows: 2})
		w := days("2026-11-01", "2026-11-30")
		c := at("2026-11-01", 0)
		x := day("2026-12-01")
		loadAs(t, s, sessions, w, "r1", []row{
			session{"twice", c, at("2026-11-09", 3), 0.3}.row("r1", x),
			session{"once", c, at("2026-11-02", 0), 0}.row("r1", x),
			session{"twice", c, at("2026-11-09", 1), 0.1}.row("r1", x),
		}, []row{session{"twice", c, at("2026-11-09", 2), 0.2}.row("r1", x)})
		assert.Equal(t, []string{"once 11-02T00 0 r1", "twice 11-09T03 0.3 r1"}, sessionState(t, dir), "a load into an empty table")

		loadAs(t, s, sessions, w, "r2", []row{
			session{"once", c, at("2026-11-20", 0), 1}.row("r2", x),
			session{"once", c, at("2026-11-21", 0), 0.5}.row("r2", x),
			session{"once", c, at("2026-11-19", 0), 0.7}.row("r2", x),
		})
		assert.Equal(t, []string{"once 11-21T00 0.5 r2", "twice 11-09T03 0.3 r1"}, sessionState(t, dir), "a load over rows of its keys")
	})
}

// history is a source whose sessions come back: the state of each session
// at a point of the sequence is what a window returns.
type history struct {
	rng      *rand.Rand
	sessions []session
}

func newHistory(seed int64, n int) *history {
	h := &history{rng: rand.New(rand.NewSource(seed))}
	start := day("2026-10-01")
	for i := range n {
		created := start.Add(time.Duration(h.rng.Intn(75*24)) * time.Hour)
		h.sessions = append(h.sessions, session{fmt.Sprintf("s%04d", i), created, created.Add(time.Duration(h.rng.Intn(48)) * time.Hour), 0})
	}
	return h
}

// comeBack gives a share of the sessions later activity, as users return.
func (h *history) comeBack(share float64) {
	for i := range h.sessions {
		if h.rng.Float64() < share {
			h.sessions[i].last = h.sessions[i].last.Add(time.Duration(1+h.rng.Intn(15*24)) * time.Hour)
			h.sessions[i].progress += 0.1
		}
	}
}

// window returns the sessions whose last activity lies in w, as the API
// does, newest first.
func (h *history) window(w window.Window) []session {
	var out []session
	for _, s := range h.sessions {
		if w.Contains(s.last) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b session) int { return b.last.Compare(a.last) })
	return out
}

// Windows of any size in any order, with the source changing between
// them, end with the rows ClickHouse keeps: per key the greatest version
// any load carried, a tie going to the later load.
func TestMergeWindowsInAnyOrderAreExact(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		for seed := int64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
				h := newHistory(seed, 300)
				dir := t.TempDir()
				s := newSink(t, dir, Options{RowGroupRows: 50, MaxMergeKeys: 1 << uint(3+seed)})
				type newest struct {
					last time.Time
					line string
				}
				oracle := map[string]newest{}
				whole := window.New(day("2026-10-01"), day("2027-01-10"))
				step := 0
				for round := range 3 {
					var ws []window.Window
					chunk := time.Duration(1+h.rng.Intn(10)) * window.Day
					for start := whole.Start; start.Before(whole.End); start = start.Add(chunk) {
						end := start.Add(chunk)
						if end.After(whole.End) {
							end = whole.End
						}
						ws = append(ws, window.New(start, end))
					}
					h.rng.Shuffle(len(ws), func(i, j int) { ws[i], ws[j] = ws[j], ws[i] })
					for _, w := range ws[:len(ws)*2/3] {
						step++
						run := fmt.Sprintf("r%03d", step)
						var rows []row
						for _, ss := range h.window(w) {
							rows = append(rows, ss.row(run, whole.End))
							if old, ok := oracle[ss.id]; !ok || !ss.last.Before(old.last) { // a tie goes to the later load
								oracle[ss.id] = newest{ss.last, fmt.Sprintf("%s %s %v %s", ss.id, ss.last.Format("01-02T15"), ss.progress, run)}
							}
						}
						loadAs(t, s, sessions, w, run, rows)
					}
					h.comeBack(0.15 * float64(round+1))
				}
				want := slices.Sorted(func(yield func(string) bool) {
					for _, l := range oracle {
						if !yield(l.line) {
							return
						}
					}
				})
				assert.Equal(t, want, sessionState(t, dir))
			})
		}
	})
}

// A load bigger than MaxMergeKeys is merged in passes over hash ranges,
// with the same rows as one pass.
func TestMergeInPassesMatchesOnePass(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		h := newHistory(9, 400)
		var states []string
		for _, maxKeys := range []int{0, 7, 64} {
			dir := t.TempDir()
			s := newSink(t, dir, Options{RowGroupRows: 30, MaxMergeKeys: maxKeys})
			w := window.New(day("2026-10-01"), day("2027-01-10"))
			for i, share := range []float64{0, 0.3, 0.3} {
				h2 := *h
				h2.rng = rand.New(rand.NewSource(int64(i)))
				h2.sessions = slices.Clone(h.sessions)
				for range i {
					h2.comeBack(share)
				}
				var rows []row
				for _, ss := range h2.window(w) {
					rows = append(rows, ss.row(fmt.Sprint("r", i), w.End), ss.row(fmt.Sprint("r", i), w.End.Add(-time.Hour)))
				}
				loadAs(t, s, sessions, w, fmt.Sprint("r", i), rows)
			}
			states = append(states, strings.Join(sessionState(t, dir), "\n"))
		}
		assert.Equal(t, states[0], states[1], "7 keys a pass")
		assert.Equal(t, states[0], states[2], "64 keys a pass")
	})
}

// Each load of new keys adds a file to their partition; once more than
// maxSmallFiles small files sit there, a merge rewrites them into one.
func TestMergeCompactsSmallFiles(t *testing.T) {
	onBothStores(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{RowGroupRows: 100})
		for d := range 30 {
			ds := day("2026-11-01").AddDate(0, 0, d).Format(time.DateOnly)
			var rows []row
			for i := range 3 {
				rows = append(rows, session{fmt.Sprintf("d%02d-%d", d, i), at("2026-11-01", i), at(ds, i), 0}.row("r1", day("2026-12-01")))
			}
			loadAs(t, s, sessions, days(ds, ds), "r1", rows)
			files := must(ListFiles(context.Background(), dir, sessions.Name))
			assert.LessOrEqual(t, len(files), maxSmallFiles+1, "day %d", d)
		}
		assert.Len(t, sessionState(t, dir), 90)
	})
}

// preparedLoad is a load of sessions prepared to swap, its table's lock held.
func preparedLoad(t *testing.T, s *Sink, w window.Window, run string, rows []row) *Writer {
	t.Helper()
	ctx := context.Background()
	wr, err := s.Begin(ctx, sessions, w, "uf.sessions", run)
	require.NoError(t, err)
	rec := record(t, sessions, rows)
	defer rec.Release()
	require.NoError(t, wr.Write(ctx, rec))
	require.NoError(t, wr.(*Writer).Prepare(ctx))
	return wr.(*Writer)
}

// A crash between the two renames of a partition's swap (the trash path)
// leaves the old partition in the trash: New puts it back and the table is
// as before the load, one row a key; the load run again is exact.
func TestMergeRecoversFromACrashMidSwap(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{})
	require.NoError(t, err)
	old := []row{session{"a", at("2026-11-01", 0), at("2026-11-02", 0), 0}.row("r1", day("2026-11-03")),
		session{"b", at("2026-11-01", 1), at("2026-11-02", 1), 0}.row("r1", day("2026-11-03"))}
	loadAs(t, s, sessions, days("2026-11-02", "2026-11-02"), "r1", old)
	before := sessionState(t, dir)

	next := []row{session{"a", at("2026-11-01", 0), at("2026-11-09", 0), 1}.row("r2", day("2026-11-10"))}
	wr := preparedLoad(t, s, days("2026-11-09", "2026-11-09"), "r2", next)
	st := wr.stages[0].(*localStage)
	require.NoError(t, os.MkdirAll(filepath.Dir(st.trash), 0o755))
	require.NoError(t, os.Rename(st.live, st.trash), "the first rename of the fallback swap; then the process dies")
	wr.unlock()
	require.NoError(t, s.Close())

	s = newSink(t, dir, Options{})
	assert.Equal(t, before, sessionState(t, dir), "the old partition is back")
	assert.NoDirExists(t, filepath.Join(dir, trashDir))
	assert.NoDirExists(t, filepath.Join(dir, stagingDir))
	loadAs(t, s, sessions, days("2026-11-09", "2026-11-09"), "r2", next)
	assert.Equal(t, []string{"a 11-09T00 1 r2", "b 11-02T01 0 r1"}, sessionState(t, dir))
}

// A crash after some of a load's partitions are swapped in leaves each
// partition whole, old or new: every key is still one row (a key lives in
// one partition), and the window run again completes it.
func TestMergeCrashBetweenPartitionsLeavesOneRowAKey(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir, Options{})
	require.NoError(t, err)
	oct, nov := at("2026-10-20", 0), at("2026-11-01", 0)
	loadAs(t, s, sessions, days("2026-11-02", "2026-11-02"), "r1", []row{
		session{"oct", oct, at("2026-11-02", 0), 0}.row("r1", day("2026-11-03")),
		session{"nov", nov, at("2026-11-02", 1), 0}.row("r1", day("2026-11-03")),
	})
	next := []row{
		session{"oct", oct, at("2026-11-09", 0), 1}.row("r2", day("2026-11-10")),
		session{"nov", nov, at("2026-11-09", 1), 1}.row("r2", day("2026-11-10")),
	}
	wr := preparedLoad(t, s, days("2026-11-09", "2026-11-09"), "r2", next)
	require.Len(t, wr.stages, 2)
	require.NoError(t, wr.stages[0].(*localStage).swap(), "October is swapped in; then the process dies")
	wr.unlock()
	require.NoError(t, s.Close())

	s = newSink(t, dir, Options{})
	assert.Equal(t, []string{"nov 11-02T01 0 r1", "oct 11-09T00 1 r2"}, sessionState(t, dir))
	loadAs(t, s, sessions, days("2026-11-09", "2026-11-09"), "r2", next)
	assert.Equal(t, []string{"nov 11-09T01 1 r2", "oct 11-09T00 1 r2"}, sessionState(t, dir))
}

// Readers add the partition key as a column: a table declaring a column
// of that name cannot be loaded, and a merge key cannot be a list.
func TestBeginRefusesAColumnNamedLikeThePartitionKey(t *testing.T) {
	s := newSink(t, t.TempDir(), Options{})
	clash := *sessions
	clash.Columns = append(slices.Clone(sessions.Columns), schemas.Column{Name: "created_at_month", Type: schemas.String})
	_, err := s.Begin(context.Background(), &clash, days("2026-11-01", "2026-11-01"), "s.x", "r1")
	require.ErrorContains(t, err, "declares a column created_at_month, the name of its Parquet partition key")

	dt := *daily
	dt.Columns = append(slices.Clone(daily.Columns), schemas.Column{Name: "dt", Type: schemas.String})
	_, err = s.Begin(context.Background(), &dt, days("2026-11-01", "2026-11-01"), "s.x", "r1")
	require.ErrorContains(t, err, "declares a column dt")

	list := *sessions
	list.Columns = append(slices.Clone(sessions.Columns), schemas.Column{Name: "tags", Type: schemas.StringList})
	list.Key = []string{"id", "tags"}
	_, err = s.Begin(context.Background(), &list, days("2026-11-01", "2026-11-01"), "s.x", "r1")
	require.ErrorContains(t, err, "key column tags is a list")
}

// An unpartitioned merge table (no Partition) is one set of files in its
// directory, one row a key.
func TestMergeWithoutPartitionIsOneSetOfFiles(t *testing.T) {
	swapModes(t, func(t *testing.T) {
		dir := t.TempDir()
		s := newSink(t, dir, Options{})
		seen := func(id string, d string) row {
			return row{"id": id, "seen_at": at(d, 1), "_extracted_at": day(d), "_run_id": "r"}
		}
		loadRows(t, s, lastSeen, days("2026-11-01", "2026-11-01"), "bot.users", []row{seen("a", "2026-11-01"), seen("b", "2026-11-01")})
		loadRows(t, s, lastSeen, days("2026-11-05", "2026-11-05"), "bot.users", []row{seen("a", "2026-11-05")})
		for _, p := range withoutPrivate(tree(t, dir)) {
			if p != lastSeen.Name+"/" {
				assert.Regexp(t, `^last_seen/part-bot\.users-run1-[0-9a-f]{8}-\d{5}\.parquet$`, p)
			}
		}
		assert.Equal(t, []map[string]any{{"id": "a", "seen_at": "2026-11-05T01:00:00Z"}, {"id": "b", "seen_at": "2026-11-01T01:00:00Z"}}, newestPerKey(t, dir))
	})
}
