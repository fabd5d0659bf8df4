// Package load defines what a destination must do to receive Arrow batches
// of one table for one window and make them visible atomically.
package load

import (
	"context"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Sink is a destination (Parquet files, ClickHouse).
type Sink interface {
	// Begin starts loading one window of one table for one stream. Nothing
	// written through the Writer is visible to readers before Commit.
	// stream names the writer ("userflow.content_sessions") so a table that
	// several streams write (etl_rejects) is replaced per stream.
	Begin(ctx context.Context, t *schemas.Table, w window.Window, stream, runID string) (Writer, error)
	// Name is "parquet" or "clickhouse".
	Name() string
	Close() error
}

// Writer receives the batches of one Begin.
type Writer interface {
	// Write consumes rec before returning; it does not keep a reference, so
	// the caller releases rec afterwards.
	Write(ctx context.Context, rec arrow.Record) error
	// Commit makes the window's rows visible in place of the rows the table's
	// disposition says they replace. After Commit returns nil the load is
	// durable.
	Commit(ctx context.Context) error
	// Abort discards everything written; safe to call after Commit (no-op).
	Abort(ctx context.Context) error
}
