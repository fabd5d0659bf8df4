package parquet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	parquetgo "github.com/parquet-go/parquet-go"

	"github.com/adoptionlabs/etl/atomicfile"
	"github.com/adoptionlabs/etl/schemas"
)

// A table without rows still holds one file. Readers glob
// <table>/**/*.parquet, and DuckDB, Polars, Spark and ClickHouse's file()
// all fail on a glob that matches nothing ("No files found"), which would
// break every view over a table that has no rows yet: etl_rejects after a
// run that rejected nothing, a stream whose source returned nothing. So a
// table with no other file holds schemaOnlyName: the table's schema and no
// row group, in the partition of Unix time 0 (dt=1970-01-01, or a merge
// table's <partition>_month=1970-01, so that hive partitioning finds the
// table's own key; an unpartitioned table's directory), which adds no row
// and no partition value to any query. It is written when a load of the
// table begins and the table has no file, removed by the commit that
// brings the table's first part file, and written again by a commit that
// takes the last one away.
const (
	// schemaOnlyName does not start with "part-", so no stream's commit
	// takes it for its own, nor with "_" or ".", which Spark and pyarrow
	// skip when they list a directory.
	schemaOnlyName = "schema-only.parquet"
	// schemaOnlyStaging is where the file is written before it is renamed
	// in; under .staging, so New deletes what a crash left. fileSafe never
	// writes "~s", so no load's run directory has this name.
	schemaOnlyStaging = "~schema-only"
)

// settleEmpty makes the table's schema-only file exist exactly when the
// table has no other Parquet file, with the table's current schema. The
// caller holds the table's commit lock.
func (s *Sink) settleEmpty(t *schemas.Table) error {
	tableDir := filepath.Join(s.dir, t.Name)
	if _, err := os.Stat(tableDir); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(tableDir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := syncDir(s.dir); err != nil {
			return err
		}
	}
	hasData, err := hasPartFiles(tableDir)
	if err != nil {
		return err
	}
	partPath := filepath.Join(tableDir, layoutOf(t).dir(emptyPart))
	path := filepath.Join(partPath, schemaOnlyName)
	if hasData {
		switch err := os.Remove(path); {
		case errors.Is(err, os.ErrNotExist):
			return nil
		case err != nil:
			return err
		}
		if partPath == tableDir {
			return syncDir(tableDir)
		}
		if err := os.Remove(partPath); err == nil { // fails, as wanted, when the partition has rows
			return syncDir(tableDir)
		}
		return syncDir(partPath)
	}
	if current, err := schemaOnlyIsCurrent(path, t); err != nil || current {
		return err
	}
	return s.writeSchemaOnly(t, tableDir)
}

// hasPartFiles reports whether the table holds a Parquet file other than
// the schema-only one, in its directory or a partition of it. Empty
// partitions are removed, so the first one read usually answers.
func hasPartFiles(tableDir string) (bool, error) {
	files, err := tableFiles(tableDir, true)
	return len(files) > 0, err
}

// tableFiles lists the Parquet files of a table: in its directory and in
// its partition directories (key=value), what a reader globbing
// <table>/**/*.parquet finds, sorted; with first, only the first one that
// is not the schema-only file.
func tableFiles(tableDir string, first bool) ([]string, error) {
	entries, err := os.ReadDir(tableDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch {
		case e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".parquet"):
			if first && isSchemaOnly(e.Name()) {
				continue
			}
			out = append(out, filepath.Join(tableDir, e.Name()))
		case e.IsDir() && isPartitionDir(e.Name()):
			files, err := os.ReadDir(filepath.Join(tableDir, e.Name()))
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				if f.Type().IsRegular() && strings.HasSuffix(f.Name(), ".parquet") && !(first && isSchemaOnly(f.Name())) {
					out = append(out, filepath.Join(tableDir, e.Name(), f.Name()))
				}
			}
		}
		if first && len(out) > 0 {
			return out[:1], nil
		}
	}
	slices.Sort(out)
	return out, nil
}

// isSchemaOnly reports whether a file of a table is its schema-only file:
// part files are named part-*, so the name says it.
func isSchemaOnly(fileName string) bool { return fileName == schemaOnlyName }

// schemaOnlyIsCurrent reports whether path is a schema-only file with t's
// schema; a file written before a column was added is not.
func schemaOnlyIsCurrent(path string, t *schemas.Table) (bool, error) {
	f, pf, err := openParquet(path, parquetgo.SkipPageIndex(true), parquetgo.SkipBloomFilters(true))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		// Unreadable (truncated by hand, say): written again.
		return false, nil
	}
	defer f.Close()
	return pf.NumRows() == 0 && pf.Schema().String() == Schema(t).String(), nil
}

// writeSchemaOnly writes the file in staging, makes it durable and renames
// it in: a reader sees the old file or the new one, never a torn one.
func (s *Sink) writeSchemaOnly(t *schemas.Table, tableDir string) error {
	staging := filepath.Join(s.dir, stagingDir, schemaOnlyStaging, t.Name)
	defer os.RemoveAll(staging)
	part := layoutOf(t).dir(emptyPart)
	stagedPart := filepath.Join(staging, part, tableLevel)
	if part != "" {
		stagedPart = filepath.Join(staging, part)
	}
	if err := os.MkdirAll(stagedPart, 0o755); err != nil {
		return err
	}
	staged := filepath.Join(stagedPart, schemaOnlyName)
	f, err := atomicfile.Create(staged, 0o644)
	if err != nil {
		return err
	}
	cfg, err := parquetgo.NewWriterConfig(Schema(t),
		parquetgo.Compression(s.opts.Compression),
		parquetgo.CreatedBy("adoptionlabs-etl", "", ""),
		parquetgo.KeyValueMetadata("etl.table", t.Name),
		parquetgo.KeyValueMetadata("etl.schema_only", "true"),
	)
	if err != nil {
		f.Abort()
		return fmt.Errorf("configure parquet writer: %w", err)
	}
	if err := parquetgo.NewWriter(f, cfg).Close(); err != nil {
		f.Abort()
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	if err := syncDir(stagedPart); err != nil {
		return err
	}
	live := filepath.Join(tableDir, part)
	if _, err := os.Stat(live); err == nil {
		// An older schema's file, or the table's directory: one rename.
		if err := os.Rename(staged, filepath.Join(live, schemaOnlyName)); err != nil {
			return err
		}
		return syncDir(live)
	}
	if err := os.Rename(stagedPart, live); err != nil {
		return err
	}
	return syncDir(tableDir)
}

// ensureTable settles the table once per Sink, when the first load of the
// table begins: a merge table's files in the layout of an earlier release
// are converted (migrate.go), and the schema-only file is settled, so that
// a table whose loads all fail or bring nothing can still be queried.
// Later changes come only from this Sink's commits (it holds the
// directory's lock), and Swap settles those.
func (s *Sink) ensureTable(ctx context.Context, t *schemas.Table) error {
	s.mu.Lock()
	done := s.settled[t.Name]
	s.mu.Unlock()
	if done {
		return nil
	}
	mu := s.tableMu(t.Name)
	mu.Lock()
	defer mu.Unlock()
	if err := s.migrateLocked(ctx, t); err != nil {
		return err
	}
	if err := s.settleEmpty(t); err != nil {
		return fmt.Errorf("table %s: write its schema-only file %s: %w", t.Name, filepath.Join(layoutOf(t).dir(emptyPart), schemaOnlyName), err)
	}
	s.mu.Lock()
	s.settled[t.Name] = true
	s.mu.Unlock()
	return nil
}
