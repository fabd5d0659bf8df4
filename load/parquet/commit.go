package parquet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
)

// Commit implements load.Writer: Prepare then Swap for this table alone.
func (w *Writer) Commit(ctx context.Context) error {
	w.mu.Lock()
	st := w.state
	w.mu.Unlock()
	if st == committed {
		return nil
	}
	if err := w.Prepare(ctx); err != nil {
		_ = w.Abort(ctx)
		return err
	}
	return w.Swap(ctx)
}

var _ load.Sealer = (*Writer)(nil)

// Seal implements load.Sealer: it finishes every staged file (last pages,
// footer, fsync unless Prepare syncs them all at once, final name) without
// the table's commit lock, so that the tables of a window finish theirs at
// the same time.
func (w *Writer) Seal(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != writing {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w.sealed = true
	if err := w.finishAll(); err != nil {
		w.state = failed
		return fmt.Errorf("table %s stream %s window %s: stage: %w", w.table.Name, w.stream, w.window, err)
	}
	return nil
}

// Prepare implements load.Staged: it finishes and syncs every staged file
// and builds, for each day the load replaces, the complete new day
// directory (the other streams' files linked, this load's files moved in),
// synced. Only renames are left for Swap. It holds the table's commit lock
// until Swap or Abort, so the live days it read stay as they were.
func (w *Writer) Prepare(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case writing:
	default:
		return fmt.Errorf("table %s stream %s window %s: Prepare after the load was %s", w.table.Name, w.stream, w.window, w.state)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w.lock = w.sink.tableMu(w.table.Name)
	w.lock.Lock()
	w.state = prepared
	if err := w.prepare(ctx); err != nil {
		w.state = failed
		return fmt.Errorf("table %s stream %s window %s: stage: %w", w.table.Name, w.stream, w.window, err)
	}
	return nil
}

func (w *Writer) prepare(ctx context.Context) error {
	if err := w.finishAll(); err != nil {
		return err
	}
	if w.merge {
		// The partitions this load's keys live in: those it wrote files
		// of. A load without rows touches none.
		for _, part := range slices.Sorted(maps.Keys(w.seq)) {
			st, err := w.mergePartition(ctx, part)
			if err != nil {
				return err
			}
			w.stages = append(w.stages, st)
		}
	} else {
		days, err := w.daysToReplace(ctx)
		if err != nil {
			return err
		}
		if w.keys != nil {
			// Rejects seen again that live on their window's day (their row
			// has none): their earlier copies on days outside the window go,
			// so that such a reject is one row whatever windows saw it.
			more, err := w.dropSeenAgain(ctx, days)
			if err != nil {
				return err
			}
			days = append(days, more...)
			slices.Sort(days)
		}
		if w.stages, err = w.prepareDays(ctx, days); err != nil {
			return err
		}
	}
	// Durable (a local disk), or uploaded (an object store): Swap only
	// exchanges.
	return w.store.ready(ctx, w.table.Name, w.stages, w.dirs())
}

// prepareDayWorkers prepare the days of a load side by side: each day is
// two directory reads and an fsync of its directory, which on a disk wait
// more than they compute (a 125-day backfill: 16 ms a table one by one).
const prepareDayWorkers = 4

// prepareDays stages each day independently and returns the stages of the
// days this stream had or has files in, in the order of days; the first
// error in that order wins.
func (w *Writer) prepareDays(ctx context.Context, days []int32) ([]partStage, error) {
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = w.layout.dir(d)
	}
	lives, err := w.store.lists(ctx, w.table.Name, names)
	if err != nil {
		return nil, err
	}
	stages := make([]partStage, len(days))
	errs := make([]error, len(days))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(prepareDayWorkers, len(days)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				stages[i], errs[i] = w.prepareDay(days[i], lives[names[i]])
			}
		}()
	}
	for i := range days {
		next <- i
	}
	close(next)
	wg.Wait()
	var out []partStage
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("stage day %s: %w", dayString(days[i]), err)
		}
		if stages[i] != nil {
			out = append(out, stages[i])
		}
	}
	return out, nil
}

