package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/window"
)

// endWindow ends window w of s, whose rows em staged: it commits the window
// when its extraction ended well (extracted is nil) and discards it
// otherwise, then fills res (status, tables, counts, notices, error and
// fix) and logs how the window ended. Run and RunWalk end every window
// they staged here, so that a window reads the same however it was
// extracted. em is nil only for a chunk a failed walk never reached. walk
// is the span of the walk w was read in (nil for a window extracted on its
// own): a failed extraction names it when it covered more than w. It
// returns the failure as it came, extracted or that of the commit.
func endWindow(ctx context.Context, s *Stream, w window.Window, walk *window.Window, em *emitter, extracted error, res *Result, log *slog.Logger) error {
	err := extracted
	var committed []string
	if err == nil {
		committed, err = em.commit(ctx)
	}
	if em != nil {
		res.Tables, res.Rows, res.Rejects = em.results()
		res.Notices = append(res.Notices, em.noticeList()...)
		if err != nil {
			em.abort()
		}
	}
	var skip *SkipError
	switch {
	case errors.As(extracted, &skip):
		res.Status = StatusSkipped
		res.Notices = append(res.Notices, fmt.Sprintf("%s %s: %s; what was loaded before is kept", s.Source, s.Name, skip.Reason))
		log.Warn("stream skipped", "reason", skip.Reason)
	case err != nil:
		res.Status = StatusFailed
		place, spans := where(s, w), []window.Window{w}
		if extracted != nil && walk != nil && !(walk.Start.Equal(w.Start) && walk.End.Equal(w.End)) {
			place, spans = fmt.Sprintf("%s (one walk over %s)", place, *walk), []window.Window{*walk, w}
		}
		res.Err, res.Fix = failure(s, place, err, spans...)
		if ctx.Err() != nil {
			res.Err, res.Fix = interrupted(s, w, committed, err, ctx.Err()), ""
		}
		log.Error("stream failed", "err", res.Err)
	default:
		res.Status = StatusOK
		log.Info("stream done", "rows", res.Rows, "rejects", res.Rejects, "pages", res.Pages, "retries", res.Retries)
	}
	return err
}

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
