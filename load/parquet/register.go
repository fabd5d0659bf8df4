package parquet

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/adoptionlabs/etl/load"
)

// Kind is the name `--sink` uses.
const Kind = "parquet"

// StateDir is the directory under the output directory that keeps its
// watermarks, backfill plans and run lock. No table may take its name, and
// a reader globbing <table>/dt=*/*.parquet or **/*.parquet finds no
// Parquet file in it; lake engines (Spark, Hive, Trino) also skip a path
// that starts with an underscore.
const StateDir = "_etl"

func absDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("parquet directory %s: %w", dir, err)
	}
	return filepath.Clean(abs), nil
}

func init() {
	load.Register(load.Kind{
		Name: Kind,
		Check: func(t load.Target) error {
			_, err := Codec(t.Compression)
			return err
		},
		// The directory's absolute path: the same range into another
		// directory is another backfill plan, with watermarks of its own.
		Destination: func(t load.Target) (string, error) {
			abs, err := absDir(t.Dir)
			if err != nil {
				return "", err
			}
			return "parquet:" + abs, nil
		},
		StateDir: func(t load.Target) (string, error) {
			abs, err := absDir(t.Dir)
			if err != nil {
				return "", err
			}
			return filepath.Join(abs, StateDir), nil
		},
		Place: func(t load.Target) string { return "Parquet under " + t.Dir },
		Open: func(_ context.Context, t load.Target) (load.Sink, error) {
			codec, err := Codec(t.Compression)
			if err != nil {
				return nil, err
			}
			s, err := New(t.Dir, Options{Logger: t.Logger, Compression: codec})
			if err != nil {
				return nil, fmt.Errorf("parquet sink at %s: %w", t.Dir, err)
			}
			return s, nil
		},
		// Reads the files as they are, without the directory's lock.
		CountRows: func(_ context.Context, t load.Target, table string) (int64, error) { return CountRows(t.Dir, table) },
	})
}
