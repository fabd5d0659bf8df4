package parquet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/adoptionlabs/etl/atomicfile"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Writer stages the rows of one Begin in per-day files until Commit.
type Writer struct {
	sink   *Sink
	table  *schemas.Table
	schema *parquetgo.Schema
	window window.Window
	stream string
	runID  string
	log    *slog.Logger

	// filePrefix ("part-<stream>-") names this stream's files in a day
	// directory; fileRun is the run id made file-name safe.
	filePrefix string
	fileRun    string
	staging    string // <dir>/.staging/<run>/<table>/<stream>/<n>
	trash      string // <dir>/.trash/<run>/<table>/<stream>-<n>

	// Days this load may write: [firstDay, endDay) for Merge and
	// ReplaceWindow, loadDay for ReplaceAll.
	firstDay, endDay int32
	loadDay          int32

	// keys holds the key of every reject this load staged (etl_rejects
	// only; rejects are few): Prepare drops their earlier copies.
	keys map[string]bool
	// keyCols names the columns eachRow joins into a row's key: the
	// reject key for etl_rejects, the table's Key for Merge tables.
	keyCols []string
	// merge: a Merge table. Prepare keeps the replaced days' old rows of the
	// keys the load does not carry, and of those it carries with an older
	// version, as ClickHouse does (keepUncarried).
	merge bool
	// keyIdx and versionIdx are the leaf columns of keyCols and Version.
	keyIdx     []int
	versionIdx int
	// rowDayIdx and rowDayFromIdx are the leaf columns of a reject's day
	// and of where it comes from (etl_rejects only).
	rowDayIdx, rowDayFromIdx int
	// whole: replace all of this stream's files, not only the window's days
	// (etl_rejects of a snapshot stream).
	whole bool

	// Set by Prepare, used by Swap; lock is the table's commit lock.
	lock     *sync.Mutex
	tableDir string
	plans    []dayPlan

	mu    sync.Mutex
	state writerState
	// sealed: Seal finished the files; nothing more may be written.
	sealed   bool
	open     map[int32]*dayFile
	seq      map[int32]int
	tick     uint64
	peakOpen int
	files    int
	rows     int64
	// buffered is what the open files hold of their current row groups
	// (dayFile.buffered), bounded by MaxBufferedBytes (bound).
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

// dayFile is the open part file of one day.
type dayFile struct {
	day     int32
	f       *atomicfile.File
	pw      *parquetgo.Writer
	final   string
	rows    int64
	lastUse uint64
	// groupRows counts the rows of the row group being written, buffered
	// its values' bytes.
	groupRows int
	buffered  int64
}

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

// PeakOpenFiles is the largest number of day files this load had open at
// once; it never exceeds Options.MaxOpenFiles.
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

// Write implements load.Writer: it routes each row to the file of its UTC
// day.
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
	byDay, order, err := w.route(rec, n)
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
	for _, day := range order {
		df, err := w.file(day)
		if err != nil {
			return err
		}
		var rows []int32
		if byDay == nil {
			rows = allRows(n)
		} else {
			rows = byDay[day]
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

// route returns the rows of each day and the days in the order their first
// rows come (so a stream in descending time order writes its days in that
// order too, and the days it has moved past are those used longest ago); a
// nil map means every row is of the one day in order (the common case).
func (w *Writer) route(rec arrow.Record, n int) (map[int32][]int32, []int32, error) {
	if w.table.Disposition == schemas.ReplaceAll {
		return nil, []int32{w.loadDay}, nil
	}
	dayAt, err := dayFunc(w.table, rec)
	if err != nil {
		return nil, nil, err
	}
	days := make([]int32, n)
	single := true
	for i := range days {
		d, err := dayAt(i)
		if err != nil {
			return nil, nil, err
		}
		if d < w.firstDay || d >= w.endDay {
			return nil, nil, fmt.Errorf("row %d has %s on day %s, outside the window %s this load replaces, so no commit of this load would replace that day (the engine filters such rows; nothing was committed)",
				i, w.table.Day, dayString(d), w.window)
		}
		days[i] = d
		single = single && d == days[0]
	}
	if single {
		return nil, days[:1], nil
	}
	byDay := map[int32][]int32{}
	var order []int32
	for i, d := range days {
		if _, ok := byDay[d]; !ok {
			order = append(order, d)
		}
		byDay[d] = append(byDay[d], int32(i))
	}
	return byDay, order, nil
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
func (w *Writer) writeRows(df *dayFile, encs []columnEncoder, rows []int32) error {
	cws := df.pw.ColumnWriters()
	for len(rows) > 0 {
		k := min(len(rows), rowsPerWrite, w.sink.opts.RowGroupRows-df.groupRows)
		for c, enc := range encs {
			w.values = enc(w.values[:0], rows[:k])
			size, err := writeColumn(cws[c], w.values, w.table.Columns[c].Type)
			if err != nil {
				return fmt.Errorf("write %d rows of column %s to %s: %w", k, w.table.Columns[c].Name, df.f.Name(), err)
			}
			df.buffered += size
			w.buffered += size
		}
		w.peakBuffered = max(w.peakBuffered, w.buffered)
		rows = rows[k:]
		df.rows += int64(k)
		w.rows += int64(k)
		df.groupRows += k
		if df.groupRows >= w.sink.opts.RowGroupRows {
			if err := w.endRowGroup(df); err != nil {
				return err
			}
		}
		if err := w.bound(df); err != nil {
			return err
		}
	}
	return nil
}

// bound keeps what the open files hold within MaxBufferedBytes, df being
// the file just written. Other files are finished first, farthest day
// first (victim); then df ends its row group, for a day bigger than the
// bound on its own.
func (w *Writer) bound(df *dayFile) error {
	for w.buffered > w.sink.opts.MaxBufferedBytes {
		v := w.victim(df.day, df)
		if v == nil {
			return w.endRowGroup(df)
		}
		w.finish(v)
	}
	return nil
}

// endRowGroup writes df's row group out of memory.
func (w *Writer) endRowGroup(df *dayFile) error {
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

// victim is the open file to finish to make room for writing day: the
// one whose day is farthest from it (the least recently used of those), or
// nil when except is the only one. Most streams arrive in time order, one
// way or the other, so the farthest day is one the load has moved past
// and finishing it costs no extra part file.
func (w *Writer) victim(day int32, except *dayFile) *dayFile {
	var v *dayFile
	var vd int32
	for _, df := range w.open {
		if df == except {
			continue
		}
		d := df.day - day
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

// writeColumn writes the values of whole rows to cw and returns their
// bytes (a number counts 8); strings go in runs of whole rows of about
// bytesPerCall bytes, so a page outgrows PageBufferSize by at most that
// much and one row.
func writeColumn(cw *parquetgo.ColumnWriter, values []parquetgo.Value, typ schemas.Type) (int64, error) {
	total := int64(8 * len(values))
	switch typ {
	case schemas.String, schemas.JSON, schemas.StringList:
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

// file returns the open file of day, finishing the least recently used file
// first when MaxOpenFiles are open: memory stays bounded however many days a
// window spans, at the price of more part files when rows jump between days.
func (w *Writer) file(day int32) (*dayFile, error) {
	w.tick++
	if df, ok := w.open[day]; ok {
		df.lastUse = w.tick
		return df, nil
	}
	for len(w.open) >= w.sink.opts.MaxOpenFiles {
		w.finish(w.victim(day, nil))
	}
	dir := filepath.Join(w.staging, "new", dayDir(day))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create staging directory: %w", err)
	}
	seq := w.seq[day]
	w.seq[day] = seq + 1
	name := fmt.Sprintf("%s%s-%05d.parquet", w.filePrefix, w.fileRun, seq)
	df := &dayFile{day: day, final: filepath.Join(dir, name), lastUse: w.tick}
	f, err := atomicfile.Create(df.final, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create part file: %w", err)
	}
	df.f = f
	cfg, err := parquetgo.NewWriterConfig(append(textWithoutBounds(w.table), w.schema,
		parquetgo.Compression(w.sink.opts.Compression),
		parquetgo.MaxRowsPerRowGroup(int64(w.sink.opts.RowGroupRows)),
		// 64 KiB pages instead of 256 KiB: a wide table with 16 open files
		// stays within tens of MB.
		parquetgo.PageBufferSize(64*1024),
		parquetgo.CreatedBy("adoptionlabs-etl", "", ""),
		parquetgo.KeyValueMetadata("etl.table", w.table.Name),
		parquetgo.KeyValueMetadata("etl.stream", w.stream),
		parquetgo.KeyValueMetadata("etl.run_id", w.runID),
	)...)
	if err != nil {
		f.Abort()
		return nil, fmt.Errorf("configure parquet writer: %w", err)
	}
	df.pw = parquetgo.NewWriter(f, cfg)
	w.open[day] = df
	w.files++
	w.peakOpen = max(w.peakOpen, len(w.open))
	return df, nil
}

// textWithoutBounds leaves out the min/max statistics of text columns. A
// reader skips a row group or page by them only when its values are
// clustered, and text never is here: rows are written in time order, ids
// are random UUIDs and labels repeat in every row group, so a text min/max
// spans nearly everything and prunes nothing. Comparing every string of
// every page to find them was ~3% of a Userflow backfill's CPU. Numbers,
// times, dates and bools keep theirs (a time filter prunes by them), and
// every column keeps its null count.
func textWithoutBounds(t *schemas.Table) []parquetgo.WriterOption {
	var opts []parquetgo.WriterOption
	for _, c := range t.Columns {
		if c.Type == schemas.String || c.Type == schemas.JSON {
			opts = append(opts, parquetgo.SkipPageBounds(c.Name))
		}
	}
	return opts
}

// defaultCodec is zstd at its fastest level: issue 14 is about write
// throughput. On Userflow sessions and answers (BenchmarkCompression) its
// files are 43% smaller than snappy's (DuckDB's default) for 15% more CPU
// in the writer, about 4% end to end. zstd's default level gives files
// only 1-4% smaller still, for 10-45% more CPU in the writer; a deployment
// that pays for storage more than for CPU can set Options.Compression.
// Every reader the files are for (DuckDB, ClickHouse, Spark, pyarrow) reads
// zstd. Shared: it keeps its encoders and is safe for concurrent use.
var defaultCodec = newZstdCodec(zstd.SpeedFastest)

// maxFinishing bounds the files a load finishes in the background at once:
// each holds its last pages until they are compressed and written.
const maxFinishing = 2

// finish hands df to a goroutine that writes its last pages and footer,
// makes it durable and gives it its final name, so no half-written
// *.parquet ever exists. The compression and fsync overlap with the rows
// still coming; finishAll waits for them. It blocks while maxFinishing
// files are being finished, which bounds the memory they hold.
func (w *Writer) finish(df *dayFile) {
	delete(w.open, df.day)
	w.buffered -= df.buffered
	if w.finishing == nil {
		w.finishing = make(chan struct{}, maxFinishing)
	}
	w.finishing <- struct{}{}
	w.finishWG.Add(1)
	go func() {
		defer w.finishWG.Done()
		err := finishFile(df)
		<-w.finishing
		if err != nil {
			w.finishMu.Lock()
			w.finishErrs = append(w.finishErrs, err)
			w.finishMu.Unlock()
		}
	}()
}

func finishFile(df *dayFile) error {
	err := df.pw.Close()
	if err == nil {
		err = commitPart(df.f)
	} else {
		df.f.Abort()
	}
	if err != nil {
		return fmt.Errorf("finish part file %s of day %s: %w", filepath.Base(df.final), dayString(df.day), err)
	}
	return nil
}

// finishErr is the error of the files finished so far, if any failed.
func (w *Writer) finishErr() error {
	w.finishMu.Lock()
	defer w.finishMu.Unlock()
	return errors.Join(w.finishErrs...)
}

// finishAll finishes every open file and waits until every file handed to
// finish is durable under its final name; it returns their errors.
func (w *Writer) finishAll() error {
	for _, df := range w.open {
		w.finish(df)
	}
	w.finishWG.Wait()
	return w.finishErr()
}

// Abort implements load.Writer: it deletes what this load staged. A no-op
// after Commit.
func (w *Writer) Abort(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == committed || w.state == aborted {
		return nil
	}
	w.state = aborted
	w.unlock()
	for _, df := range w.open {
		df.f.Abort()
	}
	clear(w.open)
	w.finishWG.Wait() // nothing may rename into the staging once it is gone
	if err := os.RemoveAll(w.staging); err != nil {
		return fmt.Errorf("table %s stream %s window %s: delete staged files: %w", w.table.Name, w.stream, w.window, err)
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
