package parquet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	parquetgo "github.com/parquet-go/parquet-go"
)

// ListFiles returns the live Parquet files of a table, sorted: exactly what
// a reader globbing <dir>/<table>/dt=*/*.parquet sees: a table without
// rows has its schema-only file (empty.go). A table never loaded has none.
func ListFiles(dir, table string) ([]string, error) {
	tableDir := filepath.Join(dir, table)
	days, err := os.ReadDir(tableDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list table %s: %w", table, err)
	}
	var files []string
	for _, d := range days {
		if !d.IsDir() || !strings.HasPrefix(d.Name(), "dt=") {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(tableDir, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("list table %s: %w", table, err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".parquet") {
				files = append(files, filepath.Join(tableDir, d.Name(), e.Name()))
			}
		}
	}
	slices.Sort(files)
	return files, nil
}

// CountRows adds up the row counts in the footers of a table's files.
func CountRows(dir, table string) (int64, error) {
	byDay, err := RowsByDay(dir, table)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, rows := range byDay {
		n += rows
	}
	return n, nil
}

// RowsByDay returns the rows of each dt= day ("2026-01-02") of a table, read
// from the file footers.
func RowsByDay(dir, table string) (map[string]int64, error) {
	files, err := ListFiles(dir, table)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, path := range files {
		if isSchemaOnly(filepath.Base(filepath.Dir(path)), filepath.Base(path)) {
			continue // no rows, and its day is none of the table's
		}
		n, err := fileRows(path)
		if err != nil {
			return nil, err
		}
		out[strings.TrimPrefix(filepath.Base(filepath.Dir(path)), "dt=")] += n
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
