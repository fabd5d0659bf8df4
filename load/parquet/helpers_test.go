package parquet

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore/localfs"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// allTypes has a column of every type, nullable where the type allows it.
var allTypes = &schemas.Table{
	Name: "all_types",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String},
		schemas.Column{Name: "at", Type: schemas.Timestamp},
		schemas.Column{Name: "label", Type: schemas.String, Nullable: true},
		schemas.Column{Name: "n", Type: schemas.Int64, Nullable: true},
		schemas.Column{Name: "score", Type: schemas.Float64, Nullable: true},
		schemas.Column{Name: "ok", Type: schemas.Bool, Nullable: true},
		schemas.Column{Name: "seen_at", Type: schemas.Timestamp, Nullable: true},
		schemas.Column{Name: "on_day", Type: schemas.Date, Nullable: true},
		schemas.Column{Name: "tags", Type: schemas.StringList},
		schemas.Column{Name: "payload", Type: schemas.JSON, Nullable: true},
	),
	Disposition: schemas.Merge,
	Key:         []string{"id"},
	Version:     schemas.ExtractedAt,
	Day:         "at",
	Partition:   "at",
}

// allTypesDaily has allTypes' columns, replaced by day: its files sit in
// the dt= day of "at".
var allTypesDaily = &schemas.Table{
	Name:        "all_types_daily",
	Columns:     allTypes.Columns,
	Disposition: schemas.ReplaceWindow,
	Key:         []string{"id"},
	Day:         "at",
}

// daily is a per-day aggregate: gen tells which load wrote a row.
var daily = &schemas.Table{
	Name: "daily",
	Columns: []schemas.Column{
		{Name: "day", Type: schemas.Date},
		{Name: "gen", Type: schemas.String},
		{Name: "n", Type: schemas.Int64},
	},
	Disposition: schemas.ReplaceWindow,
	Key:         []string{"day"},
	Day:         "day",
}

// snapshot is a dimension loaded whole.
var snapshot = &schemas.Table{
	Name: "snapshot",
	Columns: []schemas.Column{
		{Name: "id", Type: schemas.String},
		{Name: "gen", Type: schemas.String},
	},
	Disposition: schemas.ReplaceAll,
	Key:         []string{"id"},
}

type row = map[string]any

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// days is the whole-day window from first to last inclusive.
func days(first, last string) window.Window {
	return window.New(day(first), day(last).Add(window.Day))
}

// record builds an Arrow record with the schema the transform derives.
func record(t testing.TB, tbl *schemas.Table, rows []row) arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(memory.NewGoAllocator(), transform.ArrowSchema(tbl))
	defer b.Release()
	for _, r := range rows {
		for c, col := range tbl.Columns {
			v, ok := r[col.Name]
			fb := b.Field(c)
			if !ok || v == nil {
				if col.Type == schemas.StringList {
					fb.(*array.ListBuilder).Append(true) // absent list = empty
					continue
				}
				fb.AppendNull()
				continue
			}
			switch col.Type {
			case schemas.String, schemas.JSON:
				fb.(*array.StringBuilder).Append(v.(string))
			case schemas.Int64:
				fb.(*array.Int64Builder).Append(int64(v.(int)))
			case schemas.Float64:
				fb.(*array.Float64Builder).Append(v.(float64))
			case schemas.Bool:
				fb.(*array.BooleanBuilder).Append(v.(bool))
			case schemas.Timestamp:
				fb.(*array.TimestampBuilder).Append(arrow.Timestamp(v.(time.Time).UnixMilli()))
			case schemas.Date:
				fb.(*array.Date32Builder).Append(arrow.Date32FromTime(v.(time.Time)))
			case schemas.StringList:
				lb := fb.(*array.ListBuilder)
				lb.Append(true)
				for _, s := range v.([]string) {
					lb.ValueBuilder().(*array.StringBuilder).Append(s)
				}
			default:
				t.Fatalf("column %s: no builder for %s", col.Name, col.Type)
			}
		}
	}
	return b.NewRecord()
}

// onObjectStore makes newSink open a sink on an object store over dir
// (swapModes).
var onObjectStore bool

// localfsLock is the lock file objectstore/localfs keeps in its root.
const localfsLock = ".localfs.lock"

// lockOf is the lock file a sink, or the object store under it, keeps in
// dir in the current mode.
func lockOf(string) string {
	if onObjectStore {
		return localfsLock
	}
	return lockFile
}

