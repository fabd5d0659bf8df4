package parquet

import (
	"context"
	"fmt"
	"strings"

	parquetgo "github.com/parquet-go/parquet-go"
)

// ListFiles returns the live Parquet files of a table under out (a
// directory or s3://BUCKET/PREFIX), sorted, as paths or s3:// URLs: exactly
// what a reader globbing <out>/<table>/**/*.parquet sees (a table without
// rows has its schema-only file, empty.go). A table never loaded has none.
func ListFiles(ctx context.Context, out, table string) ([]string, error) {
	st, done, err := openStore(ctx, out)
	if err != nil {
		return nil, err
	}
	defer done()
	files, err := st.files(ctx, table, false)
	if err != nil {
		return nil, fmt.Errorf("list table %s under %s: %w", table, st.where(), err)
	}
	out2 := make([]string, len(files))
	for i, f := range files {
		out2[i] = st.location(table, f.part, f.name)
	}
	return out2, nil
}

// CountRows adds up the row counts in the footers of a table's files.
func CountRows(ctx context.Context, out, table string) (int64, error) {
	byPart, err := RowsByPartition(ctx, out, table)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, rows := range byPart {
		n += rows
	}
	return n, nil
}

// RowsByPartition returns the rows of each partition of a table, keyed by
// the partition's value ("2026-01-02" for dt=2026-01-02, "2026-11" for
// created_at_month=2026-11, "" for an unpartitioned table's files), read
// from the file footers (on S3, a ranged read of each footer).
func RowsByPartition(ctx context.Context, out, table string) (map[string]int64, error) {
	st, done, err := openStore(ctx, out)
	if err != nil {
		return nil, err
	}
	defer done()
	return rowsByPartition(ctx, st, table)
}

func rowsByPartition(ctx context.Context, st partStore, table string) (map[string]int64, error) {
	files, err := st.files(ctx, table, false)
	if err != nil {
		return nil, fmt.Errorf("list table %s under %s: %w", table, st.where(), err)
	}
	byPart := map[string]int64{}
	for _, f := range files {
		if isSchemaOnly(f.name) {
			continue // no rows, and its partition is none of the table's
		}
		n, err := fileRows(ctx, st, table, f)
		if err != nil {
			return nil, err
		}
		_, value, _ := strings.Cut(f.part, "=")
		byPart[value] += n
	}
	return byPart, nil
}

func fileRows(ctx context.Context, st partStore, table string, f tableFile) (int64, error) {
	r, err := st.open(ctx, table, f.part, f.name, loadDirs{})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	pf, err := parquetgo.OpenFile(r, r.Size(), parquetgo.SkipPageIndex(true), parquetgo.SkipBloomFilters(true))
	if err != nil {
		return 0, fmt.Errorf("read the footer of %s: %w", st.location(table, f.part, f.name), err)
	}
	return pf.NumRows(), nil
}
