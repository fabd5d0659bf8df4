package parquet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	parquetgo "github.com/parquet-go/parquet-go"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Migrate converts the merge tables among tables whose files are laid out
// as an earlier release wrote them (by dt= day of a column that moves, a
// key in several days) to the layout of today (layout.go), one row a key:
// the greatest version, then the latest _extracted_at, then the file that
// sorts last. Each table is rebuilt in staging and swapped in whole, so a
// reader sees the old files or the new ones; a run killed in the middle
// leaves the old files as they were and the next one starts over. The
// first load of a table converts it too (ensureTable); Migrate is for
// `etl migrate`.
func (s *Sink) Migrate(ctx context.Context, tables []*schemas.Table) error {
	for _, t := range tables {
		if t.Disposition != schemas.Merge {
			continue
		}
		if err := checkLayout(t); err != nil {
			return err
		}
		mu := s.tableMu(t.Name)
		mu.Lock()
		err := s.migrateLocked(ctx, t)
		mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// migrateStep is called as a conversion passes each step ("routed": the old
// rows are in staging; "staged": the new table is complete in staging;
// "swapped": it is in place, the old files not yet deleted); a variable so
// tests can kill the process there.
var migrateStep = func(step string) {}

// migrateLocked converts one table if it needs it; the caller holds its
// commit lock.
func (s *Sink) migrateLocked(ctx context.Context, t *schemas.Table) error {
	local, ok := s.store.(localStore)
	if t.Disposition != schemas.Merge || !ok {
		// Earlier releases wrote local directories only.
		return nil
	}
	tableDir := filepath.Join(local.dir, t.Name)
	if ok, err := inLayout(tableDir, layoutOf(t)); ok || err != nil {
		return err
	}
	if err := s.migrate(ctx, t, local); err != nil {
		return fmt.Errorf("table %s: convert its files from the layout of an earlier release (nothing changed; rerun to try again): %w", t.Name, err)
	}
	return nil
}

// inLayout reports whether every Parquet file of a table sits where its
// layout puts it.
func inLayout(tableDir string, l layout) (bool, error) {
	entries, err := os.ReadDir(tableDir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		switch {
		case e.IsDir() && isPartitionDir(e.Name()):
			if _, ok := l.parse(e.Name()); !ok {
				return false, nil
			}
		case e.Type().IsRegular() && isParquet(e.Name()):
			if l.key != "" {
				return false, nil
			}
		}
	}
	return true, nil
}

func (s *Sink) migrate(ctx context.Context, t *schemas.Table, local localStore) error {
	start := time.Now()
	live, err := local.files(ctx, t.Name, false)
	if err != nil {
		return err
	}
	var files []string
	for _, f := range live {
		if !isSchemaOnly(f.name) {
			files = append(files, local.location(t.Name, f.part, f.name))
		}
	}
	stream := "migrate"
	if len(files) > 0 {
		if st := fileStream(files[len(files)-1]); st != "" {
			stream = st
		}
	}
	w, err := s.newWriter(t, window.Window{}, stream, start.UTC().Format("20060102T150405Z")+"-migrate")
	if err != nil {
		return err
	}
	defer os.RemoveAll(w.staging)
	defer os.RemoveAll(w.trash)
	l := w.layout
	var rowsBefore int64
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := w.routeFile(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rowsBefore += n
	}
	if err := w.finishAll(); err != nil {
		return err
	}
	migrateStep("routed")
	// Each partition merged on its own, with no live file: the table's
	// new directory.
	newTable := filepath.Join(w.staging, "table")
	if err := os.MkdirAll(newTable, 0o755); err != nil {
		return err
	}
	for _, part := range slices.Sorted(maps.Keys(w.seq)) {
		next := filepath.Join(newTable, l.dir(part))
		if err := os.MkdirAll(next, 0o755); err != nil {
			return err
		}
		m := &merger{ctx: ctx, w: w, part: part, st: &localStage{next: next}, stats: &w.merged}
		scratch := w.scratch(part)
		names, err := os.ReadDir(scratch)
		if err != nil {
			return err
		}
		for _, e := range names {
			path := filepath.Join(scratch, e.Name())
			m.loaded = append(m.loaded, &mergeFile{name: e.Name(), where: path, open: func() (partReader, error) { return openLocal(path) }})
		}
		if err := m.run(scratch); err != nil {
			m.abort()
			return fmt.Errorf("merge partition %s: %w", l.dir(part), err)
		}
		if err := syncStaged(next); err != nil {
			return err
		}
	}
	if err := syncStaged(newTable); err != nil {
		return err
	}
	if syncOnce {
		if err := syncFS(local.dir); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	migrateStep("staged")
	// One swap of the table's directory: the old layout's files go only
	// once the new one is in place and durable.
	st := local.stage(t.Name, "", nil, w.dirs()).(*localStage)
	st.next, st.any = newTable, true
	if err := st.swap(); err != nil {
		return err
	}
	migrateStep("swapped")
	if err := local.settle([]partStage{st}, func(err error) {
		s.opts.Logger.Warn("parquet: could not delete the files of the earlier layout", "table", t.Name, "err", err)
	}); err != nil {
		return err
	}
	to := "files in the table directory (unpartitioned)"
	if l.key != "" {
		to = l.key + "= partitions"
	}
	s.opts.Logger.Info("parquet: converted a merge table written by an earlier release to one row per key",
		"table", t.Name, "to", to, "files", len(files), "rows_before", rowsBefore, "rows", rowsBefore-w.merged.dropped,
		"older_versions_dropped", w.merged.dropped, "seconds", time.Since(start).Round(time.Millisecond).Seconds())
	return nil
}

// routeFile writes every row of a file of the earlier layout to the scratch
// file of its partition, and returns how many rows it read.
func (w *Writer) routeFile(path string) (int64, error) {
	r, err := openLocal(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	pf, err := parquetgo.OpenFile(r, r.Size(), parquetgo.SkipBloomFilters(true), parquetgo.SkipPageIndex(true))
	if err != nil {
		return 0, fmt.Errorf("read the footer: %w", err)
	}
	var conv parquetgo.Conversion
	if !equalSchemas(pf.Schema(), w.schema) {
		if conv, err = parquetgo.Convert(w.schema, pf.Schema()); err != nil {
			return 0, fmt.Errorf("written with a schema of %s that cannot be read as today's (%v): move it away, then rerun", w.table.Name, err)
		}
	}
	col := -1
	if w.layout.column != "" {
		leaf, ok := pf.Schema().Lookup(w.layout.column)
		if !ok {
			return 0, fmt.Errorf("the file has no column %s, which partitions the table", w.layout.column)
		}
		col = leaf.ColumnIndex
	}
	var c copier
	var k rowKeys
	parts, keep := []int32{}, []bool{}
	for _, rg := range pf.RowGroups() {
		n := int(rg.NumRows())
		parts = slices.Grow(parts[:0], n)[:n]
		clear(parts)
		if col >= 0 {
			var bad error
			err := k.each(rg.ColumnChunks()[col], n, func(row int, v parquetgo.Value) {
				if v.IsNull() {
					bad = fmt.Errorf("row %d has no %s, so it belongs to no partition", row, w.layout.column)
					return
				}
				d := versionOf(v)
				if v.Kind() != parquetgo.Int32 {
					d = floorDiv(d, millisPerDay)
				}
				parts[row] = monthOfDay(int32(d))
			})
			if err = errors.Join(err, bad); err != nil {
				return 0, err
			}
		}
		seen := map[int32]bool{}
		for _, p := range parts {
			if seen[p] {
				continue
			}
			seen[p] = true
			keep = slices.Grow(keep[:0], n)[:n]
			rows := 0
			for i := range parts {
				keep[i] = parts[i] == p
				if keep[i] {
					rows++
				}
			}
			df, err := w.file(p)
			if err != nil {
				return 0, err
			}
			if df.groupRows > 0 && df.groupRows+rows > w.sink.opts.RowGroupRows {
				if err := w.endRowGroup(df); err != nil {
					return 0, err
				}
			}
			var size int64
			if conv == nil {
				_, size, err = c.copyColumns(df.pw.ColumnWriters(), rg, keep)
			} else {
				_, size, err = c.copyRows(df.pw, rg, conv, keep)
			}
			if err != nil {
				return 0, err
			}
			df.buffered += size
			w.buffered += size
			if err := w.wrote(df, rows); err != nil {
				return 0, err
			}
		}
	}
	return pf.NumRows(), nil
}

// fileStream reads the stream that wrote a file from its metadata.
func fileStream(path string) string {
	r, err := openLocal(path)
	if err != nil {
		return ""
	}
	defer r.Close()
	pf, err := parquetgo.OpenFile(r, r.Size(), parquetgo.SkipBloomFilters(true), parquetgo.SkipPageIndex(true))
	if err != nil {
		return ""
	}
	v, _ := pf.Lookup("etl.stream")
	return v
}
