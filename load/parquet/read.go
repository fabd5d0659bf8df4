package parquet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	parquetgo "github.com/parquet-go/parquet-go"
)

// ListFiles returns the live Parquet files of a table, sorted: exactly what
// a reader globbing <dir>/<table>/**/*.parquet sees (a table without rows
// has its schema-only file, empty.go). A table never loaded has none.
func ListFiles(dir, table string) ([]string, error) {
	files, err := tableFiles(filepath.Join(dir, table), false)
	if err != nil {
		return nil, fmt.Errorf("list table %s: %w", table, err)
	}
	return files, nil
}

// CountRows adds up the row counts in the footers of a table's files.
func CountRows(dir, table string) (int64, error) {
	byPart, err := RowsByPartition(dir, table)
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
// from the file footers.
func RowsByPartition(dir, table string) (map[string]int64, error) {
	files, err := ListFiles(dir, table)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, path := range files {
		if isSchemaOnly(filepath.Base(path)) {
			continue // no rows, and its partition is none of the table's
		}
		n, err := fileRows(path)
		if err != nil {
			return nil, err
		}
		part := ""
		if d := filepath.Base(filepath.Dir(path)); isPartitionDir(d) {
			_, part, _ = strings.Cut(d, "=")
		}
		out[part] += n
	}
	return out, nil
}

func fileRows(path string) (int64, error) {
	f, pf, err := openParquet(path, parquetgo.SkipPageIndex(true), parquetgo.SkipBloomFilters(true))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return pf.NumRows(), nil
}

// openParquet opens a Parquet file for reading; the caller closes f.
func openParquet(path string, opts ...parquetgo.FileOption) (*os.File, *parquetgo.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	pf, err := parquetgo.OpenFile(f, st.Size(), opts...)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("read the footer of %s: %w", path, err)
	}
	return f, pf, nil
}
