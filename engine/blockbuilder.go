package engine

import (
	"bytes"
	"context"
	"fmt"

	"github.com/adoptionlabs/etl/transform"
)

// rowBlock is a run of layout rows waiting to be built; a block with done
// set is a barrier the builder closes once everything before it is built.
type rowBlock struct {
	layout *transform.Layout
	vals   []transform.Value
	raws   [][]byte
	where  []string
	// holds are the rows' Holds, each retained once per block.
	holds []Hold
	n     int
	done  chan struct{}
}

// releaseHolds lets go of the memory the block's rows pointed into, once
// they are built or dropped.
func (b *rowBlock) releaseHolds() {
	for i, h := range b.holds {
		h.Release()
		b.holds[i] = nil
	}
	b.holds = b.holds[:0]
}

const (
	blockRows  = 256
	buildAhead = 4
)

// queue copies a layout row into the table's filling block, handing the
// block to the builder when full. It returns a build error of an earlier
// block, if any.
func (e *emitter) queue(ctx context.Context, tl *tableLoad, row Row) error {
	if err := tl.writeErr(); err != nil {
		return err
	}
	width := row.Layout.Len()
	if len(row.Fields) != width {
		return fmt.Errorf("stream %s: a row of %s has %d values, its layout %d", e.stream.ID(), tl.table.Name, len(row.Fields), width)
	}
	tl.fillMu.Lock()
	defer tl.fillMu.Unlock()
	b := tl.filling
	if b != nil && b.layout != row.Layout {
		if err := e.sendBlock(ctx, tl); err != nil {
			return err
		}
		b = nil
	}
	if b == nil {
		b = tl.spareBlock(row.Layout)
		tl.filling = b
	}
	b.vals = append(b.vals, row.Fields...)
	b.where = append(b.where, row.Where)
	if h := row.Hold; h != nil && (len(b.holds) == 0 || b.holds[len(b.holds)-1] != h) {
		h.Retain()
		b.holds = append(b.holds, h)
	}
	if row.RawJSON != nil || b.raws != nil {
		if b.raws == nil {
			b.raws = make([][]byte, b.n, blockRows)
		}
		// The extractor may reuse its buffer once Emit returns.
		b.raws = append(b.raws, bytes.Clone(row.RawJSON))
	}
	b.n++
	if b.n == blockRows {
		return e.sendBlock(ctx, tl)
	}
	return nil
}

// spareBlock returns an empty block for rows of l, a built one if any is
// back; called with fillMu held.
func (tl *tableLoad) spareBlock(l *transform.Layout) *rowBlock {
	width := l.Len()
	select {
	case b := <-tl.spare:
		if cap(b.vals) >= blockRows*width {
			// The old values are overwritten, not cleared: at most
			// buildAhead+2 blocks keep their strings' pages alive.
			b.layout, b.vals, b.where, b.raws, b.n = l, b.vals[:0], b.where[:0], nil, 0
			return b
		}
	default:
	}
	return &rowBlock{layout: l, vals: make([]transform.Value, 0, blockRows*width), where: make([]string, 0, blockRows)}
}

// sendBlock hands the filling block to the builder, starting it on first
// use; called with fillMu held.
func (e *emitter) sendBlock(ctx context.Context, tl *tableLoad) error {
	b := tl.filling
	tl.filling = nil
	if b == nil {
		return nil
	}
	tl.buildOnce.Do(func() {
		tl.blocks = make(chan *rowBlock, buildAhead)
		tl.built = make(chan struct{})
		tl.spare = make(chan *rowBlock, buildAhead+1)
		// The run's context, not the caller's: an extractor may emit
		// under a context that ends before the window does (a fan-out's).
		go e.build(e.ctx, tl)
	})
	if tl.blocks == nil {
		return fmt.Errorf("stream %s emitted into %s after its window was finished", e.stream.ID(), tl.table.Name)
	}
	select {
	case tl.blocks <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// build appends the blocks of layout rows in order. A failure is kept as
// the table's write error (the extractor sees it at its next Emit, the
// commit at the latest); what comes after is dropped, as a failed write
// drops its batches.
func (e *emitter) build(ctx context.Context, tl *tableLoad) {
	defer close(tl.built)
	for b := range tl.blocks {
		if b.done != nil {
			close(b.done)
			continue
		}
		if tl.writeErr() != nil {
			b.releaseHolds()
			continue
		}
		if err := e.buildBlock(ctx, tl, b); err != nil {
			tl.werrMu.Lock()
			if tl.werr == nil {
				tl.werr = err
			}
			tl.werrMu.Unlock()
		}
		b.releaseHolds()
		// Nothing holds the block's rows now (a reject is rendered when
		// it is made), so it can be filled again.
		select {
		case tl.spare <- b:
		default:
		}
	}
}

func (e *emitter) buildBlock(ctx context.Context, tl *tableLoad, b *rowBlock) error {
	width := b.layout.Len()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for i := 0; i < b.n; i++ {
		vals := b.vals[i*width : (i+1)*width]
		row := Row{Layout: b.layout, Fields: vals, Where: b.where[i]}
		if b.raws != nil {
			row.RawJSON = b.raws[i]
		}
		if err := e.landed(ctx, tl, tl.batch.AppendFields(b.layout, vals), row); err != nil {
			return err
		}
	}
	return nil
}

// settleBuild waits until every layout row emitted so far is built, and
// returns the build error, if any. A barrier block goes through the queue,
// so the builder keeps running for the rows that come later.
func (e *emitter) settleBuild(ctx context.Context, tl *tableLoad) error {
	tl.fillMu.Lock()
	defer tl.fillMu.Unlock()
	if tl.filling == nil && tl.blocks == nil {
		return tl.writeErr()
	}
	if err := e.sendBlock(ctx, tl); err != nil {
		return err
	}
	barrier := &rowBlock{done: make(chan struct{})}
	select {
	case tl.blocks <- barrier:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-barrier.done:
	case <-tl.built:
	}
	return tl.writeErr()
}

// stopBuild ends the builder after what is queued (or drops the filling
// block when the run is over); safe to call more than once.
func (tl *tableLoad) stopBuild() {
	tl.fillMu.Lock()
	defer tl.fillMu.Unlock()
	tl.filling = nil
	tl.buildOnce.Do(func() {})
	if tl.blocks != nil {
		close(tl.blocks)
		<-tl.built
		tl.blocks = nil
	}
}
