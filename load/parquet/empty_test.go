package parquet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// fullRow gives every column of tbl a value, the day columns w.Start, so a
// row fits whatever columns the table declares.
func fullRow(tbl *schemas.Table, w window.Window, id string) row {
	r := row{}
	for _, c := range tbl.Columns {
		switch c.Type {
		case schemas.String, schemas.JSON:
			r[c.Name] = id
		case schemas.Int64:
			r[c.Name] = 1
		case schemas.Float64:
			r[c.Name] = 1.5
		case schemas.Bool:
			r[c.Name] = true
		case schemas.Timestamp, schemas.Date:
			r[c.Name] = w.Start
		}
	}
	return r
}

// schemaOnlyState is what a test sees of a table: its part files, and
// whether its schema-only file is there.
func schemaOnlyState(t *testing.T, dir string, tbl *schemas.Table) (parts int, schemaOnly bool) {
	t.Helper()
	for _, f := range must(ListFiles(context.Background(), dir, tbl.Name)) {
		if isSchemaOnly(filepath.Base(f)) {
			schemaOnly = true
			continue
		}
		parts++
	}
	return parts, schemaOnly
}

// A table that has no rows holds exactly one file, with its schema and no
// row, whatever the disposition; its first rows take it away, and a load
// that takes the last rows away brings it back.
func TestATableWithoutRowsHoldsItsSchemaOnlyFile(t *testing.T) {
	w := days("2026-01-05", "2026-01-06")
	tests := []struct {
		name string
		tbl  *schemas.Table
		// emptiedByRerun: a rerun of the window without rows leaves the
		// table without rows (a Merge rerun keeps the keys it does not
		// carry).
		emptiedByRerun bool
	}{
		{"replace-window", daily, true},
		{"merge", allTypes, false},
		{"merge, unpartitioned", lastSeen, false},
		{"replace-all", snapshot, true},
		{"rejects", schemas.Rejects, true},
	}
	swapModes(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				s := newSink(t, dir, Options{Now: func() time.Time { return w.Start }})
				loadRows(t, s, tt.tbl, w, "src.one", nil)
				assert.Equal(t, schemaOnlyTree(tt.tbl), withoutPrivate(tree(t, dir)), "a load without rows leaves the table its schema-only file")
				file := filepath.Join(dir, tt.tbl.Name, layoutOf(tt.tbl).dir(emptyPart), schemaOnlyName)
				assertSchemaOnly(t, file, tt.tbl)
				before, err := os.Stat(file)
				require.NoError(t, err)

				loadRows(t, s, tt.tbl, w, "src.one", nil)
				after, err := os.Stat(file)
				require.NoError(t, err)
				assert.True(t, os.SameFile(before, after), "a rerun without rows keeps the schema-only file as it is")

				loadRows(t, s, tt.tbl, w, "src.one", []row{fullRow(tt.tbl, w, "a")})
				parts, schemaOnly := schemaOnlyState(t, dir, tt.tbl)
				assert.Equal(t, 1, parts)
				assert.False(t, schemaOnly, "the table's first rows take the schema-only file away")
				assert.NoFileExists(t, file)
				if part := layoutOf(tt.tbl).dir(emptyPart); part != "" {
					assert.NoDirExists(t, filepath.Join(dir, tt.tbl.Name, part))
				}

				// Another stream's load without rows: the table still has rows.
				loadRows(t, s, tt.tbl, w, "src.two", nil)
				_, schemaOnly = schemaOnlyState(t, dir, tt.tbl)
				assert.False(t, schemaOnly, "no schema-only file beside another stream's rows")

				loadRows(t, s, tt.tbl, w, "src.one", nil)
				parts, schemaOnly = schemaOnlyState(t, dir, tt.tbl)
				if tt.emptiedByRerun {
					assert.Equal(t, schemaOnlyTree(tt.tbl), withoutPrivate(tree(t, dir)), "a load that takes the last rows away brings the schema-only file back")
				} else {
					assert.Equal(t, 1, parts)
					assert.False(t, schemaOnly)
				}
				n, err := CountRows(context.Background(), dir, tt.tbl.Name)
				require.NoError(t, err)
				assert.Equal(t, int64(parts), n)
				assert.Empty(t, leftovers(t, dir), "no staging or trash left")
			})
		}
	})
}

// The next run's Sink finds the table as the last one left it: a
// schema-only file of an older schema (a column added since) is rewritten
// when a load of the table begins, even a load that fails.
func TestSchemaOnlyFileFollowsTheTablesSchema(t *testing.T) {
	dir := t.TempDir()
	older := &schemas.Table{Name: daily.Name, Columns: daily.Columns[:2], Disposition: daily.Disposition, Key: daily.Key, Day: daily.Day}
	s := newSink(t, dir, Options{})
	loadRows(t, s, older, days("2026-01-01", "2026-01-01"), "s.x", nil)
	file := filepath.Join(dir, daily.Name, dayDir(emptyPart), schemaOnlyName)
	assertSchemaOnly(t, file, older)
	require.NoError(t, s.Close())

	s = newSink(t, dir, Options{})
	ctx := context.Background()
	wr, err := s.Begin(ctx, daily, days("2026-01-01", "2026-01-01"), "s.x", "run2")
	require.NoError(t, err)
	require.NoError(t, wr.Abort(ctx))
	assertSchemaOnly(t, file, daily)
	assert.Equal(t, schemaOnlyTree(daily), withoutPrivate(tree(t, dir)))
}

