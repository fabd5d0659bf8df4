package parquet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	parquetgo "github.com/parquet-go/parquet-go"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Writer stages the rows of one Begin in per-partition files until
// Commit.
type Writer struct {
	sink   *Sink
	table  *schemas.Table
	schema *parquetgo.Schema
	layout layout
	store  partStore
	window window.Window
	stream string
	runID  string
	log    *slog.Logger

	// filePrefix ("part-<stream>-") names this stream's files in a
	// partition; fileRun is the run id made file-name safe, and fileLoad
	// what tells this load's files from every other load's in a merge
	// partition, which holds the files of many loads.
	filePrefix string
	fileRun    string
	fileLoad   string
	staging    string // <dir>/.staging/<run>/<table>/<stream>/<n>
	trash      string // <dir>/.trash/<run>/<table>/<stream>-<n>

	// Days this load may write: [firstDay, endDay) for Merge and
	// ReplaceWindow, loadDay for ReplaceAll.
	firstDay, endDay int32
	loadDay          int32

	// keys holds the key of every reject this load staged (etl_rejects
	// only; rejects are few): Prepare drops their earlier copies.
	keys map[string]bool
	// keyIdx are the leaf columns of the reject key (etl_rejects only).
	keyIdx []int
	// merge: a Merge table. Prepare rewrites the partitions the load's
	// keys live in, one row a key (merge.go).
	merge bool
	// rowDayIdx and rowDayFromIdx are the leaf columns of a reject's day
	// and of where it comes from (etl_rejects only).
	rowDayIdx, rowDayFromIdx int
	// whole: replace all of this stream's files, not only the window's days
	// (etl_rejects of a snapshot stream).
	whole bool

	// Set by Prepare, used by Swap; lock is the table's commit lock.
	lock   *sync.Mutex
	stages []partStage
	merged mergeStats

	mu    sync.Mutex
	state writerState
	// sealed: Seal finished the files; nothing more may be written.
	sealed   bool
	open     map[int32]*partFile
	seq      map[int32]int
	tick     uint64
	peakOpen int
	files    int
	rows     int64
	// buffered is what the open files hold of their current row groups
	// (partFile.buffered), bounded by MaxBufferedBytes (bound).
	buffered, peakBuffered int64
	// values is the buffer of one column's values on their way to its
	// column writer; cleared after each Write so it holds no Arrow memory.
	values []parquetgo.Value

	// Files being finished in the background (finish): finishing holds a
	// slot per file, finishWG counts them, finishErrs collects what failed.
	finishing  chan struct{}
	finishWG   sync.WaitGroup
	finishMu   sync.Mutex
	finishErrs []error
}

type writerState int

func (w *Writer) stateName() string {
	if w.state == writing && w.sealed {
		return "sealed"
	}
	return w.state.String()
}

const (
	writing writerState = iota
	prepared
	committed
	aborted
	failed
)

var (
	_ load.Staged      = (*Writer)(nil)
	_ load.WholeStream = (*Writer)(nil)
)

// ReplaceWholeStream implements load.WholeStream.
func (w *Writer) ReplaceWholeStream() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.whole = true
	if w.endDay <= w.firstDay {
		w.endDay = w.firstDay + 1
	}
}

// rowsPerWrite is the rows of one column handed to parquet-go at a time
// (fewer for long strings: writeColumn). A column writer ends a page only
// between two calls, so this bounds how far a page outgrows
// PageBufferSize; it also bounds the parquet.Row values eachRow reads at a
// time.
const rowsPerWrite = 512

// PeakOpenFiles is the largest number of partition files this load had
// open at once; it never exceeds Options.MaxOpenFiles.
func (w *Writer) PeakOpenFiles() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peakOpen
}

// PeakBufferedBytes is the most the open files held at once; it exceeds
// Options.MaxBufferedBytes by at most one call's values (rowsPerWrite rows).
func (w *Writer) PeakBufferedBytes() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peakBuffered
}

// Write implements load.Writer: it routes each row to the file of its
// partition (its UTC day, or a merge table's month).
func (w *Writer) Write(ctx context.Context, rec arrow.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != writing || w.sealed {
		return fmt.Errorf("table %s stream %s window %s: Write after the load was %s", w.table.Name, w.stream, w.window, w.stateName())
	}
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	if err := w.write(rec, n); err != nil {
		// Part of the record may be in the files already: committing now
		// would load half a batch.
		w.state = failed
		return fmt.Errorf("table %s stream %s window %s: %w", w.table.Name, w.stream, w.window, err)
	}
	return nil
}

