// Package parquet loads Arrow batches into Parquet files in a Hive layout
// that DuckDB and other readers glob: <dir>/<table>/dt=YYYY-MM-DD/ for
// tables replaced by day, <dir>/<table>/<partition>_month=YYYY-MM/ for
// merge tables, which hold one row per key. A load is staged under
// <dir>/.staging and swapped in partition by partition at Commit;
// README.md states the contract.
package parquet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parquet-go/parquet-go/compress"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Options tune the sink.
type Options struct {
	// RowGroupRows bounds the rows a file buffers before it writes a row
	// group, which bounds memory per open file. Default 50,000.
	RowGroupRows int
	// MaxOpenFiles bounds the day files one load keeps open; the file of
	// the day farthest from the one being written is finished when another
	// day needs a file (Writer.victim). Default 16.
	MaxOpenFiles int
	// MaxBufferedBytes bounds what one load's open files hold before it
	// reaches disk (text bytes, 8 a number), so memory does not grow with
	// a day's volume: beyond it another file is finished the same way or,
	// when none is left, the file being written ends its row group.
	// Default 4 MiB.
	MaxBufferedBytes int64
	// Compression is the codec of every column chunk. Default zstd at its
	// fastest level (defaultCodec).
	Compression compress.Codec
	// MaxMergeKeys bounds the keys of a load a merge holds in memory for
	// one partition (keyIndex, 32 bytes a key); a partition whose load
	// brings more is merged in several passes. Default 2^19 (16 MiB).
	MaxMergeKeys int
	Logger       *slog.Logger
	// Scratch is the local directory under which a sink on an object
	// store writes a load's files before it uploads them, and fetches the
	// live files a merge rewrites. Default os.TempDir().
	Scratch string
	// Now gives the day a ReplaceAll load lands in. Default time.Now.
	Now func() time.Time
}

// maxPartRows is where a merge starts another new file of a partition: 20
// row groups, ~30 MB of Userflow sessions, a size lake engines read well.
func (o Options) maxPartRows() int { return 20 * o.RowGroupRows }

// Names of the sink's private directories under its work directory (the
// output directory, or an object store sink's scratch). They start with a
// dot so that no reader globbing <table>/dt=*/*.parquet ever reaches them.
const (
	stagingDir = ".staging"
	trashDir   = ".trash"
	lockFile   = ".lock"
)

// Sink writes the tables of one directory, or of one prefix of an object
// store. Safe for concurrent use.
type Sink struct {
	// root is where the tables are, as a person names it: the absolute
	// output directory, or s3://bucket/prefix.
	root string
	// work is the local directory of the loads' staging and trash, and of
	// the lock that keeps one Sink on it: the output directory itself (so
	// a swap renames), or an object store sink's scratch directory.
	work string
	opts Options
	lock *os.File

	mu       sync.Mutex
	tableMus map[string]*sync.Mutex
	closed   bool
	begins   atomic.Int64

	// settled: tables whose layout and schema-only file ensureTable has
	// settled.
	settled map[string]bool
	store   partStore
	// objs is the object store (nil on a local directory); recovered
	// says its interrupted commits were resolved (recoverOnce).
	objs      objectstore.Store
	recovered bool
	recoverMu sync.Mutex
}

var (
	_ load.Sink           = (*Sink)(nil)
	_ load.StagingCleaner = (*Sink)(nil)
)

// defaults fills in the zero options.
func (opts Options) defaults() Options {
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = 50_000
	}
	if opts.MaxOpenFiles <= 0 {
		opts.MaxOpenFiles = 16
	}
	if opts.MaxBufferedBytes <= 0 {
		opts.MaxBufferedBytes = 4 << 20
	}
	if opts.Compression == nil {
		opts.Compression = defaultCodec
	}
	if opts.MaxMergeKeys <= 0 {
		opts.MaxMergeKeys = 1 << 19
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts
}

