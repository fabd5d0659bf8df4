package engine

import (
	"context"
	"sync"
)

// ForEach runs fn over items with at most workers running at once (fewer
// than one means one). Items may finish in any order. The first error fn
// returns cancels the context the other calls see, stops handing out items
// and is returned as is, so the failing item's own wrapping (user, page)
// reaches the caller. When no call failed, the caller's cancellation cause is
// returned; nil when every item ran.
//
// progress, when not nil, is told (0, len(items)) before any work starts, so
// a display learns the total at once, then (done, len(items)) after each
// success. Its calls never overlap and done only grows, so an Emitter's
// Progress can be passed as is.
func ForEach[T any](ctx context.Context, items []T, workers int, progress func(done, total int), fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if progress == nil {
		progress = func(int, int) {}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		done  int
	)
	total := len(items)
	progress(0, total)
	jobs := make(chan T)
	for range min(max(workers, 1), total) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range jobs {
				// A worker can win the race for an item against the
				// cancellation in the feeder's select; it must not start it.
				if ctx.Err() != nil {
					return
				}
				err := fn(ctx, it)
				mu.Lock()
				if err != nil {
					if first == nil {
						first = err
						cancel(err)
					}
					mu.Unlock()
					return
				}
				done++
				progress(done, total)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, it := range items {
		select {
		case jobs <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if first != nil {
		return first
	}
	return context.Cause(ctx)
}
