package main

import (
	"github.com/adoptionlabs/etl/load/clickhouse"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
)

// The sink kinds the end-to-end tests load into, by the names their
// packages register: the CLI itself names no sink.
const (
	chSink = clickhouse.Kind
	pqSink = pqsink.Kind
)