// A row of 1970-01-01 shares the day directory of the schema-only file,
// which goes all the same; the day's rows stay.
func TestRowsOnTheSchemaOnlyDay(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, Options{})
	w := days("1970-01-01", "1970-01-01")
	loadRows(t, s, daily, days("2026-01-01", "2026-01-01"), "s.x", nil)
	loadRows(t, s, daily, w, "s.x", dailyRows("g1", "1970-01-01"))
	assert.Equal(t, map[string][]string{"1970-01-01": {"g1"}}, gens(t, dir))
	parts, schemaOnly := schemaOnlyState(t, dir, daily)
	assert.Equal(t, 1, parts)
	assert.False(t, schemaOnly)

	loadRows(t, s, daily, w, "s.x", nil)
	assert.Equal(t, schemaOnlyTree(daily), withoutPrivate(tree(t, dir)))
}

func assertSchemaOnly(t *testing.T, path string, tbl *schemas.Table) {
	t.Helper()
	r, err := openLocal(path)
	require.NoError(t, err)
	defer r.Close()
	pf, err := parquetgo.OpenFile(r, r.Size())
	require.NoError(t, err)
	assert.Zero(t, pf.NumRows())
	assert.Equal(t, Schema(tbl).String(), pf.Schema().String())
	table, _ := pf.Lookup("etl.table")
	assert.Equal(t, tbl.Name, table)
}

// Readers that did not write the files (DuckDB, ClickHouse's file() in
// chdb) query a table without rows with the globs the README and the views
// use, and get no row and the table's columns, typed as with rows.
func TestReadersQueryATableWithoutRows(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, Options{})
	w := days("2026-01-05", "2026-01-05")
	tables := []*schemas.Table{schemas.Rejects, allTypes, lastSeen}
	for _, tbl := range tables {
		loadRows(t, s, tbl, w, "src.one", nil)
	}

	// The types with rows, to compare.
	withRows := t.TempDir()
	s2 := newSink(t, withRows, Options{})
	for _, tbl := range tables {
		loadRows(t, s2, tbl, w, "src.one", []row{fullRow(tbl, w, "a")})
	}

	for _, tbl := range tables {
		// One DuckDB process per table: a view per glob over the table
		// without rows (e*) and with rows (r*), then their rows and columns.
		key := PartitionKey(tbl)
		patterns := []string{"*/*.parquet", key + "=*/*.parquet", "**/*.parquet"}
		one := filepath.Join("*", "*.parquet")
		if key == "" {
			patterns, one = []string{"*.parquet", "**/*.parquet"}, "*.parquet"
		}
		var stmts, selects []string
		for i, pattern := range patterns {
			for _, v := range []struct{ name, root string }{{"e", dir}, {"r", withRows}} {
				glob := strings.ReplaceAll(filepath.Join(v.root, tbl.Name, pattern), "'", "''")
				stmts = append(stmts, fmt.Sprintf("CREATE VIEW %s%d AS SELECT * FROM read_parquet('%s', hive_partitioning = true, union_by_name = true)", v.name, i, glob))
			}
			columns := func(view string) string {
				return "(SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '" + view + "')"
			}
			selects = append(selects, fmt.Sprintf("SELECT %d AS i, (SELECT count(*) FROM e%d) AS n, %s AS columns, %s AS columns_with_rows", i, i, columns(fmt.Sprint("e", i)), columns(fmt.Sprint("r", i))))
		}
		rows := testsupport.DuckDB(t, strings.Join(stmts, ";\n")+";\n"+strings.Join(selects, "\nUNION ALL ")+"\nORDER BY i")
		require.Len(t, rows, len(patterns))
		for i, r := range rows {
			assert.Equal(t, int64(0), r["n"], "%s %s", tbl.Name, patterns[i])
			if key == dayKey {
				assert.Contains(t, r["columns"], "dt DATE", "%s %s", tbl.Name, patterns[i])
			} else if key != "" {
				assert.Contains(t, r["columns"], key+" VARCHAR", "%s %s", tbl.Name, patterns[i])
			}
			assert.Equal(t, r["columns_with_rows"], r["columns"], "%s %s: the columns and types of a table with rows", tbl.Name, patterns[i])
		}
		glob := func(root string) string { return filepath.Join(root, tbl.Name, one) }
		out := testsupport.ChDB(t,
			"SELECT count() AS n FROM file('"+glob(dir)+"', Parquet)",
			"DESCRIBE file('"+glob(dir)+"', Parquet)",
			"DESCRIBE file('"+glob(withRows)+"', Parquet)",
		)
		assert.Equal(t, []map[string]any{{"n": int64(0)}}, out[0], tbl.Name)
		assert.NotEmpty(t, out[1])
		assert.Equal(t, out[2], out[1], "%s: chdb sees the columns of a table with rows", tbl.Name)
	}
}
