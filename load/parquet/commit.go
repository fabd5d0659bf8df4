package parquet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/adoptionlabs/etl/schemas"
)

// Commit implements load.Writer: it finishes the staged files and then, day
// by day, swaps in a day directory that holds the other streams' files and
// this load's new files in place of this stream's old ones.
func (w *Writer) Commit(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case committed:
		return nil
	case writing:
	default:
		return fmt.Errorf("table %s stream %s window %s: Commit after the load was %s", w.table.Name, w.stream, w.window, w.state)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := w.commit()
	if err != nil {
		w.state = failed
		return fmt.Errorf("table %s stream %s window %s: commit: %w", w.table.Name, w.stream, w.window, err)
	}
	w.state = committed
	if err := os.RemoveAll(w.staging); err != nil {
		w.log.Warn("parquet: could not delete the staging directory of a committed load", "dir", w.staging, "err", err)
	}
	return nil
}

func (w *Writer) commit() error {
	if err := w.finishAll(); err != nil {
		return err
	}
	mu := w.sink.tableMu(w.table.Name)
	mu.Lock()
	defer mu.Unlock()

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
	// Once the first day is swapped the rest follow regardless of ctx: a
	// window half replaced is worse than a commit that took a moment longer.
	var swapped, emptied int
	var trashed []string
	for _, day := range days {
		res, err := w.swapDay(tableDir, day)
		if err != nil {
			return fmt.Errorf("replace day %s (%d earlier days of the window are already replaced; rerun the window): %w", dayString(day), swapped, err)
		}
		if res.changed {
			swapped++
		}
		if res.emptied {
			emptied++
		}
		if res.trash != "" {
			trashed = append(trashed, res.trash)
		}
	}
	// The renames are durable once the table directory is synced; only then
	// may the old directories go, since recovery needs them until then.
	if err := syncDir(tableDir); err != nil {
		return err
	}
	for _, t := range trashed {
		if err := os.RemoveAll(t); err != nil {
			w.log.Warn("parquet: could not delete a replaced day directory", "dir", t, "err", err)
		}
	}
	_ = os.RemoveAll(w.trash)
	if w.rows > 0 || swapped > 0 { // a load that wrote and replaced nothing (no rejects) is not news
		w.log.Info("parquet: committed", "rows", w.rows, "files", w.files, "days_replaced", swapped, "days_emptied", emptied)
	}
	return nil
}

// daysToReplace lists the days whose files of this stream the load
// replaces: every day of the window (days without new rows lose their old
// files too), or for ReplaceAll every live day plus the load day.
func (w *Writer) daysToReplace(tableDir string) ([]int32, error) {
	if w.table.Disposition != schemas.ReplaceAll {
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
	days := []int32{w.loadDay}
	for _, e := range entries {
		if d, ok := parseDayDir(e.Name()); ok && e.IsDir() && d != w.loadDay {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	return days, nil
}

type swapResult struct {
	changed bool
	emptied bool
	trash   string // old day directory to delete once the swap is durable
}

// swapDay replaces this stream's files of one day. The new day directory is
// complete before it becomes visible: a reader listing dt=*/*.parquet sees
// the old set of files or the new one, never a mix. Where the filesystem
// can exchange two directories atomically (Linux renameat2) there is not
// even an instant without the day; elsewhere the old directory is renamed
// into the trash first and New puts it back if a crash falls between the
// two renames.
func (w *Writer) swapDay(tableDir string, day int32) (swapResult, error) {
	name := dayDir(day)
	live := filepath.Join(tableDir, name)
	newDir := filepath.Join(w.staging, "new", name)

	liveEntries, err := os.ReadDir(live)
	liveExists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return swapResult{}, err
	}
	newEntries, err := os.ReadDir(newDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return swapResult{}, err
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
		return swapResult{}, nil // this stream has nothing there, before or after
	}

	if len(kept) == 0 && len(added) == 0 {
		// The day ends up empty: move it away in one rename.
		trash := filepath.Join(w.trash, name)
		if err := os.MkdirAll(w.trash, 0o755); err != nil {
			return swapResult{}, err
		}
		if err := os.Rename(live, trash); err != nil {
			return swapResult{}, err
		}
		return swapResult{changed: true, emptied: true, trash: trash}, nil
	}

	next := filepath.Join(w.staging, "swap", name)
	if err := os.MkdirAll(next, 0o755); err != nil {
		return swapResult{}, err
	}
	for _, e := range kept {
		if !e.Type().IsRegular() {
			return swapResult{}, fmt.Errorf("%s holds %s, which is not a regular file: the day directory may only hold Parquet files", live, e.Name())
		}
		if err := linkOrCopy(filepath.Join(live, e.Name()), filepath.Join(next, e.Name())); err != nil {
			return swapResult{}, err
		}
	}
	for _, f := range added {
		if err := os.Rename(filepath.Join(newDir, f), filepath.Join(next, f)); err != nil {
			return swapResult{}, err
		}
	}
	if err := syncDir(next); err != nil {
		return swapResult{}, err
	}

	if !liveExists {
		if err := os.Rename(next, live); err != nil {
			return swapResult{}, err
		}
		return swapResult{changed: true}, nil
	}
	switch err := exchangeDirs(next, live); {
	case err == nil:
		// next now holds the old day; it is deleted with the staging.
		return swapResult{changed: true, trash: next}, nil
	case !errors.Is(err, errExchangeUnsupported):
		return swapResult{}, err
	}
	trash := filepath.Join(w.trash, name)
	if err := os.MkdirAll(w.trash, 0o755); err != nil {
		return swapResult{}, err
	}
	if err := os.Rename(live, trash); err != nil {
		return swapResult{}, err
	}
	if err := os.Rename(next, live); err != nil {
		if rerr := os.Rename(trash, live); rerr != nil {
			return swapResult{}, fmt.Errorf("%w; putting the old day back failed too (%v): the next run restores it from %s", err, rerr, trash)
		}
		return swapResult{}, err
	}
	return swapResult{changed: true, trash: trash}, nil
}
