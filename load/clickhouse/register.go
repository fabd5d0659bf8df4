package clickhouse

import (
	_ "embed"

	"github.com/adoptionlabs/etl/load"
)

// Kind is the name `--sink`, pipelines.yaml's sink.type and
// state.location use.
const Kind = "clickhouse"

// sample is the sink's block of pipelines.yaml, commented.
//
//go:embed sample.yaml
var sample []byte

func init() {
	load.Register(load.Kind{
		Name:      Kind,
		Title:     "ClickHouse",
		Doc:       "ClickHouse tables, on one server or a cluster, that dashboards query by name with a plain SELECT.",
		NewConfig: func() load.Config { return NewConfig() },
		Sample:    sample,
	})
}
