package parquet

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/adoptionlabs/etl/objectstore"
)

// newObjectSink opens a Sink on an object store. Nothing is requested: the
// store's interrupted commits are resolved when the run lock is held
// (DropStaleStaging) or before the first load (recoverOnce). Its loads are
// staged in a scratch directory of its own under opts.Scratch, removed by
// Close; scratch directories that killed processes left there are removed.
func newObjectSink(objs objectstore.Store, opts Options) (*Sink, error) {
	opts = opts.defaults()
	root := opts.Scratch
	if root == "" {
		root = os.TempDir()
	}
	work, lock, err := openScratch(root)
	if err != nil {
		return nil, fmt.Errorf("parquet sink at %s: scratch directory under %s: %w", objs.Location(), root, err)
	}
	return &Sink{root: objs.Location(), work: work, opts: opts, lock: lock, tableMus: map[string]*sync.Mutex{},
		settled: map[string]bool{}, store: objectStore{objs: objs}, objs: objs}, nil
}

// scratchPattern names the scratch directories of object store sinks.
const scratchPattern = "etl-parquet-scratch-*"

// openScratch makes a scratch directory of this Sink's own under root and
// locks it for the Sink's life, after removing the scratch directories
// under root that no live process holds (their lock is free: the OS
// dropped it when the process died).
func openScratch(root string) (string, *os.File, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", nil, err
	}
	stale, _ := filepath.Glob(filepath.Join(globEscape(root), scratchPattern))
	for _, dir := range stale {
		if lock, err := lockDir(filepath.Join(dir, lockFile)); err == nil {
			_ = os.RemoveAll(dir)
			_ = unlockDir(lock)
		}
	}
	dir, err := os.MkdirTemp(root, scratchPattern)
	if err != nil {
		return "", nil, err
	}
	lock, err := lockDir(filepath.Join(dir, lockFile))
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, lock, nil
}

// closeScratch removes a scratch directory and releases its lock.
func closeScratch(dir string, lock *os.File) error {
	err := os.RemoveAll(dir)
	if uerr := unlockDir(lock); err == nil {
		err = uerr
	}
	return err
}

// DropStaleStaging implements load.StagingCleaner: on an object store it
// resolves the commits a killed run left (recoverSwaps); the caller holds
// the run lock. A local directory did that when New opened it. The count
// is of staging tables, which a Parquet sink has none of: the sink logs
// what it resolved itself.
func (s *Sink) DropStaleStaging(ctx context.Context) (int, error) {
	return 0, s.recoverOnce(ctx)
}

// recoverOnce resolves an object store's interrupted commits once, before
// the Sink's first load: a merge must not read, and a load must not
// replace, files of a commit that is still to be rolled back.
func (s *Sink) recoverOnce(ctx context.Context) error {
	if s.objs == nil {
		return nil
	}
	s.recoverMu.Lock()
	defer s.recoverMu.Unlock()
	if s.recovered {
		return nil
	}
	if _, _, err := recoverSwaps(ctx, s.objs, s.opts.Logger); err != nil {
		return fmt.Errorf("parquet sink at %s: resolve the commits an interrupted run left: %w", s.root, err)
	}
	s.recovered = true
	return nil
}

// createPart creates a load's part file in its staging: made durable on a
// local disk, where it becomes the live file; not in an object store
// sink's scratch, whence it is uploaded.
func (s *Sink) createPart(path string) (stagedFile, error) {
	if s.objs == nil {
		return createLocal(path)
	}
	return createScratch(path)
}

// logRequests says how many requests the sink sent the object store, by
// operation, every attempt counted: what the store bills and rate-limits.
func (s *Sink) logRequests() {
	c, ok := s.objs.(interface{ Requests() map[string]int64 })
	if !ok {
		return
	}
	byOp := c.Requests()
	var total int64
	attrs := []any{"location", s.root}
	for _, op := range slices.Sorted(maps.Keys(byOp)) {
		total += byOp[op]
		attrs = append(attrs, op, byOp[op])
	}
	if total > 0 {
		s.opts.Logger.Info("parquet: requests to the object store", append(attrs, "total", total)...)
	}
}
