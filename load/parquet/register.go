package parquet

import (
	_ "embed"

	"github.com/adoptionlabs/etl/load"
)

// Kind is the name `--sink` and pipelines.yaml's sink.type use.
const Kind = "parquet"

// StateDir is the directory under the output directory that keeps its
// watermarks, backfill plans and run lock. No table may take its name, and
// a reader globbing <table>/dt=*/*.parquet or **/*.parquet finds no
// Parquet file in it; lake engines (Spark, Hive, Trino) also skip a path
// that starts with an underscore.
const StateDir = "_etl"

// sample is the sink's block of pipelines.yaml, commented.
//
//go:embed sample.yaml
var sample []byte

func init() {
	load.Register(load.Kind{
		Name:      Kind,
		Title:     "Parquet",
		Doc:       "Parquet files in a Hive layout that DuckDB, Spark, Trino and Athena read: the default sink.",
		NewConfig: func() load.Config { return NewConfig() },
		Sample:    sample,
		Default:   true,
	})
}