func (w *Writer) write(rec arrow.Record, n int) error {
	defer clear(w.values[:cap(w.values)])
	if err := w.finishErr(); err != nil {
		return err
	}
	if err := checkShape(w.table, rec); err != nil {
		return err
	}
	byPart, order, err := w.route(rec, n)
	if err != nil {
		return err
	}
	encs, err := encoders(w.table, rec)
	if err != nil {
		return err
	}
	if w.keys != nil {
		if err := w.collectKeys(rec, n); err != nil {
			return err
		}
	}
	for _, part := range order {
		df, err := w.file(part)
		if err != nil {
			return err
		}
		var rows []int32
		if byPart == nil {
			rows = allRows(n)
		} else {
			rows = byPart[part]
		}
		for len(rows) > 0 {
			k := min(len(rows), rowsPerWrite)
			if err := w.writeRows(df, encs, rows[:k]); err != nil {
				return err
			}
			rows = rows[k:]
		}
	}
	return nil
}

// route returns the rows of each partition and the partitions in the order
// their first rows come (so a stream in descending time order writes its
// days in that order too, and the days it has moved past are those used
// longest ago); a nil map means every row is of the one partition in order
// (the common case). Every row's day must lie in the window: the engine
// leaves the others to the window that holds them.
func (w *Writer) route(rec arrow.Record, n int) (map[int32][]int32, []int32, error) {
	if w.table.Disposition == schemas.ReplaceAll {
		return nil, []int32{w.loadDay}, nil
	}
	dayAt, err := dayFunc(w.table, w.table.Day, rec)
	if err != nil {
		return nil, nil, err
	}
	partAt := dayAt
	switch {
	case w.layout.monthly:
		byDay, err := dayFunc(w.table, w.layout.column, rec)
		if err != nil {
			return nil, nil, err
		}
		partAt = func(i int) (int32, error) {
			d, err := byDay(i)
			return monthOfDay(d), err
		}
	case w.layout.key == "":
		partAt = func(int) (int32, error) { return 0, nil }
	}
	parts := make([]int32, n)
	single := true
	for i := range parts {
		d, err := dayAt(i)
		if err != nil {
			return nil, nil, err
		}
		if d < w.firstDay || d >= w.endDay {
			return nil, nil, fmt.Errorf("row %d has %s on day %s, outside the window %s of this load (the engine filters such rows; nothing was committed)",
				i, w.table.Day, dayString(d), w.window)
		}
		if parts[i], err = partAt(i); err != nil {
			return nil, nil, err
		}
		single = single && parts[i] == parts[0]
	}
	if single {
		return nil, parts[:1], nil
	}
	byPart := map[int32][]int32{}
	var order []int32
	for i, p := range parts {
		if _, ok := byPart[p]; !ok {
			order = append(order, p)
		}
		byPart[p] = append(byPart[p], int32(i))
	}
	return byPart, order, nil
}

func allRows(n int) []int32 {
	rows := make([]int32, n)
	for i := range rows {
		rows[i] = int32(i)
	}
	return rows
}

// writeRows writes the given rows of the record to df column by column,
// rowsPerWrite rows per call, and ends a row group every RowGroupRows rows.
func (w *Writer) writeRows(df *partFile, encs []columnEncoder, rows []int32) error {
	cws := df.pw.ColumnWriters()
	for len(rows) > 0 {
		k := min(len(rows), rowsPerWrite, w.sink.opts.RowGroupRows-df.groupRows)
		for c, enc := range encs {
			w.values = enc(w.values[:0], rows[:k])
			size, err := writeColumn(cws[c], w.values, isText(w.table.Columns[c].Type))
			if err != nil {
				return fmt.Errorf("write %d rows of column %s to %s: %w", k, w.table.Columns[c].Name, df.f.Name(), err)
			}
			df.buffered += size
			w.buffered += size
		}
		rows = rows[k:]
		if err := w.wrote(df, k); err != nil {
			return err
		}
	}
	return nil
}

// wrote accounts for n rows just written to df: a row group ends every
// RowGroupRows rows, and what the open files hold stays within bounds.
func (w *Writer) wrote(df *partFile, n int) error {
	w.peakBuffered = max(w.peakBuffered, w.buffered)
	df.rows += int64(n)
	w.rows += int64(n)
	df.groupRows += n
	if df.groupRows >= w.sink.opts.RowGroupRows {
		if err := w.endRowGroup(df); err != nil {
			return err
		}
	}
	return w.bound(df)
}

