package parquet

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	parquetgo "github.com/parquet-go/parquet-go"

	"github.com/adoptionlabs/etl/schemas"
)

// rejectKey is the columns that identify a reject (schemas.Rejects.Key).
var rejectKey = []string{"source", "stream", "table_name", "row_hash"}

// collectKeys remembers the key of every staged reject.
func (w *Writer) collectKeys(rec arrow.Record, n int) error {
	cols := make([]*array.String, len(rejectKey))
	for i, name := range rejectKey {
		j := w.table.Index(name)
		if j < 0 {
			return fmt.Errorf("table %s has no key column %s", w.table.Name, name)
		}
		c, ok := rec.Column(j).(*array.String)
		if !ok {
			return fmt.Errorf("table %s: key column %s is not a string", w.table.Name, name)
		}
		cols[i] = c
	}
	parts := make([]string, len(cols))
	for r := 0; r < n; r++ {
		for i, c := range cols {
			parts[i] = c.Value(r)
		}
		// A copy: Join returns a single part as it is, a string into the
		// record's text buffer, which the key would keep alive for the
		// whole load.
		w.keys[strings.Clone(strings.Join(parts, "\x00"))] = true
	}
	return nil
}

// lookupRejectDay finds the leaf columns of row_day and row_day_from.
func (w *Writer) lookupRejectDay() error {
	for _, c := range []struct {
		name string
		idx  *int
	}{{schemas.RowDay, &w.rowDayIdx}, {schemas.RowDayFrom, &w.rowDayFromIdx}} {
		leaf, ok := w.schema.Lookup(c.name)
		if !ok {
			return fmt.Errorf("table %s has no column %s", w.table.Name, c.name)
		}
		*c.idx = leaf.ColumnIndex
	}
	return nil
}

// ownDay reports whether a reject read back lives on its row's own day:
// only a load of that day replaces it. Another reject with the same key is
// another row (the same text on another day), not this one seen again.
func (w *Writer) ownDay(row parquetgo.Row) bool {
	for _, v := range row {
		if v.Column() == w.rowDayFromIdx {
			return string(v.ByteArray()) == schemas.RowDayFromRow
		}
	}
	return false
}

// withWindowDay fills in the day of a reject from a file written before
// rejects had one (today's schema reads the missing columns as zero
// values): such a reject lives on the first day of its window, the dt= day
// of its file.
func (w *Writer) withWindowDay(row parquetgo.Row, day int32) {
	for _, v := range row {
		if v.Column() == w.rowDayFromIdx && len(v.ByteArray()) != 0 {
			return
		}
	}
	for i, v := range row {
		switch v.Column() {
		case w.rowDayIdx:
			row[i] = parquetgo.Int32Value(day).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
		case w.rowDayFromIdx:
			row[i] = parquetgo.ByteArrayValue([]byte(schemas.RowDayFromWindow)).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
		}
	}
}

// dropSeenAgain rewrites this stream's reject files on the days outside
// replacing that hold a reject this load staged again, without it, and
// returns the days it staged that way. Only rejects that live on their
// window's day count as seen again: one on its row's own day goes only
// with a load of that day.
func (w *Writer) dropSeenAgain(tableDir string, replacing []int32) ([]int32, error) {
	if len(w.keys) == 0 {
		return nil, nil
	}
	entries, err := os.ReadDir(tableDir)
	if err != nil {
		return nil, err
	}
	var out []int32
	for _, e := range entries {
		day, ok := parseDayDir(e.Name())
		if !ok || !e.IsDir() || slices.Contains(replacing, day) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(tableDir, e.Name()))
		if err != nil {
			return nil, err
		}
		var ours []string
		for _, f := range files {
			if strings.HasPrefix(f.Name(), w.filePrefix) && strings.HasSuffix(f.Name(), ".parquet") {
				ours = append(ours, filepath.Join(tableDir, e.Name(), f.Name()))
			}
		}
		if len(ours) == 0 {
			continue
		}
		dropped, err := w.countSeenAgain(ours)
		if err != nil {
			return nil, err
		}
		if dropped == 0 {
			continue
		}
		for _, path := range ours {
			if err := w.copyUnseen(path, day); err != nil {
				return nil, err
			}
		}
		out = append(out, day)
	}
	if err := w.finishAll(); err != nil {
		return nil, err
	}
	return out, nil
}

