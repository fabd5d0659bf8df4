package clickhouse

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// Begin ensures the table exists with every declared column, then returns a
// writer that inserts into a staging table; nothing is visible before the
// window's swap (load.CommitWindow), whatever the disposition.
func (s *Sink) Begin(ctx context.Context, t *schemas.Table, w window.Window, stream, runID string) (load.Writer, error) {
	if err := s.Ensure(ctx, t); err != nil {
		return nil, err
	}
	if s.cluster != nil {
		return s.beginCluster(ctx, t, w, stream)
	}
	wr := &writer{sink: s, table: t, window: w, stream: stream, target: StorageTable(t)}
	wr.staging = stagingName(t.Name)
	wr.stager = newStager(s, t, wr.staging, nil)
	if err := s.exec(ctx, stagingDDL(s.qualified(wr.staging), s.qualified(wr.target), "")); err != nil {
		return nil, fmt.Errorf("create staging table for %s: %w", t.Name, err)
	}
	return wr, nil
}

type writerState int

const (
	writing writerState = iota
	prepared
	done
)

type writer struct {
	sink    *Sink
	table   *schemas.Table
	window  window.Window
	stream  string
	target  string
	staging string
	// stager sends the written rows to staging; nil for the per-shard
	// writers of a cluster load, whose rows come through the Distributed
	// staging table.
	stager *stager
	state  writerState
	// lock is the target's lock, held from Prepare to Swap or Abort: the
	// partitions Prepare rebuilt from live rows must not change before
	// they are swapped in.
	lock  *sync.Mutex
	swaps []partitionSwap
	// sealed: Seal closed the INSERT; nothing more may be written.
	sealed bool
	// staged is what a sealed merge load read of its own staging, for
	// Prepare (nothing else writes there).
	staged *stagedPartitions
	// rebuilt, for merge tables, holds the partitions Prepare rebuilt from
	// the live and the staged rows; Swap moves them from there.
	rebuilt string
	// whole: the load replaces all of its stream's rejects (snapshot streams).
	whole bool
	// rebuildEngine, on a cluster, is the engine of the table a merge load
	// rebuilds partitions in: CREATE TABLE ... AS a Replicated target would
	// copy its ZooKeeper path and join the live table as a replica.
	rebuildEngine string
}

// ReplaceWholeStream implements load.WholeStream.
func (w *writer) ReplaceWholeStream() { w.whole = true }

var _ load.Staged = (*writer)(nil)

func (w *writer) Write(ctx context.Context, rec arrow.Record) error {
	if w.state != writing || w.sealed {
		return fmt.Errorf("write to %s after its load was sealed, prepared or finished", w.table.Name)
	}
	return w.stager.write(ctx, rec)
}

// flush waits until every row written so far is in staging.
func (w *writer) flush() error {
	if w.stager == nil {
		return nil
	}
	return w.stager.flush()
}

// stagedPartitions is what a merge load reads of its staging table: its
// partitions, and those with one row per key.
type stagedPartitions struct {
	parts []string
	asIs  map[string]bool
}

var _ load.Sealer = (*writer)(nil)

// Seal implements load.Sealer: it closes the open INSERT, waiting until
// the server holds every row, and for a merge table reads what Prepare
// needs of staging, which no other load touches, so no lock is needed yet.
func (w *writer) Seal(ctx context.Context) error {
	if w.state != writing || w.sealed {
		return nil
	}
	w.sealed = true
	if err := w.flush(); err != nil {
		return fmt.Errorf("stage %s window %s: %w", w.table.Name, w.window, err)
	}
	if w.table.Disposition == schemas.Merge && !w.isRejects() {
		staged, err := w.stagedPartitions(ctx)
		if err != nil {
			return fmt.Errorf("stage %s window %s: %w", w.table.Name, w.window, err)
		}
		w.staged = staged
	}
	return nil
}

func (w *writer) isRejects() bool {
	return w.table == schemas.Rejects || w.table.Name == schemas.Rejects.Name
}

func (w *writer) stagedPartitions(ctx context.Context) (*stagedPartitions, error) {
	if w.staged != nil {
		return w.staged, nil
	}
	parts, err := w.sink.partitions(ctx, w.staging)
	if err != nil {
		return nil, err
	}
	asIs := map[string]bool{}
	if len(parts) > 0 {
		if asIs, err = w.oneRowPerKey(ctx); err != nil {
			return nil, err
		}
	}
	return &stagedPartitions{parts: parts, asIs: asIs}, nil
}

// Commit prepares and swaps this table alone.
func (w *writer) Commit(ctx context.Context) error {
	if w.state == done {
		return nil
	}
	if err := w.Prepare(ctx); err != nil {
		_ = w.Abort(ctx)
		return err
	}
	return w.Swap(ctx)
}

// Prepare makes the staging table hold, for every partition the load
// replaces, exactly what that partition must hold afterwards. Everything
// that writes data happens here; Swap only moves partitions.
func (w *writer) Prepare(ctx context.Context) error {
	if w.state != writing {
		return fmt.Errorf("prepare %s: the load was already prepared or finished", w.table.Name)
	}
	w.state = prepared
	if err := w.flush(); err != nil {
		return fmt.Errorf("stage %s window %s: %w", w.table.Name, w.window, err)
	}
	w.lock = w.sink.tableLock(w.target)
	w.lock.Lock()
	if w.sink.failPrepare != nil {
		if err := w.sink.failPrepare(w.table.Name); err != nil {
			return err
		}
	}
	var err error
	switch {
	case w.isRejects():
		err = w.prepareRejects(ctx)
	case w.table.Disposition == schemas.ReplaceAll:
		err = w.addSwap(ctx, "tuple()", "tuple()")
	case w.table.Disposition == schemas.ReplaceWindow:
		err = w.prepareWindow(ctx)
	case w.table.Disposition == schemas.Merge:
		err = w.prepareMerge(ctx)
	}
	if err != nil {
		return fmt.Errorf("stage %s window %s: %w", w.table.Name, w.window, err)
	}
	return nil
}

// Swap moves every prepared partition into the target, then drops staging.
// Each REPLACE PARTITION is atomic; the window's tables follow one another.
func (w *writer) Swap(ctx context.Context) error {
	if w.state == done {
		return nil
	}
	if w.state != prepared {
		return fmt.Errorf("swap %s: the load was not prepared", w.table.Name)
	}
	defer w.finish()
	for i, sw := range w.swaps {
		if err := w.sink.swapPartition(ctx, w.target, sw); err != nil {
			return fmt.Errorf("%w (%d of %d partitions of %s were swapped in)", err, i, len(w.swaps), w.table.Name)
		}
	}
	return nil
}

// Abort drops staging and releases the table; a no-op after Swap.
func (w *writer) Abort(ctx context.Context) error {
	if w.state == done {
		return nil
	}
	w.state = done
	if w.stager != nil {
		w.stager.discard()
	}
	if w.lock != nil {
		w.lock.Unlock()
		w.lock = nil
	}
	return w.dropStaging(ctx)
}

func (w *writer) dropStaging(ctx context.Context) error {
	for _, n := range []string{w.staging, w.rebuilt} {
		if n == "" {
			continue
		}
		if err := w.sink.exec(ctx, dropTable(w.sink.qualified(n))); err != nil {
			return fmt.Errorf("drop staging table %s: %w", n, err)
		}
	}
	return nil
}

func (w *writer) finish() {
	w.state = done
	if w.lock != nil {
		w.lock.Unlock()
		w.lock = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.dropStaging(ctx); err != nil {
		w.sink.opts.Logger.Warn("could not drop a staging table", "table", w.table.Name, "err", err)
	}
}
