package parquet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/adoptionlabs/etl/schemas"
)

// partFile is an open part file of one partition: a file of the load's
// scratch directory, or a file a merge writes into a partition's stage.
type partFile struct {
	part    int32
	f       stagedFile
	pw      *parquetgo.Writer
	rows    int64
	lastUse uint64
	// groupRows counts the rows of the row group being written, buffered
	// its values' bytes.
	groupRows int
	buffered  int64
}

// scratch is the directory of the load's own files of partition part: the
// files Write makes, which Prepare turns into the partition's new set.
func (w *Writer) scratch(part int32) string {
	return filepath.Join(w.staging, "new", w.layout.dir(part))
}

// partName names the seq-th file this load writes into a partition.
// Merge partitions hold the files of many loads (of the same run too:
// backfill chunks), so their names carry fileLoad.
func (w *Writer) partName(part int32) string {
	seq := w.seq[part]
	w.seq[part] = seq + 1
	if w.fileLoad != "" {
		return fmt.Sprintf("%s%s-%s-%05d.parquet", w.filePrefix, w.fileRun, w.fileLoad, seq)
	}
	return fmt.Sprintf("%s%s-%05d.parquet", w.filePrefix, w.fileRun, seq)
}

// file returns the open file of part, finishing the least recently used
// file first when MaxOpenFiles are open: memory stays bounded however many
// partitions a window spans, at the price of more part files when rows
// jump between them.
func (w *Writer) file(part int32) (*partFile, error) {
	w.tick++
	if df, ok := w.open[part]; ok {
		df.lastUse = w.tick
		return df, nil
	}
	for len(w.open) >= w.sink.opts.MaxOpenFiles {
		w.finish(w.victim(part, nil))
	}
	dir := w.scratch(part)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create staging directory: %w", err)
	}
	f, err := w.sink.createPart(filepath.Join(dir, w.partName(part)))
	if err != nil {
		return nil, fmt.Errorf("create part file: %w", err)
	}
	df, err := w.newPartFile(part, f)
	if err != nil {
		return nil, err
	}
	df.lastUse = w.tick
	w.open[part] = df
	w.files++
	w.peakOpen = max(w.peakOpen, len(w.open))
	return df, nil
}

// newPartFile starts the Parquet writer of a part file.
func (w *Writer) newPartFile(part int32, f stagedFile) (*partFile, error) {
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
		f.abort()
		return nil, fmt.Errorf("configure parquet writer: %w", err)
	}
	return &partFile{part: part, f: f, pw: parquetgo.NewWriter(f, cfg)}, nil
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

// defaultCodec is zstd at its fastest level: a backfill is bound by write
// throughput. Its files are smaller than snappy's (DuckDB's default) for
// a little more CPU in the writer, and zstd's default level gains little
// more size for much more CPU (BenchmarkCompression, BENCHMARKS.md); a
// deployment that pays for storage more than for CPU can set
// Options.Compression.
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
func (w *Writer) finish(df *partFile) {
	delete(w.open, df.part)
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

func finishFile(df *partFile) error {
	err := df.pw.Close()
	if err == nil {
		err = df.f.commit()
	} else {
		df.f.abort()
	}
	if err != nil {
		return fmt.Errorf("finish part file %s: %w", filepath.Base(df.f.Name()), err)
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
