// Package load defines what a destination must do to receive Arrow batches
// of one table for one window and make them visible atomically.
package load

import (
	"context"
	"fmt"
	"sync"
	"time"

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
	// Name is the sink's registered kind (load.Kind.Name).
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

// Staged is a Writer whose commit splits in two, so that the tables of one
// window become visible together (CommitWindow). Prepare does everything
// that can fail for lack of space or a server error: files finished and
// synced, staging tables complete, the live rows a partition keeps copied.
// Swap only exchanges what Prepare built (renames, REPLACE PARTITION), is
// short, and once it started it finishes whatever the context says.
// A prepared writer may hold the table's lock until Swap or Abort, so the
// engine prepares a window's tables in one fixed order.
type Staged interface {
	Writer
	Prepare(ctx context.Context) error
	Swap(ctx context.Context) error
}

// Sealer is a Staged writer with commit work that needs neither its
// table's lock nor the other tables: sending the rows still buffered,
// finishing files, checks on its own staging. CommitWindow seals a window's
// writers concurrently before it prepares them one by one in their fixed
// order, so that this work overlaps across tables (two tables' last INSERT
// blocks and staging checks would otherwise wait one after the other at the
// end of every window). Nothing may be written after Seal.
type Sealer interface {
	Seal(ctx context.Context) error
}

// TableWriter is one table's writer within a window.
type TableWriter struct {
	Table  string
	Writer Writer
}

// CommitWindow makes the loads of one window visible together: every writer
// is prepared before the first swap, so a failure while staging leaves
// nothing of the window visible. committed lists the tables swapped in: all
// of them on success; on an error after the first swap (a server that went
// away mid-swap) the ones already visible, which the caller must name.
// Writers that are not Staged commit in the swap phase.
func CommitWindow(ctx context.Context, ws []TableWriter) (committed []string, err error) {
	if err := seal(ctx, ws); err != nil {
		return nil, err
	}
	for _, tw := range ws {
		if st, ok := tw.Writer.(Staged); ok {
			if err := st.Prepare(ctx); err != nil {
				return nil, fmt.Errorf("stage %s: %w", tw.Table, err)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// From here on a cancelled context must not leave half a window: the
	// swaps run on their own deadline.
	swapCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	// The tables swap side by side: each swap is a few statements or
	// renames and a sync that wait on the server or the disk, which one
	// after the other would lengthen every window's serial end. Readers see
	// the tables change within the same moment instead.
	errs := sideBySide(len(ws), func(i int) error {
		if st, ok := ws[i].Writer.(Staged); ok {
			return st.Swap(swapCtx)
		}
		return ws[i].Writer.Commit(swapCtx)
	})
	for i, tw := range ws {
		if errs[i] == nil {
			committed = append(committed, tw.Table)
		}
	}
	for i, tw := range ws {
		if errs[i] != nil {
			return committed, fmt.Errorf("swap in %s: %w", tw.Table, errs[i])
		}
	}
	return committed, nil
}

// seal seals the window's Sealers concurrently; with one or none there is
// nothing to overlap, and Prepare does the same work.
func seal(ctx context.Context, ws []TableWriter) error {
	var sealers []int
	for i, tw := range ws {
		if _, ok := tw.Writer.(Sealer); ok {
			sealers = append(sealers, i)
		}
	}
	if len(sealers) < 2 {
		return nil
	}
	errs := sideBySide(len(sealers), func(k int) error {
		return ws[sealers[k]].Writer.(Sealer).Seal(ctx)
	})
	for k, err := range errs {
		if err != nil {
			return fmt.Errorf("stage %s: %w", ws[sealers[k]].Table, err)
		}
	}
	return nil
}

// sideBySide runs fn(0) ... fn(n-1) each on its own goroutine and returns
// their errors by index once all have returned.
func sideBySide(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}

// WholeStream is implemented by the writers of etl_rejects, which every
// stream shares. By default a load replaces its stream's rejects over the
// days of its window; a snapshot stream reloads everything whatever the
// window, so the engine calls ReplaceWholeStream before the first Write and
// the load replaces all of its stream's rejects.
type WholeStream interface {
	ReplaceWholeStream()
}

// StagingCleaner is a sink that can leave staging behind when a run is
// killed (ClickHouse's _stg_ tables): the next run, holding the run lock,
// drops what is left.
type StagingCleaner interface {
	DropStaleStaging(ctx context.Context) (int, error)
}