// New opens dir (created if missing), takes its lock so that no other Sink
// swaps files in it at the same time, and repairs what a crash mid-commit
// left behind: a day directory moved to the trash but not yet replaced is put
// back, and stale staging is deleted.
func New(dir string, opts Options) (*Sink, error) {
	opts = opts.defaults()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("parquet output directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create parquet output directory %s: %w", abs, err)
	}
	lock, err := lockDir(filepath.Join(abs, lockFile))
	if err != nil {
		return nil, fmt.Errorf("parquet output directory %s: %w", abs, err)
	}
	s := &Sink{root: abs, work: abs, opts: opts, lock: lock, tableMus: map[string]*sync.Mutex{}, settled: map[string]bool{}, store: localStore{abs}}
	if err := s.recover(); err != nil {
		unlockDir(lock)
		return nil, fmt.Errorf("parquet output directory %s: recover from an interrupted run: %w", abs, err)
	}
	return s, nil
}

// Name implements load.Sink.
func (s *Sink) Name() string { return Kind }

// Out is where the tables are: the absolute output directory, or
// s3://bucket/prefix (what ListFiles and CountRows take).
func (s *Sink) Out() string { return s.root }

// Close releases the lock and tidies what finished loads leave: the empty
// staging and trash directories, an object store sink's scratch. Loads
// still open are not touched.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.objs != nil {
		s.logRequests()
		return closeScratch(s.work, s.lock)
	}
	removeEmptyDirs(filepath.Join(s.work, stagingDir))
	removeEmptyDirs(filepath.Join(s.work, trashDir))
	return unlockDir(s.lock)
}

// tableMu serialises the commits of one table: a commit reads the live day
// directory, builds its replacement and swaps it in, so two commits on the
// same day would otherwise drop each other's files.
func (s *Sink) tableMu(table string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	mu, ok := s.tableMus[table]
	if !ok {
		mu = &sync.Mutex{}
		s.tableMus[table] = mu
	}
	return mu
}