// lookupKey finds the leaf columns of keyCols and of the Merge version in
// the table's Parquet schema; every file eachRow reads has that schema.
func (w *Writer) lookupKey() error {
	w.keyIdx = w.keyIdx[:0]
	for _, name := range w.keyCols {
		leaf, ok := w.schema.Lookup(name)
		if !ok {
			return fmt.Errorf("table %s has no key column %s", w.table.Name, name)
		}
		w.keyIdx = append(w.keyIdx, leaf.ColumnIndex)
	}
	w.versionIdx = -1
	if w.merge {
		leaf, ok := w.schema.Lookup(w.table.Version)
		if !ok {
			return fmt.Errorf("table %s has no version column %s", w.table.Name, w.table.Version)
		}
		w.versionIdx = leaf.ColumnIndex
	}
	return nil
}

// keyOf returns a row's key (its key columns joined by NUL) and, for a
// Merge table, its version; a null version sorts below every other.
func (w *Writer) keyOf(row parquetgo.Row) (string, int64) {
	parts := make([]string, len(w.keyIdx))
	version := int64(math.MinInt64)
	for _, v := range row {
		c := v.Column()
		if i := slices.Index(w.keyIdx, c); i >= 0 {
			parts[i] = v.String()
		}
		if c == w.versionIdx {
			version = versionOf(v)
		}
	}
	return strings.Join(parts, "\x00"), version
}

// versionOf reads a Merge version (a Date is INT32, a Timestamp or Int64
// INT64); a null version sorts below every other.
func versionOf(v parquetgo.Value) int64 {
	switch {
	case v.IsNull():
		return math.MinInt64
	case v.Kind() == parquetgo.Int32:
		return int64(v.Int32())
	default:
		return v.Int64()
	}
}

// eachRow calls fn with every row of one of this stream's files, its key
// and (Merge tables) its version; the row is valid only during the call.
// Rows are read rowsPerWrite at a time, so memory stays bounded whatever
// the file's size.
func (w *Writer) eachRow(path string, fn func(row parquetgo.Row, key string, version int64) error) error {
	f, pf, err := openParquet(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// A file written before a column was added is read in today's schema
	// (the new column null), so that a rerun keeps its rows rather than
	// failing or dropping them.
	conv, err := parquetgo.Convert(w.schema, pf.Schema())
	if err != nil {
		return fmt.Errorf("%s was written with a schema of %s that cannot be read as today's (%v): move it away, then rerun its days", path, w.table.Name, err)
	}
	buf := make([]parquetgo.Row, rowsPerWrite)
	for _, rg := range pf.RowGroups() {
		rows := parquetgo.ConvertRowGroup(rg, conv).Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				key, version := w.keyOf(row)
				if ferr := fn(row, key, version); ferr != nil {
					rows.Close()
					return ferr
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("read %s: %w", path, err)
			}
		}
		rows.Close()
	}
	return nil
}