// bound keeps what the open files hold within MaxBufferedBytes, df being
// the file just written. Days: other files are finished first, farthest
// day first (victim), the days a load in time order has moved past; then
// df ends its row group, for a day bigger than the bound on its own. A
// merge table's months take rows all along a load (a day's sessions were
// created over several months): finishing one would only start another
// file of it, so the file holding the most ends its row group instead.
func (w *Writer) bound(df *partFile) error {
	for w.buffered > w.sink.opts.MaxBufferedBytes {
		if w.layout.monthly {
			big := df
			for _, f := range w.open {
				if f.buffered > big.buffered {
					big = f
				}
			}
			if err := w.endRowGroup(big); err != nil {
				return err
			}
			continue
		}
		v := w.victim(df.part, df)
		if v == nil {
			return w.endRowGroup(df)
		}
		w.finish(v)
	}
	return nil
}

// endRowGroup writes df's row group out of memory.
func (w *Writer) endRowGroup(df *partFile) error {
	if df.groupRows == 0 {
		return nil
	}
	if err := df.pw.Flush(); err != nil {
		return fmt.Errorf("write a row group to %s: %w", df.f.Name(), err)
	}
	w.buffered -= df.buffered
	df.buffered, df.groupRows = 0, 0
	return nil
}

// victim is the open file to finish to make room for writing part: the
// one whose partition is farthest from it (the least recently used of
// those), or nil when except is the only one. Most streams arrive in time
// order, one way or the other, so the farthest day is one the load has
// moved past and finishing it costs no extra part file.
func (w *Writer) victim(part int32, except *partFile) *partFile {
	var v *partFile
	var vd int32
	for _, df := range w.open {
		if df == except {
			continue
		}
		d := df.part - part
		if d < 0 {
			d = -d
		}
		if v == nil || d > vd || (d == vd && df.lastUse < v.lastUse) {
			v, vd = df, d
		}
	}
	return v
}

// bytesPerCall bounds the string bytes handed to a column writer in one
// call: 512 rows of a JSON payload can be megabytes, and a page only ends
// between two calls.
const bytesPerCall = 16 << 10

func isText(t schemas.Type) bool {
	return t == schemas.String || t == schemas.JSON || t == schemas.StringList
}

// writeColumn writes the values of whole rows to cw and returns their
// bytes (a number counts 8); text goes in runs of whole rows of about
// bytesPerCall bytes, so a page outgrows PageBufferSize by at most that
// much and one row.
func writeColumn(cw *parquetgo.ColumnWriter, values []parquetgo.Value, text bool) (int64, error) {
	total := int64(8 * len(values))
	if text {
		start, size := 0, 0
		total = 0
		for i, v := range values {
			if size >= bytesPerCall && v.RepetitionLevel() == 0 {
				if _, err := cw.WriteRowValues(values[start:i]); err != nil {
					return 0, err
				}
				total += int64(size)
				start, size = i, 0
			}
			size += len(v.ByteArray())
		}
		total += int64(size)
		values = values[start:]
	}
	_, err := cw.WriteRowValues(values)
	return total, err
}

// Abort implements load.Writer: it deletes what this load staged. A no-op
// after Commit.
func (w *Writer) Abort(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == committed || w.state == aborted {
		return nil
	}
	var undo error
	if w.state == prepared {
		// What Prepare uploaded to an object store goes again, before
		// another commit of the table may read the partitions.
		undo = w.store.abort(ctx, w.stages)
	}
	w.state = aborted
	w.unlock()
	for _, df := range w.open {
		df.f.abort()
	}
	clear(w.open)
	w.finishWG.Wait() // nothing may rename into the staging once it is gone
	if err := os.RemoveAll(w.staging); err != nil {
		undo = errors.Join(undo, fmt.Errorf("delete staged files: %w", err))
	}
	if undo != nil {
		return fmt.Errorf("table %s stream %s window %s: abort: %w", w.table.Name, w.stream, w.window, undo)
	}
	return nil
}

func (s writerState) String() string {
	switch s {
	case writing:
		return "writing"
	case prepared:
		return "prepared"
	case committed:
		return "committed"
	case aborted:
		return "aborted"
	}
	return "failed (Abort it)"
}
