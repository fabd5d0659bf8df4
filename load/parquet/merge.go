package parquet

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	parquetgo "github.com/parquet-go/parquet-go"
)

// A merge table's commit rewrites the partitions its load's keys live in,
// keeping one row a key: the greatest version, a tie going to the load
// (within the load: the greatest version, then the latest _extracted_at,
// then the row written last). A key's partition is the month of a column
// that never changes for it (layout), so the partitions a load touches
// hold every earlier row of its keys, and the cost of a commit is bounded
// by those partitions, not by the table.
//
// Memory stays bounded however big the load or the partition: what is held
// is the load's key index of one partition (keyIndex, 32 bytes a key), at
// most Options.MaxMergeKeys keys at a time; a partition whose load brings
// more is merged in several passes over hash ranges. Rows stream from the
// files' row groups through a filter into the new files, column by column.

// maxSmallFiles is how many files under compactRows rows a partition may
// keep before a merge rewrites them into one: each load adds a file to
// every partition it touches (a backfill in daily chunks adds one a day),
// and readers pay per file.
const maxSmallFiles = 8

// mergeStats is what the merges of a commit did, for its log line and the
// benchmarks.
type mergeStats struct {
	partitions int
	passes     int
	filesKept  int   // live files carried over as they are
	rowsCopied int64 // rows written into new files (live rows and the load's)
	dropped    int64 // rows that lost to a newer row of their key
	bytes      int64 // bytes of the new files, the load's own included
}

// mergeFile is one input of a partition's merge: a live file of the
// partition or one of the load's files in its scratch directory.
type mergeFile struct {
	name  string
	where string
	open  func() (partReader, error)
	rows  int64
	drops int64 // a live file's rows that the load replaces
}

// merger merges one partition.
type merger struct {
	// ctx ends a merge between two files (Ctrl-C): the commit is
	// abandoned before anything is swapped.
	ctx    context.Context
	w      *Writer
	part   int32
	st     partStage
	live   []*mergeFile
	loaded []*mergeFile
	keys   rowKeys
	keep   []bool
	copier copier
	out    *partFile
	stats  *mergeStats
}

// mergePartition stages the new set of files of one partition: its live
// rows that no row of the load replaces, and the load's rows that no live
// row beats. A live file that loses no row is carried over as it is and
// the load's files are taken as they are when none of their rows loses,
// so a load of keys new to the partition (most of a backfill) rewrites
// nothing; small files are rewritten together once there are more than
// maxSmallFiles.
func (w *Writer) mergePartition(ctx context.Context, part int32) (partStage, error) {
	dir := w.layout.dir(part)
	entries, err := w.store.list(ctx, w.table.Name, dir)
	if err != nil {
		return nil, err
	}
	st := w.store.stage(w.table.Name, dir, entries, w.dirs())
	m := &merger{ctx: ctx, w: w, part: part, st: st, stats: &w.merged}
	for _, e := range entries {
		switch {
		case e.name == schemaOnlyName:
			// The table has rows once this commit is in: settleEmpty
			// would take it away.
		case !e.regular:
			return nil, fmt.Errorf("%s is not a regular file: a partition directory may only hold Parquet files", w.store.location(w.table.Name, dir, e.name))
		case e.isPart() && strings.HasPrefix(e.name, "part-"):
			name := e.name
			m.live = append(m.live, &mergeFile{name: name, where: w.store.location(w.table.Name, dir, name),
				open: func() (partReader, error) { return w.store.open(ctx, w.table.Name, dir, name, w.dirs()) }})
		default:
			if err := st.keep(e.name); err != nil { // not etl's: left as it is
				return nil, err
			}
		}
	}
	scratch := w.scratch(part)
	files, err := os.ReadDir(scratch)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for _, f := range files {
		if isParquet(f.Name()) {
			path := filepath.Join(scratch, f.Name())
			m.loaded = append(m.loaded, &mergeFile{name: f.Name(), where: path, open: func() (partReader, error) { return openLocal(path) }})
		}
	}
	if err := m.run(scratch); err != nil {
		m.abort()
		return nil, fmt.Errorf("merge partition %s: %w", w.layout.dir(part), err)
	}
	w.merged.partitions++
	return st, st.ready()
}