func (w *Writer) countSeenAgain(paths []string) (int, error) {
	n := 0
	for _, p := range paths {
		err := w.eachRow(p, func(row parquetgo.Row, key string, _ int64) error {
			if w.keys[key] && !w.ownDay(row) {
				n++
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// copyUnseen writes the rows of path that this load did not see again into
// this load's file of day.
func (w *Writer) copyUnseen(path string, day int32) error {
	return w.eachRow(path, func(row parquetgo.Row, key string, _ int64) error {
		if w.keys[key] && !w.ownDay(row) {
			return nil
		}
		w.withWindowDay(row, day)
		df, err := w.file(day)
		if err != nil {
			return err
		}
		if _, err := df.pw.WriteRows([]parquetgo.Row{row}); err != nil {
			return fmt.Errorf("rewrite %s: %w", path, err)
		}
		df.rows++
		return nil
	})
}

// keepUncarried stages, for each day of replacing, the rows of this
// stream's live files there that the load must not take away: those of keys
// it does not carry, and those newer than the version it carries for their
// key (a tie goes to the load, as in ClickHouse). Without it a Merge table
// whose day depends on the window (a bot user's seen_at is the window's last
// second when the user was not active in it) loses a key when a later window
// covers the day but does not list the key.
//
// The load's keys are read back from its staged files, and only when a
// replaced day has files of this stream: a first load of a window (most of
// a backfill) holds no key set in memory and spends nothing on it.
func (w *Writer) keepUncarried(tableDir string, replacing []int32) error {
	type oldFile struct {
		day  int32
		path string
	}
	var old []oldFile
	for _, day := range replacing {
		dir := filepath.Join(tableDir, dayDir(day))
		files, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, f := range files {
			if strings.HasPrefix(f.Name(), w.filePrefix) && strings.HasSuffix(f.Name(), ".parquet") {
				old = append(old, oldFile{day, filepath.Join(dir, f.Name())})
			}
		}
	}
	if len(old) == 0 {
		return nil
	}
	// Every staged file is finished; the files written below hold old rows
	// and must not count as carried, so the key set is complete first.
	carried, err := w.carriedKeys()
	if err != nil {
		return fmt.Errorf("read back the keys this load carries: %w", err)
	}
	for _, f := range old {
		err := w.eachRow(f.path, func(row parquetgo.Row, key string, version int64) error {
			if v, ok := carried[key]; ok && version <= v {
				return nil
			}
			df, err := w.file(f.day)
			if err != nil {
				return err
			}
			if _, err := df.pw.WriteRows([]parquetgo.Row{row}); err != nil {
				return fmt.Errorf("rewrite %s: %w", f.path, err)
			}
			df.rows++
			return nil
		})
		if err != nil {
			return fmt.Errorf("keep the rows of keys this load does not carry, day %s: %w", dayString(f.day), err)
		}
	}
	return w.finishAll()
}

// carriedKeys returns the greatest version of each key in the files this
// load staged, reading only the key and version columns. A key is what
// keyOf makes of a row read back from an old file (parquet-go's
// Value.String of each key column, joined by NUL), so the two compare.
func (w *Writer) carriedKeys() (map[string]int64, error) {
	files, err := filepath.Glob(filepath.Join(globEscape(filepath.Join(w.staging, "new")), "dt=*", "*.parquet"))
	if err != nil {
		return nil, err
	}
	carried := map[string]int64{}
	for _, path := range files {
		if err := w.eachKey(path, func(key string, version int64) {
			if old, ok := carried[key]; !ok || version > old {
				carried[key] = version
			}
		}); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return carried, nil
}

// eachKey calls fn with the key and version of every row of one of this
// load's files, row group by row group.
func (w *Writer) eachKey(path string, fn func(key string, version int64)) error {
	f, pf, err := openParquet(path, parquetgo.SkipBloomFilters(true))
	if err != nil {
		return err
	}
	defer f.Close()
	parts := make([][]string, len(w.keyIdx))
	var versions []int64
	for _, rg := range pf.RowGroups() {
		n := int(rg.NumRows())
		chunks := rg.ColumnChunks()
		for k, c := range w.keyIdx {
			parts[k] = slices.Grow(parts[k][:0], n)[:n]
			err := eachValue(chunks[c], func(row int, v parquetgo.Value) {
				// keyOf keeps the last value of a row's column: a list
				// key is its last element.
				parts[k][row] = v.String()
			})
			if err != nil {
				return err
			}
		}
		versions = slices.Grow(versions[:0], n)[:n]
		err := eachValue(chunks[w.versionIdx], func(row int, v parquetgo.Value) {
			versions[row] = versionOf(v)
		})
		if err != nil {
			return err
		}
		for row := range n {
			key := parts[0][row]
			if len(parts) > 1 {
				key = joinKey(parts, row)
			}
			fn(key, versions[row])
		}
	}
	return nil
}

func joinKey(parts [][]string, row int) string {
	var b strings.Builder
	for k := range parts {
		if k > 0 {
			b.WriteByte(0)
		}
		b.WriteString(parts[k][row])
	}
	return b.String()
}

// eachValue calls fn with every value of a column chunk and the row it
// belongs to: a value at repetition level 0 starts the next row.
func eachValue(chunk parquetgo.ColumnChunk, fn func(row int, v parquetgo.Value)) error {
	pages := chunk.Pages()
	defer pages.Close()
	buf := make([]parquetgo.Value, rowsPerWrite)
	row := -1
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		values := p.Values()
		for {
			n, err := values.ReadValues(buf)
			for _, v := range buf[:n] {
				if v.RepetitionLevel() == 0 {
					row++
				}
				fn(row, v)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquetgo.Release(p)
				return err
			}
		}
		parquetgo.Release(p)
	}
}
