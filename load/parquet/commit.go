package parquet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	if err := w.prepare(); err != nil {
		w.state = failed
		return fmt.Errorf("table %s stream %s window %s: stage: %w", w.table.Name, w.stream, w.window, err)
	}
	return nil
}

func (w *Writer) prepare() error {
	if err := w.finishAll(); err != nil {
		return err
	}
	tableDir := filepath.Join(w.sink.dir, w.table.Name)
	if _, err := os.Stat(tableDir); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(tableDir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := syncDir(w.sink.dir); err != nil {
			return err
		}
	}
	days, err := w.daysToReplace(tableDir)
	if err != nil {
		return err
	}
	if w.merge {
		if err := w.keepUncarried(tableDir, days); err != nil {
			return err
		}
	}
	if w.keys != nil {
		// Rejects seen again: their earlier copies on days outside the
		// window go, so that a reject is one row whatever windows saw it.
		more, err := w.dropSeenAgain(tableDir, days)
		if err != nil {
			return err
		}
		days = append(days, more...)
		slices.Sort(days)
	}
	w.tableDir = tableDir
	plans, err := w.prepareDays(tableDir, days)
	if err != nil {
		return err
	}
	for _, p := range plans {
		if p.live != "" {
			w.plans = append(w.plans, p)
		}
	}
	if syncOnce && len(w.plans) > 0 {
		// The part files and the day directories staged above, in one go:
		// Swap renames them into the live tree only once they are durable.
		if err := syncFS(tableDir); err != nil {
			return err
		}
	}
	return nil
}

// prepareDayWorkers prepare the days of a load side by side: each day is
// two directory reads and an fsync of its directory, which on a disk wait
// more than they compute (a 125-day backfill: 16 ms a table one by one).
const prepareDayWorkers = 4

// prepareDays prepares each day independently and returns their plans in
// the order of days; the first error in that order wins.
func (w *Writer) prepareDays(tableDir string, days []int32) ([]dayPlan, error) {
	plans := make([]dayPlan, len(days))
	errs := make([]error, len(days))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(prepareDayWorkers, len(days)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				plans[i], errs[i] = w.prepareDay(tableDir, days[i])
			}
		}()
	}
	for i := range days {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("stage day %s: %w", dayString(days[i]), err)
		}
	}
	return plans, nil
}

