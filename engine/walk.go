package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/httpstats"
	"github.com/adoptionlabs/etl/window"
)

// Positioner is implemented by the emitter RunWalk hands to an extractor of
// a DescendingWalk stream.
type Positioner interface {
	// At says the walk has reached t: every row emitted from now on
	// belongs at or before t (the Day of what follows). A chunk the walk
	// has passed below is committed before At returns.
	At(ctx context.Context, t time.Time) error
}

// At tells out where a descending walk is, when out cares (RunWalk's
// emitter); for a plain one-window run it is a no-op, so an extractor calls
// it unconditionally.
func At(ctx context.Context, out Emitter, t time.Time) error {
	if p, ok := out.(Positioner); ok {
		return p.At(ctx, t)
	}
	return nil
}

// RunWalk runs several chunks of a DescendingWalk stream from one
// extraction over the span they cover, newest first. Each chunk is staged
// on its own and committed, whole, as soon as the walk passes below its
// start, then handed to done (before the walk goes on, so a run killed
// after done returns loses nothing done recorded). Rows the walk passes in
// between the chunks (in chunks an earlier run committed) are read but
// not loaded. done is called exactly once per chunk, in descending order.
func (r *Runner) RunWalk(ctx context.Context, s *Stream, chunks []window.Window, done func(window.Window, Result)) {
	if len(chunks) == 0 {
		return
	}
	w := &walk{r: r, s: s, done: done, log: r.opts.Logger.With("source", s.Source, "stream", s.Name)}
	for _, c := range chunks {
		eff, clipped := r.Effective(s, c)
		if eff.Empty() {
			res := Result{Source: s.Source, Stream: s.Name, Window: c, Status: StatusSkipped}
			if clipped != "" {
				res.Notices = []string{clipped}
			}
			done(c, res)
			continue
		}
		w.chunks = append(w.chunks, &walkChunk{requested: c, eff: eff, clipped: clipped})
	}
	if len(w.chunks) == 0 {
		return
	}
	sort.Slice(w.chunks, func(a, b int) bool { return w.chunks[a].eff.Start.After(w.chunks[b].eff.Start) })
	span := window.Window{Start: w.chunks[len(w.chunks)-1].eff.Start, End: w.chunks[0].eff.End}
	for _, c := range w.chunks[1:] {
		if c.eff.End.After(span.End) {
			span.End = c.eff.End
		}
	}
	w.span = span
	err := w.extract(httpstats.With(ctx, &w.stats), span)
	w.finish(ctx, err)
}

type walkChunk struct {
	requested window.Window
	eff       window.Window
	clipped   string
	live      *Live
	em        *emitter
	pages     int64
	retries   int64
	bytes     int64
}

// walk is the Emitter of a walk: it routes rows to the chunk holding the
// walk's position and commits chunks as the walk leaves them.
type walk struct {
	r     *Runner
	s     *Stream
	span  window.Window
	done  func(window.Window, Result)
	log   *slog.Logger
	stats httpstats.Stats

	mu     sync.Mutex
	chunks []*walkChunk // newest first
	next   int          // first chunk not finished
	route  *walkChunk   // where rows go now; nil: rows are dropped
	// counted is what earlier chunks' results took of the walk's stats.
	counted struct{ pages, retries, bytes int64 }
	notices []string
}

func (w *walk) extract(ctx context.Context, span window.Window) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	return w.s.Extract(ctx, span, w)
}

// open begins staging chunk c if it is not yet.
func (w *walk) open(ctx context.Context, c *walkChunk) error {
	if c.em != nil {
		return nil
	}
	c.live = &Live{Stream: w.s, Window: c.eff, Started: time.Now()}
	if w.r.opts.OnStart != nil {
		w.r.opts.OnStart(c.live)
	}
	em, err := w.r.begin(ctx, w.s, c.eff, c.live, w.chunkLog(c))
	if err != nil {
		return err
	}
	c.em = em
	return nil
}

func (w *walk) At(ctx context.Context, t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.next < len(w.chunks) && t.Before(w.chunks[w.next].eff.Start) {
		c := w.chunks[w.next]
		if err := w.open(ctx, c); err != nil {
			return err
		}
		if err := w.commit(ctx, c); err != nil {
			return err
		}
	}
	w.route = nil
	if w.next < len(w.chunks) && w.chunks[w.next].eff.Contains(t) {
		c := w.chunks[w.next]
		if err := w.open(ctx, c); err != nil {
			return err
		}
		w.route = c
	}
	return nil
}