func (m *merger) run(scratch string) error {
	var loadedRows int64
	for _, f := range append(slices.Clone(m.loaded), m.live...) {
		if err := m.footer(f); err != nil {
			return err
		}
	}
	for _, f := range m.loaded {
		loadedRows += f.rows
	}
	maxKeys := int64(m.w.sink.opts.MaxMergeKeys)
	passes := max(1, int((loadedRows+maxKeys-1)/maxKeys))
	m.stats.passes += passes
	if passes > 1 {
		return m.inPasses(passes, loadedRows)
	}
	if len(m.live) == 0 && m.smallFiles(m.loaded) <= maxSmallFiles {
		// Nothing to merge with (a first load of the partition): the
		// load's files are the new set as they are if no key repeats in
		// them, which 8 bytes a key tell.
		unique, err := m.unique(loadedRows)
		if err != nil || unique {
			if err == nil {
				err = m.st.adoptDir(scratch)
				m.stats.bytes += dirBytes(scratch)
			}
			return err
		}
	}
	all := hashRanges(1)[0]
	ix, err := m.index(all, loadedRows)
	if err != nil {
		return err
	}
	for _, f := range m.live {
		if err := m.scan(f, ix); err != nil {
			return err
		}
	}
	m.stats.dropped += ix.dropped
	compactRows := int64(m.w.sink.opts.RowGroupRows)
	var rewrite, keep, small []*mergeFile
	for _, f := range m.live {
		m.stats.dropped += f.drops
		switch {
		case f.drops > 0:
			rewrite = append(rewrite, f)
		case f.rows < compactRows:
			small = append(small, f)
		default:
			keep = append(keep, f)
		}
	}
	compact := len(small)+m.smallFiles(m.loaded) > maxSmallFiles
	if compact {
		rewrite = append(rewrite, small...)
	} else {
		keep = append(keep, small...)
	}
	// The load's files as they are, when none of their rows loses: their
	// scratch directory becomes the new set first, so nothing is renamed.
	asIs := ix.dropped == 0 && !compact
	if asIs {
		if err := m.st.adoptDir(scratch); err != nil {
			return err
		}
		m.stats.bytes += dirBytes(scratch)
	}
	for _, f := range keep {
		if err := m.st.keep(f.name); err != nil {
			return err
		}
		m.stats.filesKept++
	}
	for _, f := range rewrite {
		if err := m.copyFile(f, func(h keyHash, v, _ int64) bool { return ix.keepLive(h, v) }); err != nil {
			return err
		}
	}
	if !asIs {
		for _, f := range m.loaded {
			if err := m.copyFile(f, ix.keepLoaded); err != nil {
				return err
			}
		}
	}
	return m.finishOut()
}

// smallFiles counts the files under a row group's rows.
func (m *merger) smallFiles(files []*mergeFile) int {
	n := 0
	for _, f := range files {
		if f.rows < int64(m.w.sink.opts.RowGroupRows) {
			n++
		}
	}
	return n
}

// unique reports whether no key repeats among the load's rows, comparing
// the first 64 bits of their hashes: a repeat there (two keys sharing them
// among n has odds n^2/2^65) only sends the partition through the full
// merge, which tells.
func (m *merger) unique(rows int64) (bool, error) {
	firsts := make([]uint64, 0, rows)
	for _, f := range m.loaded {
		err := m.eachRowGroup(f, func(_ *parquetgo.File, _ parquetgo.RowGroup, k *rowKeys) error {
			for _, h := range k.hash {
				firsts = append(firsts, h[0])
			}
			return nil
		})
		if err != nil {
			return false, fmt.Errorf("read back the keys of the load: %w", err)
		}
	}
	slices.Sort(firsts)
	for i := 1; i < len(firsts); i++ {
		if firsts[i] == firsts[i-1] {
			return false, nil
		}
	}
	return true, nil
}

// inPasses merges a partition whose load brings more keys than
// MaxMergeKeys: every file is rewritten, a hash range at a time, each row
// in the pass of its key's range.
func (m *merger) inPasses(passes int, loadedRows int64) error {
	for _, r := range hashRanges(passes) {
		// A range holds about its share of the rows; a few more than that
		// grow the slice once.
		ix, err := m.index(r, loadedRows/int64(passes)*9/8)
		if err != nil {
			return err
		}
		for _, f := range m.live {
			err := m.copyFile(f, func(h keyHash, v, _ int64) bool {
				if !r.has(h) {
					return false
				}
				if ix.live(h, v) {
					return true
				}
				m.stats.dropped++
				return false
			})
			if err != nil {
				return err
			}
		}
		m.stats.dropped += ix.dropped
		for _, f := range m.loaded {
			if err := m.copyFile(f, ix.keepLoaded); err != nil {
				return err
			}
		}
	}
	return m.finishOut()
}

// withFile opens one input for the time of fn.
func (m *merger) withFile(f *mergeFile, fn func(pf *parquetgo.File) error) error {
	r, err := f.open()
	if err != nil {
		return err
	}
	defer r.Close()
	pf, err := parquetgo.OpenFile(r, r.Size(), parquetgo.SkipBloomFilters(true), parquetgo.SkipPageIndex(true))
	if err != nil {
		return fmt.Errorf("read the footer of %s: %w", f.where, err)
	}
	if err := fn(pf); err != nil {
		return fmt.Errorf("%s: %w", f.where, err)
	}
	return nil
}

func (m *merger) footer(f *mergeFile) error {
	return m.withFile(f, func(pf *parquetgo.File) error {
		f.rows = pf.NumRows()
		return nil
	})
}

// eachRowGroup calls fn with every row group of f and the key, version and
// extraction time of its rows.
func (m *merger) eachRowGroup(f *mergeFile, fn func(pf *parquetgo.File, rg parquetgo.RowGroup, k *rowKeys) error) error {
	if err := m.ctx.Err(); err != nil {
		return err
	}
	return m.withFile(f, func(pf *parquetgo.File) error {
		kc, err := lookupKeyColumns(pf.Schema(), m.w.table)
		if err != nil {
			return err
		}
		for _, rg := range pf.RowGroups() {
			if err := m.keys.read(rg, kc); err != nil {
				return err
			}
			if err := fn(pf, rg, &m.keys); err != nil {
				return err
			}
		}
		return nil
	})
}