func newSink(t testing.TB, dir string, opts Options) *Sink {
	t.Helper()
	if onObjectStore {
		return newLocalfsSink(t, dir, opts)
	}
	s, err := New(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newLocalfsSink opens a sink on an object store whose objects are the
// files under dir (objectstore/localfs), staging in a scratch directory of
// the test's; the test fails if Close leaves anything in scratch.
func newLocalfsSink(t testing.TB, dir string, opts Options) *Sink {
	t.Helper()
	objs, err := localfs.Open(dir)
	require.NoError(t, err)
	if opts.Scratch == "" {
		opts.Scratch = t.TempDir()
	}
	s, err := newObjectSink(objs, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		require.NoError(t, objs.Close())
		left, err := os.ReadDir(opts.Scratch)
		require.NoError(t, err)
		assert.Empty(t, left, "Close removes the sink's scratch")
	})
	return s
}

// loadRows runs Begin, Write (one record per slice of rows) and Commit.
func loadRows(t testing.TB, s *Sink, tbl *schemas.Table, w window.Window, stream string, batches ...[]row) {
	t.Helper()
	ctx := context.Background()
	wr, err := s.Begin(ctx, tbl, w, stream, "run1")
	require.NoError(t, err)
	for _, rows := range batches {
		rec := record(t, tbl, rows)
		err := wr.Write(ctx, rec)
		rec.Release()
		require.NoError(t, err)
	}
	require.NoError(t, wr.Commit(ctx))
}

// dailyRows are one row per day of [first, last] written by load gen.
func dailyRows(gen string, ds ...string) []row {
	var out []row
	for _, d := range ds {
		out = append(out, row{"day": day(d), "gen": gen, "n": 1})
	}
	return out
}

// readTable reads every live file of a table with parquet-go, adding the
// value of the partition directory of the row's file as "dt" (the day of
// dt=, a merge table's month, "" for an unpartitioned table) and the file
// name as "file".
func readTable(t testing.TB, dir string, tbl *schemas.Table) []row {
	t.Helper()
	files, err := ListFiles(context.Background(), dir, tbl.Name)
	require.NoError(t, err)
	var out []row
	for _, path := range files {
		for _, r := range readFile(t, path, tbl) {
			r["dt"] = ""
			if d := filepath.Base(filepath.Dir(path)); isPartitionDir(d) {
				_, r["dt"], _ = strings.Cut(d, "=")
			}
			r["file"] = filepath.Base(path)
			out = append(out, r)
		}
	}
	return out
}

// readFile decodes rows by their definition and repetition levels, so a
// wrong level in the writer shows up as a wrong value here.
func readFile(t testing.TB, path string, tbl *schemas.Table) []row {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	pf, err := parquetgo.OpenFile(f, st.Size())
	require.NoError(t, err)
	require.Equal(t, Schema(tbl).String(), pf.Schema().String(), "schema of %s", path)

	var out []row
	buf := make([]parquetgo.Row, 64)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, pr := range buf[:n] {
				out = append(out, decodeRow(t, tbl, pr))
			}
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
		require.NoError(t, rows.Close())
	}
	require.Len(t, out, int(pf.NumRows()))
	return out
}

func decodeRow(t testing.TB, tbl *schemas.Table, pr parquetgo.Row) row {
	r := row{}
	for _, col := range tbl.Columns {
		if col.Type == schemas.StringList {
			r[col.Name] = []string{}
		}
	}
	for _, v := range pr {
		col := tbl.Columns[v.Column()]
		if col.Type == schemas.StringList {
			if v.DefinitionLevel() == 1 {
				r[col.Name] = append(r[col.Name].([]string), string(v.ByteArray()))
			}
			continue
		}
		if v.IsNull() {
			require.True(t, col.Nullable, "null in required column %s", col.Name)
			r[col.Name] = nil
			continue
		}
		switch col.Type {
		case schemas.String, schemas.JSON:
			r[col.Name] = string(v.ByteArray())
		case schemas.Int64:
			r[col.Name] = int(v.Int64())
		case schemas.Float64:
			r[col.Name] = v.Double()
		case schemas.Bool:
			r[col.Name] = v.Boolean()
		case schemas.Timestamp:
			r[col.Name] = time.UnixMilli(v.Int64()).UTC()
		case schemas.Date:
			r[col.Name] = dayTime(v.Int32())
		}
	}
	return r
}

// gens summarises daily: day -> sorted list of gen values found that day.
func gens(t testing.TB, dir string) map[string][]string {
	out := map[string][]string{}
	for _, r := range readTable(t, dir, daily) {
		d := r["day"].(time.Time).Format(time.DateOnly)
		require.Equal(t, d, r["dt"], "a row of day %s sits in dt=%s", d, r["dt"])
		out[d] = append(out[d], r["gen"].(string))
	}
	for _, g := range out {
		sort.Strings(g)
	}
	return out
}

// tree lists every path under dir (relative), for asserting what is left.
func tree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	require.NoError(t, err)
	return out
}

func dayList(first string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = day(first).AddDate(0, 0, i).Format(time.DateOnly)
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return v
}

// footerRows is the row count in a local file's footer.
func footerRows(t testing.TB, path string) int64 {
	t.Helper()
	r, err := openLocal(path)
	require.NoError(t, err)
	defer r.Close()
	pf, err := parquetgo.OpenFile(r, r.Size())
	require.NoError(t, err)
	return pf.NumRows()
}
