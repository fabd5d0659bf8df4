package parquet

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unsafe"

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
		w.keys[strings.Join(parts, "\x00")] = true
	}
	return nil
}

// dropSeenAgain rewrites this stream's reject files on the days outside
// replacing whose rows include a reject this load staged again, without
// those rows, and returns the days it staged that way.
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
	if w.carried != nil {
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
		if c == w.versionIdx && !v.IsNull() {
			switch v.Kind() {
			case parquetgo.Int32:
				version = int64(v.Int32())
			default:
				version = v.Int64()
			}
		}
	}
	return strings.Join(parts, "\x00"), version
}

// carry records the greatest version of each key of rec, read from the
// Arrow columns. A key is built exactly as keyOf builds it from a row read
// back from a file (parquet-go's Value.String of each key column, joined by
// NUL), since Prepare compares the two.
func (w *Writer) carry(rec arrow.Record, n int) error {
	versionAt, err := versionFunc(w.table, rec)
	if err != nil {
		return err
	}
	if len(w.keyCols) == 1 {
		if a, ok := rec.Column(w.table.Index(w.keyCols[0])).(*array.String); ok && a.NullN() == 0 {
			for i := 0; i < n; i++ {
				w.carryKey(a.Value(i), versionAt(i))
			}
			return nil
		}
	}
	parts := make([]keyAppender, len(w.keyCols))
	for k, name := range w.keyCols {
		if parts[k], err = keyPart(w.table, rec, name); err != nil {
			return err
		}
	}
	var buf []byte
	for i := 0; i < n; i++ {
		buf = buf[:0]
		for k, part := range parts {
			if k > 0 {
				buf = append(buf, 0)
			}
			buf = part(buf, i)
		}
		w.carryKey(unsafe.String(unsafe.SliceData(buf), len(buf)), versionAt(i))
	}
	return nil
}

// carryKey keeps version for key if it is the greatest so far. key may view
// memory the caller reuses or releases: the map only keeps copies.
func (w *Writer) carryKey(key string, version int64) {
	if old, ok := w.carried[key]; !ok || version > old {
		w.carried[strings.Clone(key)] = version
	}
}

// keyAppender appends the text keyOf gives row i's value of a key column.
type keyAppender func(b []byte, i int) []byte

// nullKey is what parquet-go's Value.String gives a null value.
const nullKey = "<null>"

func keyPart(t *schemas.Table, rec arrow.Record, name string) (keyAppender, error) {
	c := t.Index(name)
	if c < 0 {
		return nil, fmt.Errorf("table %s has no key column %s", t.Name, name)
	}
	arr := rec.Column(c)
	withNull := func(f keyAppender) keyAppender {
		if arr.NullN() == 0 {
			return f
		}
		return func(b []byte, i int) []byte {
			if arr.IsNull(i) {
				return append(b, nullKey...)
			}
			return f(b, i)
		}
	}
	switch a := arr.(type) {
	case *array.String:
		return withNull(func(b []byte, i int) []byte { return append(b, a.Value(i)...) }), nil
	case *array.Int64:
		return withNull(func(b []byte, i int) []byte { return strconv.AppendInt(b, a.Value(i), 10) }), nil
	case *array.Float64:
		return withNull(func(b []byte, i int) []byte { return strconv.AppendFloat(b, a.Value(i), 'g', -1, 64) }), nil
	case *array.Boolean:
		return withNull(func(b []byte, i int) []byte { return strconv.AppendBool(b, a.Value(i)) }), nil
	case *array.Timestamp:
		toMillis := timestampMillis(a.DataType().(*arrow.TimestampType).Unit)
		return withNull(func(b []byte, i int) []byte { return strconv.AppendInt(b, toMillis(int64(a.Value(i))), 10) }), nil
	case *array.Date32:
		return withNull(func(b []byte, i int) []byte { return strconv.AppendInt(b, int64(a.Value(i)), 10) }), nil
	case *array.List:
		// keyOf keeps the last value of the row's list: its last element,
		// or the null value of an empty list.
		elems, ok := a.ListValues().(*array.String)
		if !ok {
			break
		}
		return func(b []byte, i int) []byte {
			start, end := a.ValueOffsets(i)
			if start == end {
				return append(b, nullKey...)
			}
			return append(b, elems.Value(int(end-1))...)
		}, nil
	}
	return nil, fmt.Errorf("table %s: key column %s has Arrow type %s, which no key can be built from", t.Name, name, arr.DataType())
}

// versionFunc returns the Merge version of row i, in the unit of its
// Parquet column, as keyOf reads it back.
func versionFunc(t *schemas.Table, rec arrow.Record) (func(i int) int64, error) {
	c := t.Index(t.Version)
	if c < 0 {
		return nil, fmt.Errorf("table %s has no version column %s", t.Name, t.Version)
	}
	arr := rec.Column(c)
	var f func(i int) int64
	switch a := arr.(type) {
	case *array.Timestamp:
		v, toMillis := a.TimestampValues(), timestampMillis(a.DataType().(*arrow.TimestampType).Unit)
		f = func(i int) int64 { return toMillis(int64(v[i])) }
	case *array.Int64:
		v := a.Int64Values()
		f = func(i int) int64 { return v[i] }
	case *array.Date32:
		v := a.Date32Values()
		f = func(i int) int64 { return int64(v[i]) }
	default:
		return nil, fmt.Errorf("table %s: version column %s has Arrow type %s, want a timestamp, int64 or date32", t.Name, t.Version, arr.DataType())
	}
	if arr.NullN() == 0 {
		return f, nil
	}
	return func(i int) int64 {
		if arr.IsNull(i) {
			return math.MinInt64
		}
		return f(i)
	}, nil
}

// eachRow calls fn with every row of one of this stream's files, its key
// and (Merge tables) its version; the row is valid only during the call.
// Rows are read rowsPerWrite at a time, so memory stays bounded whatever
// the file's size.
func (w *Writer) eachRow(path string, fn func(row parquetgo.Row, key string, version int64) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquetgo.OpenFile(f, st.Size())
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
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
		err := w.eachRow(p, func(_ parquetgo.Row, key string, _ int64) error {
			if w.keys[key] {
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
		if w.keys[key] {
			return nil
		}
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
func (w *Writer) keepUncarried(tableDir string, replacing []int32) error {
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
			if !strings.HasPrefix(f.Name(), w.filePrefix) || !strings.HasSuffix(f.Name(), ".parquet") {
				continue
			}
			path := filepath.Join(dir, f.Name())
			err := w.eachRow(path, func(row parquetgo.Row, key string, version int64) error {
				if v, ok := w.carried[key]; ok && version <= v {
					return nil
				}
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
			if err != nil {
				return fmt.Errorf("keep the rows of keys this load does not carry, day %s: %w", dayString(day), err)
			}
		}
	}
	return w.finishAll()
}
