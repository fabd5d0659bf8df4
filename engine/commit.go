package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/load"
)

// commit flushes every table and then commits the window as one: every
// table (the rejects last) is staged before the first is swapped in, so a
// failure while staging leaves nothing of the window visible. It returns
// the tables swapped in, which on an error mid-swap are only some.
func (e *emitter) commit(ctx context.Context) ([]string, error) {
	for _, tl := range e.order {
		if err := e.settleBuild(ctx, tl); err != nil {
			return nil, err
		}
	}
	for _, tl := range e.order {
		tl.mu.Lock()
		err := e.flush(ctx, tl)
		tl.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	for _, tl := range e.order {
		if err := tl.drain(); err != nil {
			return nil, err
		}
	}
	ws := make([]load.TableWriter, len(e.order))
	for i, tl := range e.order {
		ws[i] = load.TableWriter{Table: tl.table.Name, Writer: tl.writer}
	}
	committed, err := load.CommitWindow(ctx, ws)
	if err != nil {
		what := "nothing of it is visible"
		if len(committed) > 0 {
			what = fmt.Sprintf("only %s swapped in: rerun the window", strings.Join(committed, ", "))
		}
		return committed, fmt.Errorf("%s %s window %s: %s: commit (%s): %w", e.stream.Source, e.stream.Name, e.window, e.r.opts.Sink.Name(), what, err)
	}
	return committed, nil
}

func (e *emitter) abort() {
	// A fresh context: the run's may be cancelled, and staging must still go.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tl := range e.order {
		// No write may still be running when its staging goes.
		tl.stopBuild()
		_ = tl.drain()
		if err := tl.writer.Abort(ctx); err != nil {
			e.log.Warn("could not discard staged rows", "table", tl.table.Name, "err", err)
		}
	}
}