// Swap implements load.Staged: it renames the prepared day directories in
// and syncs the table directory. Once started it does not look at ctx: a
// window half replaced is worse than a commit that took a moment longer.
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
	var swapped, emptied int
	var trashed []string
	for _, p := range w.plans {
		trash, err := w.swapDay(p)
		if err != nil {
			w.state = failed
			return fmt.Errorf("table %s stream %s window %s: replace day %s (%d earlier days are already replaced; rerun the window): %w",
				w.table.Name, w.stream, w.window, filepath.Base(p.live), swapped, err)
		}
		swapped++
		if p.next == "" {
			emptied++
		}
		if trash != "" {
			trashed = append(trashed, trash)
		}
	}
	// The renames are durable once the table directory is synced; only then
	// may the old directories go, since recovery needs them until then.
	if w.tableDir != "" {
		if err := syncDir(w.tableDir); err != nil {
			w.state = failed
			return fmt.Errorf("table %s stream %s window %s: %w", w.table.Name, w.stream, w.window, err)
		}
	}
	if swapped > 0 {
		// The commit is durable and stands: a schema-only file that could
		// not follow only costs readers of an empty table their glob.
		if err := w.sink.settleEmpty(w.table); err != nil {
			w.log.Warn("parquet: could not settle the table's schema-only file: a reader's glob over the table may find no file until the next load of it",
				"file", filepath.Join(w.table.Name, dayDir(schemaOnlyDay), schemaOnlyName), "err", err)
		}
	}
	for _, t := range trashed {
		if err := os.RemoveAll(t); err != nil {
			w.log.Warn("parquet: could not delete a replaced day directory", "dir", t, "err", err)
		}
	}
	_ = os.RemoveAll(w.trash)
	w.state = committed
	if err := os.RemoveAll(w.staging); err != nil {
		w.log.Warn("parquet: could not delete the staging directory of a committed load", "dir", w.staging, "err", err)
	}
	if w.rows > 0 || swapped > 0 { // a load that wrote and replaced nothing (no rejects) is not news
		w.log.Info("parquet: committed", "rows", w.rows, "files", w.files, "days_replaced", swapped, "days_emptied", emptied,
			"peak_open_files", w.peakOpen, "peak_buffered_bytes", w.peakBuffered)
	}
	return nil
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
func (w *Writer) daysToReplace(tableDir string) ([]int32, error) {
	if w.table.Disposition != schemas.ReplaceAll && !w.whole {
		days := make([]int32, 0, w.endDay-w.firstDay)
		for d := w.firstDay; d < w.endDay; d++ {
			days = append(days, d)
		}
		return days, nil
	}
	entries, err := os.ReadDir(tableDir)
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
	for _, e := range entries {
		if d, ok := parseDayDir(e.Name()); ok && e.IsDir() && !slices.Contains(own, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	return days, nil
}

// dayPlan is one prepared day: next (empty when the day ends up empty)
// replaces live.
type dayPlan struct {
	live       string
	next       string
	liveExists bool
}

// prepareDay builds the new directory of one day in staging. The new day
// directory is complete before it becomes visible: a reader listing
// dt=*/*.parquet sees the old set of files or the new one, never a mix.
// A plan with no live path means this stream has nothing there, before or
// after.
func (w *Writer) prepareDay(tableDir string, day int32) (dayPlan, error) {
	name := dayDir(day)
	live := filepath.Join(tableDir, name)
	newDir := filepath.Join(w.staging, "new", name)

	liveEntries, err := os.ReadDir(live)
	liveExists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return dayPlan{}, err
	}
	newEntries, err := os.ReadDir(newDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return dayPlan{}, err
	}
	var kept []os.DirEntry
	ours := 0
	for _, e := range liveEntries {
		if strings.HasPrefix(e.Name(), w.filePrefix) {
			ours++
		} else {
			kept = append(kept, e)
		}
	}
	var added []string
	for _, e := range newEntries {
		if strings.HasSuffix(e.Name(), ".parquet") {
			added = append(added, e.Name())
		}
	}
	if ours == 0 && len(added) == 0 {
		return dayPlan{}, nil
	}
	if len(kept) == 0 && len(added) == 0 {
		// The day ends up empty: Swap moves it away in one rename.
		return dayPlan{live: live, liveExists: liveExists}, nil
	}
	if len(kept) == 0 {
		// Only this load's files: its staging directory of the day is the
		// new day as it stands.
		if err := syncStaged(newDir); err != nil {
			return dayPlan{}, err
		}
		return dayPlan{live: live, next: newDir, liveExists: liveExists}, nil
	}
	next := filepath.Join(w.staging, "swap", name)
	if err := os.MkdirAll(next, 0o755); err != nil {
		return dayPlan{}, err
	}
	for _, e := range kept {
		if !e.Type().IsRegular() {
			return dayPlan{}, fmt.Errorf("%s holds %s, which is not a regular file: the day directory may only hold Parquet files", live, e.Name())
		}
		if err := linkOrCopy(filepath.Join(live, e.Name()), filepath.Join(next, e.Name())); err != nil {
			return dayPlan{}, err
		}
	}
	for _, f := range added {
		if err := os.Rename(filepath.Join(newDir, f), filepath.Join(next, f)); err != nil {
			return dayPlan{}, err
		}
	}
	if err := syncStaged(next); err != nil {
		return dayPlan{}, err
	}
	return dayPlan{live: live, next: next, liveExists: liveExists}, nil
}

// swapDay puts a prepared day in place and returns the old directory to
// delete once the swap is durable. Where the filesystem can exchange two
// directories atomically (Linux renameat2) there is not even an instant
// without the day; elsewhere the old directory is renamed into the trash
// first and New puts it back if a crash falls between the two renames.
func (w *Writer) swapDay(p dayPlan) (string, error) {
	name := filepath.Base(p.live)
	if p.next == "" {
		if !p.liveExists {
			return "", nil
		}
		trash := filepath.Join(w.trash, name)
		if err := os.MkdirAll(w.trash, 0o755); err != nil {
			return "", err
		}
		if err := os.Rename(p.live, trash); err != nil {
			return "", err
		}
		return trash, nil
	}
	if !p.liveExists {
		return "", os.Rename(p.next, p.live)
	}
	switch err := exchangeDirs(p.next, p.live); {
	case err == nil:
		// next now holds the old day; it is deleted with the staging.
		return p.next, nil
	case !errors.Is(err, errExchangeUnsupported):
		return "", err
	}
	trash := filepath.Join(w.trash, name)
	if err := os.MkdirAll(w.trash, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(p.live, trash); err != nil {
		return "", err
	}
	if err := os.Rename(p.next, p.live); err != nil {
		if rerr := os.Rename(trash, p.live); rerr != nil {
			return "", fmt.Errorf("%w; putting the old day back failed too (%v): the next run restores it from %s", err, rerr, trash)
		}
		return "", err
	}
	return trash, nil
}