var tableNamePattern = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Begin implements load.Sink.
func (s *Sink) Begin(ctx context.Context, t *schemas.Table, w window.Window, stream, runID string) (load.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("parquet sink %s is closed", s.root)
	}
	if t == nil {
		return nil, errors.New("parquet: Begin without a table")
	}
	if !tableNamePattern.MatchString(t.Name) {
		return nil, fmt.Errorf("table name %q cannot name a directory (want letters, digits and _)", t.Name)
	}
	if t.Name == StateDir {
		return nil, fmt.Errorf("table name %q is the directory of etl's state under %s: use another table name", t.Name, s.root)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := checkLayout(t); err != nil {
		return nil, err
	}
	if stream == "" || runID == "" {
		return nil, fmt.Errorf("table %s: Begin needs a stream name and a run id (got stream %q, run %q)", t.Name, stream, runID)
	}
	if err := s.recoverOnce(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureTable(ctx, t); err != nil {
		return nil, err
	}
	wr, err := s.newWriter(t, w, stream, runID)
	if err != nil {
		return nil, err
	}
	if t.Disposition == schemas.ReplaceAll {
		wr.loadDay = dayOf(s.opts.Now())
	} else {
		// A merge load replaces rows by key, whatever its window; a
		// replace-window load replaces whole days.
		if t.Disposition != schemas.Merge && (!w.Start.Equal(window.Floor(w.Start)) || !w.End.Equal(window.Floor(w.End))) {
			return nil, fmt.Errorf("table %s stream %s: window %s does not start and end at UTC midnight; the parquet sink replaces whole dt= days, so a partial day would lose the rows of the rest of that day: use whole-day windows and chunks (1d, 7d)", t.Name, stream, w)
		}
		wr.firstDay, wr.endDay = dayOf(w.Start), dayOf(w.End)
		if !w.End.Equal(window.Floor(w.End)) {
			wr.endDay++ // a merge window that ends within a day
		}
		if wr.endDay < wr.firstDay {
			wr.endDay = wr.firstDay
		}
	}
	if t.Name == schemas.Rejects.Name {
		wr.keys = map[string]bool{}
		if err := wr.lookupRejectKey(); err != nil {
			return nil, err
		}
		if err := wr.lookupRejectDay(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(wr.staging, 0o755); err != nil {
		return nil, fmt.Errorf("table %s stream %s: create staging directory: %w", t.Name, stream, err)
	}
	return wr, nil
}

// newWriter makes the Writer of one load: its names and its private
// directories under staging and trash.
func (s *Sink) newWriter(t *schemas.Table, w window.Window, stream, runID string) (*Writer, error) {
	wr := &Writer{
		sink:       s,
		table:      t,
		schema:     Schema(t),
		layout:     layoutOf(t),
		store:      s.store,
		window:     w,
		stream:     stream,
		runID:      runID,
		filePrefix: "part-" + fileSafe(stream, false) + "-",
		fileRun:    fileSafe(runID, true),
		open:       map[int32]*partFile{},
		seq:        map[int32]int{},
		log:        s.opts.Logger.With("sink", "parquet", "table", t.Name, "stream", stream, "window", w.String()),
	}
	if t.Disposition == schemas.Merge {
		wr.merge = true
		wr.fileLoad = randomHex(4)
	}
	n := s.begins.Add(1)
	wr.staging = filepath.Join(s.work, stagingDir, wr.fileRun, t.Name, fileSafe(stream, true), fmt.Sprint(n))
	wr.trash = filepath.Join(s.work, trashDir, wr.fileRun, t.Name, fmt.Sprintf("%s-%d", fileSafe(stream, false), n))
	return wr, nil
}

func (w *Writer) dirs() loadDirs {
	return loadDirs{work: w.staging, trash: w.trash, stream: w.stream, run: w.runID}
}

// recover undoes what a crash between the two renames of a partition
// swap left: the old directory sits in the trash and the live one is
// missing. A trash entry whose live directory exists belonged to a swap
// that finished.
func (s *Sink) recover() error {
	trash := filepath.Join(s.work, trashDir)
	// .trash/<run>/<table>/<load>/<partition>, or ~table for an
	// unpartitioned table's directory (or a table converted to its layout)
	parts, err := filepath.Glob(filepath.Join(globEscape(trash), "*", "*", "*", "*"))
	if err != nil {
		return err
	}
	restored := map[string]bool{}
	for _, old := range parts {
		rel, err := filepath.Rel(trash, old)
		if err != nil {
			return err
		}
		elems := strings.Split(rel, string(filepath.Separator))
		table, part := elems[1], elems[3]
		var live string
		switch {
		case part == tableLevel:
			live = filepath.Join(s.root, table)
		case isPartitionDir(part):
			live = filepath.Join(s.root, table, part)
		default:
			continue
		}
		if _, err := os.Lstat(live); err == nil {
			continue
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(live), 0o755); err != nil {
			return err
		}
		if err := os.Rename(old, live); err != nil {
			return fmt.Errorf("put %s back to %s: %w", old, live, err)
		}
		restored[filepath.Dir(live)] = true
		s.opts.Logger.Warn("parquet: restored a partition an interrupted commit had moved away; rerun that window to load it again",
			"table", table, "partition", part)
	}
	for dir := range restored {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(trash); err != nil {
		return err
	}
	staging := filepath.Join(s.work, stagingDir)
	if entries, _ := os.ReadDir(staging); len(entries) > 0 {
		s.opts.Logger.Info("parquet: deleting uncommitted files of an interrupted run", "dir", staging)
	}
	return os.RemoveAll(staging)
}

// fileSafe keeps letters, digits, '_' and '.' and escapes every other byte
// as ~XX. '-' separates the parts of a file name, so a stream's escaped name
// never contains one (keepDash=false) and the prefix part-<stream>- names
// exactly the files of one stream.
func fileSafe(s string, keepDash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_',
			c == '.' && i > 0, c == '-' && keepDash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "~%02x", c)
		}
	}
	return b.String()
}

// globEscape protects a literal path inside a filepath.Glob pattern.
func globEscape(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(p)
}

// removeEmptyDirs removes dir and the directories below it that hold no file.
func removeEmptyDirs(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			removeEmptyDirs(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir) // fails, as wanted, when something is left
}

// Days are counted from 1970-01-01 UTC, which makes them cheap map keys.
func dayOf(t time.Time) int32 {
	return int32(floorDiv(t.UTC().UnixMilli(), millisPerDay))
}

func dayTime(d int32) time.Time {
	return time.UnixMilli(int64(d) * millisPerDay).UTC()
}

func dayString(d int32) string { return dayTime(d).Format(time.DateOnly) }

func dayDir(d int32) string { return dayKey + "=" + dayString(d) }