// commit commits the chunk at w.next and reports it; called with w.mu held.
func (w *walk) commit(ctx context.Context, c *walkChunk) error {
	w.next++
	if w.route == c {
		w.route = nil
	}
	res := w.result(c)
	err := endWindow(ctx, w.s, c.eff, &w.span, c.em, nil, &res, w.chunkLog(c))
	c.em.release()
	w.report(c, res)
	return err
}

// chunkLog is the logger of chunk c, as Run's is of its window.
func (w *walk) chunkLog(c *walkChunk) *slog.Logger { return w.log.With("window", c.eff.String()) }

// result starts a chunk's result, taking the walk's requests since the
// previous chunk's (the pages above a chunk were read to reach it).
func (w *walk) result(c *walkChunk) Result {
	res := Result{Source: w.s.Source, Stream: w.s.Name, Window: c.eff, Status: StatusOK}
	pages, retries, bytes := w.stats.Requests.Load(), w.stats.Retries.Load(), w.stats.Bytes.Load()
	res.Pages, res.Retries, res.Bytes = pages-w.counted.pages, retries-w.counted.retries, bytes-w.counted.bytes
	w.counted.pages, w.counted.retries, w.counted.bytes = pages, retries, bytes
	if c.clipped != "" {
		res.Notices = append(res.Notices, c.clipped)
	}
	res.Notices = append(res.Notices, w.notices...)
	return res
}

func (w *walk) report(c *walkChunk, res Result) {
	if c.live == nil && w.r.opts.OnStart != nil {
		// A chunk the walk failed before reaching still ends for a
		// progress display that counted it.
		c.live = &Live{Stream: w.s, Window: c.eff, Started: time.Now()}
		w.r.opts.OnStart(c.live)
	}
	if c.live != nil {
		res.Duration = time.Since(c.live.Started)
		c.live.HTTP.Requests.Store(res.Pages)
		c.live.HTTP.Retries.Store(res.Retries)
		c.live.HTTP.Bytes.Store(res.Bytes)
	}
	if c.live != nil && w.r.opts.OnDone != nil {
		w.r.opts.OnDone(c.live, res)
	}
	w.done(c.requested, res)
}

// finish ends the walk: when it ended cleanly every chunk left is complete
// (the walk went below them or the list ended) and is committed; otherwise
// none of them is, and each reports why.
func (w *walk) finish(ctx context.Context, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		for w.next < len(w.chunks) {
			c := w.chunks[w.next]
			if err = w.open(ctx, c); err != nil {
				break
			}
			if err = w.commit(ctx, c); err != nil {
				// commit reported that chunk; the rest fail below.
				break
			}
		}
		if w.next == len(w.chunks) {
			return
		}
	}
	for ; w.next < len(w.chunks); w.next++ {
		c := w.chunks[w.next]
		res := w.result(c)
		_ = endWindow(ctx, w.s, c.eff, &w.span, c.em, err, &res, w.chunkLog(c))
		if c.em != nil {
			c.em.release()
		}
		w.report(c, res)
	}
}

func (w *walk) Emit(ctx context.Context, table string, row Row) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.route == nil {
		return nil
	}
	return w.route.em.Emit(ctx, table, row)
}

// Reject goes to the chunk the walk is in, or the next one it will reach:
// a row that could not be parsed has no position of its own.
func (w *walk) Reject(ctx context.Context, table, reason string, row Row) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.route
	if c == nil {
		if w.next == len(w.chunks) {
			return nil
		}
		c = w.chunks[w.next]
		if err := w.open(ctx, c); err != nil {
			return err
		}
	}
	return c.em.Reject(ctx, table, reason, row)
}

func (w *walk) Notice(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range w.notices {
		if n == msg {
			return
		}
	}
	w.notices = append(w.notices, msg)
	w.log.Warn(msg)
}

func (w *walk) Progress(done, total int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.route != nil && w.route.live != nil {
		w.route.live.Done.Store(int64(done))
		w.route.live.Total.Store(int64(total))
	}
}