// Swap implements load.Staged: it swaps the prepared partitions in and
// makes that durable. Once started it does not look at ctx: a window half
// replaced is worse than a commit that took a moment longer.
func (w *Writer) Swap(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case committed:
		return nil
	case prepared:
	default:
		return fmt.Errorf("table %s stream %s window %s: Swap after the load was %s", w.table.Name, w.stream, w.window, w.state)
	}
	defer w.unlock()
	swapped, err := w.store.swap(ctx, w.stages, func(err error) {
		w.log.Warn("parquet: could not delete a replaced partition", "err", err)
	})
	if err != nil {
		w.state = failed
		what := "day"
		if w.merge {
			what = "partition"
		}
		return fmt.Errorf("table %s stream %s window %s: replace the %ss (%d of %d are already replaced; rerun the window): %w",
			w.table.Name, w.stream, w.window, what, swapped, len(w.stages), err)
	}
	emptied := 0
	for _, st := range w.stages {
		if !st.staged() {
			emptied++
		}
	}
	if swapped > 0 {
		// The commit is durable and stands: a schema-only file that could
		// not follow only costs readers of an empty table their glob.
		if err := w.sink.settleEmpty(ctx, w.table); err != nil {
			w.log.Warn("parquet: could not settle the table's schema-only file: a reader's glob over the table may find no file until the next load of it",
				"file", w.store.location(w.table.Name, w.layout.dir(emptyPart), schemaOnlyName), "err", err)
		}
	}
	_ = os.RemoveAll(w.trash)
	w.state = committed
	if err := os.RemoveAll(w.staging); err != nil {
		w.log.Warn("parquet: could not delete the staging directory of a committed load", "dir", w.staging, "err", err)
	}
	var both []any
	if window, afterAdds, ok := w.bothParts(); ok {
		// How long a reader could see the replaced files beside the new
		// ones (an object store has no atomic swap).
		both = []any{"both_parts_ms", window.Milliseconds(), "both_parts_after_uploads_ms", afterAdds.Milliseconds()}
	}
	switch {
	case w.merge && w.rows > 0:
		m := w.merged
		w.log.Info("parquet: committed", append([]any{"rows", w.rows, "files", w.files, "partitions", m.partitions, "files_kept", m.filesKept,
			"rows_copied", m.rowsCopied, "rows_replaced", m.dropped, "bytes_written", m.bytes,
			"peak_open_files", w.peakOpen, "peak_buffered_bytes", w.peakBuffered}, both...)...)
	case !w.merge && (w.rows > 0 || swapped > 0): // a load that wrote and replaced nothing (no rejects) is not news
		w.log.Info("parquet: committed", append([]any{"rows", w.rows, "files", w.files, "days_replaced", swapped, "days_emptied", emptied,
			"peak_open_files", w.peakOpen, "peak_buffered_bytes", w.peakBuffered}, both...)...)
	}
	return nil
}

// MergeStats reports what a committed merge load did to its partitions:
// the partitions it rewrote, the rows it copied into new files and the
// bytes of those files (its own rows included).
func (w *Writer) MergeStats() (partitions int, rowsCopied, bytesWritten int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.merged.partitions, w.merged.rowsCopied, w.merged.bytes
}

func (w *Writer) unlock() {
	if w.lock != nil {
		w.lock.Unlock()
		w.lock = nil
	}
}

// daysToReplace lists the days whose files of this stream the load
// replaces: every day of the window (days without new rows lose their old
// files too), or for ReplaceAll every live day plus the load day.
func (w *Writer) daysToReplace(ctx context.Context) ([]int32, error) {
	if w.table.Disposition != schemas.ReplaceAll && !w.whole {
		days := make([]int32, 0, w.endDay-w.firstDay)
		for d := w.firstDay; d < w.endDay; d++ {
			days = append(days, d)
		}
		return days, nil
	}
	parts, err := w.store.partitions(ctx, w.table.Name)
	if err != nil {
		return nil, err
	}
	own := []int32{w.loadDay}
	if w.whole {
		own = own[:0]
		for d := w.firstDay; d < w.endDay; d++ {
			own = append(own, d)
		}
	}
	days := append([]int32(nil), own...)
	for _, name := range parts {
		if d, ok := w.layout.parse(name); ok && !slices.Contains(own, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	return days, nil
}

// prepareDay stages the new set of files of one day: the other streams'
// files kept, this load's files in. The new day is complete before it
// becomes visible: a reader listing dt=*/*.parquet sees the old set of
// files or the new one, never a mix. A nil stage means this stream has
// nothing there, before or after.
func (w *Writer) prepareDay(day int32, live []partEntry) (partStage, error) {
	name := w.layout.dir(day)
	newDir := w.scratch(day)
	newEntries, err := os.ReadDir(newDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var kept []partEntry
	ours := 0
	for _, e := range live {
		if strings.HasPrefix(e.name, w.filePrefix) {
			ours++
		} else {
			kept = append(kept, e)
		}
	}
	added := slices.ContainsFunc(newEntries, func(e os.DirEntry) bool { return isParquet(e.Name()) })
	if ours == 0 && !added {
		return nil, nil
	}
	st := w.store.stage(w.table.Name, name, live, w.dirs())
	// The load's files first: with no other stream's files there, its
	// scratch directory is the new day as it stands.
	if err := st.adoptDir(newDir); err != nil {
		return nil, err
	}
	for _, e := range kept {
		if !e.regular {
			return nil, fmt.Errorf("%s holds %s, which is not a regular file: the day directory may only hold Parquet files", w.store.location(w.table.Name, name, ""), e.name)
		}
		if err := st.keep(e.name); err != nil {
			return nil, err
		}
	}
	return st, st.ready()
}
