package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
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
func (w *Writer) dropSeenAgain(ctx context.Context, replacing []int32) ([]int32, error) {
	if len(w.keys) == 0 {
		return nil, nil
	}
	parts, err := w.store.partitions(ctx, w.table.Name)
	if err != nil {
		return nil, err
	}
	var out []int32
	for _, part := range parts {
		day, ok := w.layout.parse(part)
		if !ok || slices.Contains(replacing, day) {
			continue
		}
		files, err := w.store.list(ctx, w.table.Name, part)
		if err != nil {
			return nil, err
		}
		var ours []string
		for _, f := range files {
			if strings.HasPrefix(f.name, w.filePrefix) && f.isPart() {
				ours = append(ours, f.name)
			}
		}
		if len(ours) == 0 {
			continue
		}
		dropped, err := w.countSeenAgain(ctx, part, ours)
		if err != nil {
			return nil, err
		}
		if dropped == 0 {
			continue
		}
		for _, name := range ours {
			if err := w.copyUnseen(ctx, part, name, day); err != nil {
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

// lookupRejectKey finds the leaf columns of the reject key in the table's
// Parquet schema; every file eachRow reads has that schema.
func (w *Writer) lookupRejectKey() error {
	w.keyIdx = w.keyIdx[:0]
	for _, name := range rejectKey {
		leaf, ok := w.schema.Lookup(name)
		if !ok {
			return fmt.Errorf("table %s has no key column %s", w.table.Name, name)
		}
		w.keyIdx = append(w.keyIdx, leaf.ColumnIndex)
	}
	return nil
}

// keyOf returns a reject's key: its key columns joined by NUL.
func (w *Writer) keyOf(row parquetgo.Row) string {
	parts := make([]string, len(w.keyIdx))
	for _, v := range row {
		if i := slices.Index(w.keyIdx, v.Column()); i >= 0 {
			parts[i] = v.String()
		}
	}
	return strings.Join(parts, "\x00")
}

// eachRow calls fn with every row of one of this stream's reject files,
// read in today's schema, and its key; the row is valid only during the
// call. Rows are read rowsPerWrite at a time, so memory stays bounded
// whatever the file's size.
func (w *Writer) eachRow(ctx context.Context, part, name string, fn func(row parquetgo.Row, key string) error) error {
	path := w.store.location(w.table.Name, part, name)
	r, err := w.store.open(ctx, w.table.Name, part, name, w.dirs())
	if err != nil {
		return err
	}
	defer r.Close()
	pf, err := parquetgo.OpenFile(r, r.Size())
	if err != nil {
		return fmt.Errorf("read the footer of %s: %w", path, err)
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
				if ferr := fn(row, w.keyOf(row)); ferr != nil {
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

func (w *Writer) countSeenAgain(ctx context.Context, part string, names []string) (int, error) {
	n := 0
	for _, name := range names {
		err := w.eachRow(ctx, part, name, func(row parquetgo.Row, key string) error {
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

// copyUnseen writes the rows of a file that this load did not see again
// into this load's file of day.
func (w *Writer) copyUnseen(ctx context.Context, part, name string, day int32) error {
	return w.eachRow(ctx, part, name, func(row parquetgo.Row, key string) error {
		if w.keys[key] && !w.ownDay(row) {
			return nil
		}
		w.withWindowDay(row, day)
		df, err := w.file(day)
		if err != nil {
			return err
		}
		if _, err := df.pw.WriteRows([]parquetgo.Row{row}); err != nil {
			return fmt.Errorf("rewrite %s: %w", w.store.location(w.table.Name, part, name), err)
		}
		df.rows++
		return nil
	})
}
