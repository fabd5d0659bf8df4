package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/transform"
)

// tableLoad is one table's batcher and sink writer within a run.
type tableLoad struct {
	mu      sync.Mutex
	table   *schemas.Table
	batch   *transform.Batcher
	writer  load.Writer
	rows    int64
	rejects int64
	outside int64

	// A full batch goes to the sink on the table's own goroutine while the
	// extractor fills the next one, so fetching and decoding overlap the
	// insert or the Parquet encoding. The channel is unbuffered: at most one
	// batch is being written and one built per table (memory stays bounded),
	// and batches reach the sink in the order they were cut.
	pending   chan arrow.Record
	written   chan struct{}
	drainOnce sync.Once
	werrMu    sync.Mutex
	werr      error

	// Rows given by layout are coerced and appended on the table's own
	// goroutine (build), in blocks, while the extractor goes on decoding
	// and placing the next rows: the Arrow building of a busy stream then
	// overlaps its extraction instead of following it on one core. fillMu
	// guards the block being filled; the builder takes mu per block, as the
	// map rows' path does per row. At most buildAhead blocks wait, which
	// bounds memory (and the page text their strings keep alive).
	fillMu    sync.Mutex
	filling   *rowBlock
	blocks    chan *rowBlock
	built     chan struct{}
	buildOnce sync.Once
	// Built blocks come back for reuse: a fresh block per 256 rows was a
	// large share of a backfill's allocations.
	spare chan *rowBlock
}

// writeLoop writes what flush hands over until pending is closed. After a
// failed write it only releases what still comes, so flush never blocks on
// a dead writer; the error surfaces at the next flush or at commit.
func (e *emitter) writeLoop(ctx context.Context, tl *tableLoad) {
	defer close(tl.written)
	for rec := range tl.pending {
		if tl.writeErr() == nil {
			if err := tl.writer.Write(ctx, rec); err != nil {
				tl.werrMu.Lock()
				tl.werr = fmt.Errorf("%s: write %d rows to %s: %w", e.r.opts.Sink.Name(), rec.NumRows(), tl.table.Name, err)
				tl.werrMu.Unlock()
			}
		}
		rec.Release()
	}
}

func (tl *tableLoad) writeErr() error {
	tl.werrMu.Lock()
	defer tl.werrMu.Unlock()
	return tl.werr
}

// drain waits until every batch handed over is written (or dropped after a
// failure) and returns the first write error. Safe to call more than once.
func (tl *tableLoad) drain() error {
	tl.drainOnce.Do(func() { close(tl.pending) })
	<-tl.written
	return tl.writeErr()
}

// flushIfFull hands a full batch to the sink; called with tl.mu held so the
// extractor waits while the sink catches up (memory stays bounded).
func (e *emitter) flushIfFull(ctx context.Context, tl *tableLoad) error {
	if !tl.batch.Full() {
		return nil
	}
	return e.flush(ctx, tl)
}

// flush hands the waiting rows to the table's writer goroutine; it blocks
// while the previous batch is still being written, which is what bounds
// memory. It returns an earlier batch's write error, if any.
func (e *emitter) flush(ctx context.Context, tl *tableLoad) error {
	if err := tl.writeErr(); err != nil {
		return err
	}
	rec := tl.batch.Flush()
	if rec == nil {
		return nil
	}
	select {
	case tl.pending <- rec:
	case <-ctx.Done():
		rec.Release()
		return ctx.Err()
	}
	return tl.writeErr()
}
