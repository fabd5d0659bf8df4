package parquet

import (
	"bytes"
	"context"
	"fmt"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

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
//
// schemaOnlyName does not start with "part-", so no stream's commit takes
// it for its own, nor with "_" or ".", which Spark and pyarrow skip when
// they list a directory.
const schemaOnlyName = "schema-only.parquet"

// settleEmpty makes the table's schema-only file exist exactly when the
// table has no other Parquet file, with the table's current schema. The
// caller holds the table's commit lock.
func (s *Sink) settleEmpty(ctx context.Context, t *schemas.Table) error {
	part := layoutOf(t).dir(emptyPart)
	files, err := s.store.files(ctx, t.Name, true)
	if err != nil {
		return err
	}
	if len(files) > 0 {
		return s.store.remove(ctx, t.Name, part, schemaOnlyName)
	}
	if current, err := s.schemaOnlyIsCurrent(ctx, t, part); err != nil || current {
		return err
	}
	body, err := schemaOnlyFile(t, s.opts.Compression)
	if err != nil {
		return err
	}
	return s.store.put(ctx, t.Name, part, schemaOnlyName, body)
}

// isSchemaOnly reports whether a file of a table is its schema-only file:
// part files are named part-*, so the name says it.
func isSchemaOnly(fileName string) bool { return fileName == schemaOnlyName }

// schemaOnlyIsCurrent reports whether the table has a schema-only file with
// t's schema; a file written before a column was added is not.
func (s *Sink) schemaOnlyIsCurrent(ctx context.Context, t *schemas.Table, part string) (bool, error) {
	r, err := s.store.open(ctx, t.Name, part, schemaOnlyName, loadDirs{})
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer r.Close()
	pf, err := parquetgo.OpenFile(r, r.Size(), parquetgo.SkipPageIndex(true), parquetgo.SkipBloomFilters(true))
	if err != nil {
		// Unreadable (truncated by hand, say): written again.
		return false, nil
	}
	return pf.NumRows() == 0 && pf.Schema().String() == Schema(t).String(), nil
}

// schemaOnlyFile is the table's schema-only file: its schema and no row
// group.
func schemaOnlyFile(t *schemas.Table, codec compress.Codec) ([]byte, error) {
	var b bytes.Buffer
	cfg, err := parquetgo.NewWriterConfig(Schema(t),
		parquetgo.Compression(codec),
		parquetgo.CreatedBy("adoptionlabs-etl", "", ""),
		parquetgo.KeyValueMetadata("etl.table", t.Name),
		parquetgo.KeyValueMetadata("etl.schema_only", "true"),
	)
	if err != nil {
		return nil, fmt.Errorf("configure parquet writer: %w", err)
	}
	if err := parquetgo.NewWriter(&b, cfg).Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
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
	if err := s.settleEmpty(ctx, t); err != nil {
		return fmt.Errorf("table %s: write its schema-only file %s: %w", t.Name, s.store.location(t.Name, layoutOf(t).dir(emptyPart), schemaOnlyName), err)
	}
	s.mu.Lock()
	s.settled[t.Name] = true
	s.mu.Unlock()
	return nil
}