// index reads the keys of the load's rows in range r, in the order they
// were written.
func (m *merger) index(r hashRange, rows int64) (*keyIndex, error) {
	// Sized once: growing by doubling would hold up to three times the
	// index for a moment.
	ix := &keyIndex{entries: make([]keyEntry, 0, rows)}
	for _, f := range m.loaded {
		err := m.eachRowGroup(f, func(_ *parquetgo.File, _ parquetgo.RowGroup, k *rowKeys) error {
			for i, h := range k.hash {
				if r.has(h) {
					ix.add(h, k.version[i], k.extracted[i])
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read back the keys of the load: %w", err)
		}
	}
	ix.build()
	return ix, nil
}

// scan counts the rows of a live file that the load replaces, reading only
// its key, version and extraction time, and marks the keys it wins.
func (m *merger) scan(f *mergeFile, ix *keyIndex) error {
	return m.eachRowGroup(f, func(_ *parquetgo.File, _ parquetgo.RowGroup, k *rowKeys) error {
		for i, h := range k.hash {
			if !ix.live(h, k.version[i]) {
				f.drops++
			}
		}
		return nil
	})
}

// copyFile copies the rows of f that keep chooses into the partition's new
// files. A file in today's schema is copied column by column; one written
// before a column was added is read in today's schema, row by row.
func (m *merger) copyFile(f *mergeFile, keep func(h keyHash, v, x int64) bool) error {
	var conv parquetgo.Conversion
	converted := false
	return m.eachRowGroup(f, func(pf *parquetgo.File, rg parquetgo.RowGroup, k *rowKeys) error {
		if !converted && !equalSchemas(pf.Schema(), m.w.schema) {
			c, err := parquetgo.Convert(m.w.schema, pf.Schema())
			if err != nil {
				return fmt.Errorf("written with a schema of %s that cannot be read as today's (%v): move it away, then rerun", m.w.table.Name, err)
			}
			conv = c
		}
		converted = true
		m.keep = slices.Grow(m.keep[:0], len(k.hash))[:len(k.hash)]
		n := 0
		for i, h := range k.hash {
			m.keep[i] = keep(h, k.version[i], k.extracted[i])
			if m.keep[i] {
				n++
			}
		}
		if n == 0 {
			return nil
		}
		return m.write(rg, n, conv)
	})
}

// write appends the n rows of rg that m.keep marks to the current new file,
// starting another one past maxPartRows rows; conv is nil for a row group
// in today's schema.
func (m *merger) write(rg parquetgo.RowGroup, n int, conv parquetgo.Conversion) error {
	w := m.w
	groupRows := w.sink.opts.RowGroupRows
	if m.out != nil && m.out.rows >= int64(w.sink.opts.maxPartRows()) {
		if err := m.finishOut(); err != nil {
			return err
		}
	}
	if m.out == nil {
		f, err := m.st.create(w.partName(m.part))
		if err != nil {
			return err
		}
		if m.out, err = w.newPartFile(m.part, &countingFile{stagedFile: f, n: &m.stats.bytes}); err != nil {
			return err
		}
	}
	if m.out.groupRows > 0 && m.out.groupRows+n > groupRows {
		if err := m.out.pw.Flush(); err != nil {
			return err
		}
		m.out.groupRows = 0
	}
	var err error
	if conv == nil {
		_, _, err = m.copier.copyColumns(m.out.pw.ColumnWriters(), rg, m.keep)
	} else {
		_, _, err = m.copier.copyRows(m.out.pw, rg, conv, m.keep)
	}
	if err != nil {
		return err
	}
	m.stats.rowsCopied += int64(n)
	m.out.rows += int64(n)
	m.out.groupRows += n
	if m.out.groupRows >= groupRows {
		if err := m.out.pw.Flush(); err != nil {
			return err
		}
		m.out.groupRows = 0
	}
	return nil
}

// finishOut finishes the new file being written, if any.
func (m *merger) finishOut() error {
	if m.out == nil {
		return nil
	}
	out := m.out
	m.out = nil
	return finishFile(out)
}

func (m *merger) abort() {
	if m.out != nil {
		m.out.f.abort()
		m.out = nil
	}
}

func equalSchemas(a, b *parquetgo.Schema) bool { return a.String() == b.String() }

// countingFile counts the bytes written to a new file.
type countingFile struct {
	stagedFile
	n *int64
}

func (c *countingFile) Write(p []byte) (int, error) {
	n, err := c.stagedFile.Write(p)
	*c.n += int64(n)
	return n, err
}

var _ io.Writer = (*countingFile)(nil)

// dirBytes adds up the sizes of the Parquet files of a local directory.
func dirBytes(dir string) int64 {
	entries, _ := os.ReadDir(dir)
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil && isParquet(e.Name()) {
			n += info.Size()
		}
	}
	return n
}
