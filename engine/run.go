package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/adoptionlabs/etl/httpstats"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// Status of one stream run.
type Status string

const (
	StatusOK      Status = "ok"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// Options configure a Runner.
type Options struct {
	Sink      load.Sink
	Allocator memory.Allocator
	// BatchRows bounds the rows held per table before they go to the sink
	// (DefaultBatchRows when 0).
	BatchRows int
	RunID     string
	Logger    *slog.Logger
	Now       func() time.Time
	// OnStart and OnDone let a progress display follow running streams.
	OnStart func(*Live)
	OnDone  func(*Live, Result)
}

// Runner runs streams over windows. Safe for concurrent use.
type Runner struct{ opts Options }

// NewRunner fills defaults.
func NewRunner(opts Options) *Runner {
	if opts.Allocator == nil {
		opts.Allocator = memory.NewGoAllocator()
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Runner{opts: opts}
}

// Live holds the counters of a running stream for progress displays.
type Live struct {
	Stream  *Stream
	Window  window.Window
	Started time.Time
	Rows    atomic.Int64
	Rejects atomic.Int64
	HTTP    httpstats.Stats
	Done    atomic.Int64
	Total   atomic.Int64
}

// TableResult is what one table received.
type TableResult struct {
	Table   string
	Rows    int64
	Rejects int64
	// Unknown lists source fields the table does not declare (kept in
	// _extra where the table has it).
	Unknown []string
}

// Result reports one stream over one window.
type Result struct {
	Source   string
	Stream   string
	Window   window.Window
	Tables   []TableResult
	Rows     int64
	Rejects  int64
	Pages    int64
	Retries  int64
	Bytes    int64
	Duration time.Duration
	Status   Status
	Err      error
	// Fix, on a failure a rerun cannot cure, says what to change (FixOf);
	// a failure without it is transient.
	Fix     string
	Notices []string
}

// Effective returns the window a stream really covers: aligned, then clipped
// to what the API serves. clipped describes the part given up.
func (r *Runner) Effective(s *Stream, w window.Window) (eff window.Window, clipped string) {
	eff = w
	if s.Align != nil {
		eff = s.Align(eff)
	}
	if s.Earliest != nil {
		earliest := window.Floor(s.Earliest(r.opts.Now())).Add(window.Day)
		if eff.Start.Before(earliest) {
			lost := window.Window{Start: eff.Start, End: earliest}
			if lost.End.After(eff.End) {
				lost.End = eff.End
			}
			eff.Start = earliest
			if eff.Empty() {
				eff.End = eff.Start
			}
			clipped = fmt.Sprintf("%s %s: the API serves nothing before %s; %s was not extracted (and its loaded data, if any, was left as it was)",
				s.Source, s.Name, earliest.Format(time.DateOnly), lost)
		}
	}
	return eff, clipped
}

// Run extracts one window of one stream into the sink. It never panics
// across the boundary and always returns a Result; Err is set when it failed.
func (r *Runner) Run(ctx context.Context, s *Stream, requested window.Window) (res Result) {
	eff, clipped := r.Effective(s, requested)
	live := &Live{Stream: s, Window: eff, Started: time.Now()}
	res = Result{Source: s.Source, Stream: s.Name, Window: eff, Status: StatusOK}
	if r.opts.OnStart != nil {
		r.opts.OnStart(live)
	}
	var em *emitter
	defer func() {
		if p := recover(); p != nil {
			if em != nil {
				// A prepared table holds its lock until Swap or Abort.
				em.abort()
			}
			res.Status, res.Err = StatusFailed, fmt.Errorf("%s %s window %s: internal error: %v", s.Source, s.Name, eff, p)
			r.opts.Logger.Error("stream failed", "source", s.Source, "stream", s.Name, "window", eff.String(), "err", res.Err)
		}
		res.Duration = time.Since(live.Started)
		res.Pages, res.Retries, res.Bytes = live.HTTP.Requests.Load(), live.HTTP.Retries.Load(), live.HTTP.Bytes.Load()
		if r.opts.OnDone != nil {
			r.opts.OnDone(live, res)
		}
	}()
	log := r.opts.Logger.With("source", s.Source, "stream", s.Name, "window", eff.String())
	if clipped != "" {
		res.Notices = append(res.Notices, clipped)
		log.Warn(clipped)
	}
	if s.Windowed && eff.Empty() {
		// Nothing of it is served: show the window that was asked for, not
		// the empty remainder (which prints as an end before its start).
		res.Window, res.Status = requested, StatusSkipped
		return res
	}
	var err error
	em, err = r.begin(ctx, s, eff, live, log)
	if err != nil {
		res.Status = StatusFailed
		res.Err, res.Fix = failure(s, where(s, eff), err, eff)
		log.Error("stream failed", "err", res.Err)
		return res
	}
	defer em.release()
	ctx = httpstats.With(ctx, &live.HTTP)
	err = s.Extract(ctx, eff, em)
	var skip *SkipError
	if errors.As(err, &skip) {
		em.abort()
		res.Status = StatusSkipped
		res.Notices = append(res.Notices, fmt.Sprintf("%s %s: %s; what was loaded before is kept", s.Source, s.Name, skip.Reason))
		log.Warn("stream skipped", "reason", skip.Reason)
		return res
	}
	var committed []string
	if err == nil {
		committed, err = em.commit(ctx)
	}
	res.Tables, res.Rows, res.Rejects = em.results()
	res.Notices = append(res.Notices, em.noticeList()...)
	if err != nil {
		em.abort()
		res.Status = StatusFailed
		res.Err, res.Fix = failure(s, where(s, eff), err, eff)
		if ctx.Err() != nil {
			res.Fix = ""
			what := "nothing of this window was committed"
			if len(committed) > 0 {
				what = fmt.Sprintf("tables %s of this window were committed, the others were not (%v): rerun the window", strings.Join(committed, ", "), err)
			}
			res.Err = fmt.Errorf("%s %s window %s: interrupted, %s: %w", s.Source, s.Name, eff, what, ctx.Err())
		}
		log.Error("stream failed", "err", res.Err)
		return res
	}
	log.Info("stream done", "rows", res.Rows, "rejects", res.Rejects, "pages", live.HTTP.Requests.Load(), "retries", live.HTTP.Retries.Load())
	return res
}

// windowError is a failed window's error as people read it (see failure);
// the cause stays in the chain.
type windowError struct {
	msg string
	err error
}

func (e *windowError) Error() string { return e.msg }
func (e *windowError) Unwrap() error { return e.err }

// failure words a failed window's error: where (stream and window), then
// what to change when a rerun cannot cure it, then the cause, without the
// source's own repeat of where. It returns the fix too ("" when transient).
// windows are those the cause may name in its own prefix (a walk's span).
func failure(s *Stream, where string, err error, windows ...window.Window) (error, string) {
	head := s.Source + " " + s.Name
	msg := err.Error()
	for _, prefix := range append(windowNames(head, windows), head) {
		rest, ok := strings.CutPrefix(msg, prefix)
		if ok && (rest == "" || rest[0] == ' ' || rest[0] == ':') {
			msg = strings.TrimLeft(rest, ": ")
			break
		}
	}
	fix := FixOf(err)
	if fix != "" {
		msg = fix + ": " + strings.Replace(msg, fix+": ", "", 1)
	}
	return &windowError{msg: where + ": " + msg, err: err}, fix
}

func windowNames(head string, windows []window.Window) []string {
	out := make([]string, len(windows))
	for i, w := range windows {
		out[i] = head + " window " + w.String()
	}
	return out
}

// where names a stream's window in errors.
func where(s *Stream, w window.Window) string {
	return fmt.Sprintf("%s %s window %s", s.Source, s.Name, w)
}

// tableLoad is one table's batcher and sink writer within a run.
type tableLoad struct {
	mu      sync.Mutex
	table   *schemas.Table
	batch   *transform.Batcher
	writer  load.Writer
	rows    int64
	rejects int64
	outside int64

	// A full batch goes to the sink on the table's own goroutine while the
	// extractor fills the next one, so fetching and decoding overlap the
	// insert or the Parquet encoding. The channel is unbuffered: at most one
	// batch is being written and one built per table (memory stays bounded),
	// and batches reach the sink in the order they were cut.
	pending   chan arrow.Record
	written   chan struct{}
	drainOnce sync.Once
	werrMu    sync.Mutex
	werr      error

	// Rows given by layout are coerced and appended on the table's own
	// goroutine (build), in blocks, while the extractor goes on decoding
	// and placing the next rows: the Arrow building of a busy stream then
	// overlaps its extraction instead of following it on one core. fillMu
	// guards the block being filled; the builder takes mu per block, as the
	// map rows' path does per row. At most buildAhead blocks wait, which
	// bounds memory (and the page text their strings keep alive).
	fillMu    sync.Mutex
	filling   *rowBlock
	blocks    chan *rowBlock
	built     chan struct{}
	buildOnce sync.Once
	// Built blocks come back for reuse: a fresh block per 256 rows was a
	// fifth of a Userflow backfill's allocations (issue 14).
	spare chan *rowBlock
}

// rowBlock is a run of layout rows waiting to be built; a block with done
// set is a barrier the builder closes once everything before it is built.
type rowBlock struct {
	layout *transform.Layout
	vals   []transform.Value
	raws   [][]byte
	where  []string
	// holds are the rows' Holds, each retained once per block.
	holds []*Hold
	n     int
	done  chan struct{}
}

// releaseHolds lets go of the memory the block's rows pointed into, once
// they are built or dropped.
func (b *rowBlock) releaseHolds() {
	for i, h := range b.holds {
		h.Release()
		b.holds[i] = nil
	}
	b.holds = b.holds[:0]
}

const (
	blockRows  = 256
	buildAhead = 4
)

// writeLoop writes what flush hands over until pending is closed. After a
// failed write it only releases what still comes, so flush never blocks on
// a dead writer; the error surfaces at the next flush or at commit.
func (e *emitter) writeLoop(ctx context.Context, tl *tableLoad) {
	defer close(tl.written)
	for rec := range tl.pending {
		if tl.writeErr() == nil {
			if err := tl.writer.Write(ctx, rec); err != nil {
				tl.werrMu.Lock()
				tl.werr = fmt.Errorf("%s: write %d rows to %s: %w", e.r.opts.Sink.Name(), rec.NumRows(), tl.table.Name, err)
				tl.werrMu.Unlock()
			}
		}
		rec.Release()
	}
}

func (tl *tableLoad) writeErr() error {
	tl.werrMu.Lock()
	defer tl.werrMu.Unlock()
	return tl.werr
}

// drain waits until every batch handed over is written (or dropped after a
// failure) and returns the first write error. Safe to call more than once.
func (tl *tableLoad) drain() error {
	tl.drainOnce.Do(func() { close(tl.pending) })
	<-tl.written
	return tl.writeErr()
}

type emitter struct {
	// ctx is the run's: the builders of layout rows live as long as it.
	ctx     context.Context
	r       *Runner
	stream  *Stream
	window  window.Window
	live    *Live
	log     *slog.Logger
	tables  map[string]*tableLoad
	order   []*tableLoad
	rejects *tableLoad
	meta    transform.Meta

	noticeMu sync.Mutex
	notices  []string
	seen     map[string]bool
}

func (r *Runner) begin(ctx context.Context, s *Stream, w window.Window, live *Live, log *slog.Logger) (*emitter, error) {
	em := &emitter{ctx: ctx, r: r, stream: s, window: w, live: live, log: log, tables: map[string]*tableLoad{}, seen: map[string]bool{},
		meta: transform.Meta{RunID: r.opts.RunID, ExtractedAt: r.opts.Now().UTC().Truncate(time.Millisecond)}}
	all := append(append([]*schemas.Table{}, s.Tables...), schemas.Rejects)
	for _, t := range all {
		wr, err := r.opts.Sink.Begin(ctx, t, w, s.ID(), r.opts.RunID)
		if err != nil {
			em.abort()
			em.release()
			return nil, fmt.Errorf("%s %s window %s: %s: start loading %s: %w", s.Source, s.Name, w, r.opts.Sink.Name(), t.Name, err)
		}
		var win *window.Window
		if s.Windowed && t != schemas.Rejects {
			// reject decides which rejects the window takes: a reject's day
			// may be the window's first day, which a window not starting at
			// midnight does not contain.
			win = &em.window
		}
		tl := &tableLoad{table: t, writer: wr, batch: transform.NewBatcher(r.opts.Allocator, t, em.meta, r.opts.BatchRows, win),
			pending: make(chan arrow.Record), written: make(chan struct{})}
		go em.writeLoop(ctx, tl)
		if t == schemas.Rejects {
			if ws, ok := wr.(load.WholeStream); ok && !s.Windowed {
				ws.ReplaceWholeStream()
			}
			em.rejects = tl
		} else {
			em.tables[t.Name] = tl
		}
		em.order = append(em.order, tl)
	}
	return em, nil
}

func (e *emitter) Emit(ctx context.Context, table string, row Row) error {
	tl, ok := e.tables[table]
	if !ok {
		return fmt.Errorf("stream %s emitted into undeclared table %q", e.stream.ID(), table)
	}
	if row.Layout != nil {
		return e.queue(ctx, tl, row)
	}
	// A map row follows the layout rows emitted before it.
	if err := e.settleBuild(ctx, tl); err != nil {
		return err
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return e.landed(ctx, tl, tl.batch.Append(row.Values), row)
}

// landed accounts for one row the batcher was given, by what Append said:
// counted and the batch handed on when full, left to the window that holds
// it, or rejected. Called with tl.mu held (the rejects table has its own).
func (e *emitter) landed(ctx context.Context, tl *tableLoad, err error, row Row) error {
	var ve *transform.ValueError
	switch {
	case err == nil:
		tl.rows++
		e.live.Rows.Add(1)
		return e.flushIfFull(ctx, tl)
	case errors.Is(err, transform.ErrOutsideWindow):
		tl.outside++
		return nil
	case errors.As(err, &ve):
		outside, err := e.reject(ctx, tl.table.Name, err.Error(), row)
		if outside {
			tl.outside++
		} else {
			tl.rejects++
		}
		return err
	}
	return err
}

// queue copies a layout row into the table's filling block, handing the
// block to the builder when full. It returns a build error of an earlier
// block, if any.
func (e *emitter) queue(ctx context.Context, tl *tableLoad, row Row) error {
	if err := tl.writeErr(); err != nil {
		return err
	}
	width := row.Layout.Len()
	if len(row.Fields) != width {
		return fmt.Errorf("stream %s: a row of %s has %d values, its layout %d", e.stream.ID(), tl.table.Name, len(row.Fields), width)
	}
	tl.fillMu.Lock()
	defer tl.fillMu.Unlock()
	b := tl.filling
	if b != nil && b.layout != row.Layout {
		if err := e.sendBlock(ctx, tl); err != nil {
			return err
		}
		b = nil
	}
	if b == nil {
		b = tl.spareBlock(row.Layout)
		tl.filling = b
	}
	b.vals = append(b.vals, row.Fields...)
	b.where = append(b.where, row.Where)
	if h := row.Hold; h != nil && (len(b.holds) == 0 || b.holds[len(b.holds)-1] != h) {
		h.Retain()
		b.holds = append(b.holds, h)
	}
	if row.RawJSON != nil || b.raws != nil {
		if b.raws == nil {
			b.raws = make([][]byte, b.n, blockRows)
		}
		// The extractor may reuse its buffer once Emit returns.
		b.raws = append(b.raws, bytes.Clone(row.RawJSON))
	}
	b.n++
	if b.n == blockRows {
		return e.sendBlock(ctx, tl)
	}
	return nil
}

// spareBlock returns an empty block for rows of l, a built one if any is
// back; called with fillMu held.
func (tl *tableLoad) spareBlock(l *transform.Layout) *rowBlock {
	width := l.Len()
	select {
	case b := <-tl.spare:
		if cap(b.vals) >= blockRows*width {
			// The old values are overwritten, not cleared: at most
			// buildAhead+2 blocks keep their strings' pages alive.
			b.layout, b.vals, b.where, b.raws, b.n = l, b.vals[:0], b.where[:0], nil, 0
			return b
		}
	default:
	}
	return &rowBlock{layout: l, vals: make([]transform.Value, 0, blockRows*width), where: make([]string, 0, blockRows)}
}

// sendBlock hands the filling block to the builder, starting it on first
// use; called with fillMu held.
func (e *emitter) sendBlock(ctx context.Context, tl *tableLoad) error {
	b := tl.filling
	tl.filling = nil
	if b == nil {
		return nil
	}
	tl.buildOnce.Do(func() {
		tl.blocks = make(chan *rowBlock, buildAhead)
		tl.built = make(chan struct{})
		tl.spare = make(chan *rowBlock, buildAhead+1)
		// The run's context, not the caller's: an extractor may emit
		// under a context that ends before the window does (a fan-out's).
		go e.build(e.ctx, tl)
	})
	if tl.blocks == nil {
		return fmt.Errorf("stream %s emitted into %s after its window was finished", e.stream.ID(), tl.table.Name)
	}
	select {
	case tl.blocks <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// build appends the blocks of layout rows in order. A failure is kept as
// the table's write error (the extractor sees it at its next Emit, the
// commit at the latest); what comes after is dropped, as a failed write
// drops its batches.
func (e *emitter) build(ctx context.Context, tl *tableLoad) {
	defer close(tl.built)
	for b := range tl.blocks {
		if b.done != nil {
			close(b.done)
			continue
		}
		if tl.writeErr() != nil {
			b.releaseHolds()
			continue
		}
		if err := e.buildBlock(ctx, tl, b); err != nil {
			tl.werrMu.Lock()
			if tl.werr == nil {
				tl.werr = err
			}
			tl.werrMu.Unlock()
		}
		b.releaseHolds()
		// Nothing holds the block's rows now (a reject is rendered when
		// it is made), so it can be filled again.
		select {
		case tl.spare <- b:
		default:
		}
	}
}

func (e *emitter) buildBlock(ctx context.Context, tl *tableLoad, b *rowBlock) error {
	width := b.layout.Len()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for i := 0; i < b.n; i++ {
		vals := b.vals[i*width : (i+1)*width]
		row := Row{Layout: b.layout, Fields: vals, Where: b.where[i]}
		if b.raws != nil {
			row.RawJSON = b.raws[i]
		}
		if err := e.landed(ctx, tl, tl.batch.AppendFields(b.layout, vals), row); err != nil {
			return err
		}
	}
	return nil
}

// settleBuild waits until every layout row emitted so far is built, and
// returns the build error, if any. A barrier block goes through the queue,
// so the builder keeps running for the rows that come later.
func (e *emitter) settleBuild(ctx context.Context, tl *tableLoad) error {
	tl.fillMu.Lock()
	defer tl.fillMu.Unlock()
	if tl.filling == nil && tl.blocks == nil {
		return tl.writeErr()
	}
	if err := e.sendBlock(ctx, tl); err != nil {
		return err
	}
	barrier := &rowBlock{done: make(chan struct{})}
	select {
	case tl.blocks <- barrier:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-barrier.done:
	case <-tl.built:
	}
	return tl.writeErr()
}

// stopBuild ends the builder after what is queued (or drops the filling
// block when the run is over); safe to call more than once.
func (tl *tableLoad) stopBuild() {
	tl.fillMu.Lock()
	defer tl.fillMu.Unlock()
	tl.filling = nil
	tl.buildOnce.Do(func() {})
	if tl.blocks != nil {
		close(tl.blocks)
		<-tl.built
		tl.blocks = nil
	}
}

func (e *emitter) Reject(ctx context.Context, table, reason string, row Row) error {
	outside, err := e.reject(ctx, table, reason, row)
	if tl, ok := e.tables[table]; ok {
		tl.mu.Lock()
		if outside {
			tl.outside++
		} else {
			tl.rejects++
		}
		tl.mu.Unlock()
	}
	return err
}

// reject records row as a reject of table on its row's day, or on the
// window's first day when the row has no day that reads. A row whose day
// lies outside the window is left to the window that holds it, as a good
// row is (outside says so): only a load that covers a reject's day may
// replace it, so no load may write one on a day it does not cover.
func (e *emitter) reject(ctx context.Context, table, reason string, row Row) (outside bool, err error) {
	values := row.Values
	if values == nil && row.Layout != nil {
		values = row.Layout.Map(row.Fields)
	}
	day, from := window.Floor(e.window.Start), schemas.RowDayFromWindow
	if t := e.stream.Table(table); t != nil && e.stream.Windowed && t.Disposition != schemas.ReplaceAll && values != nil {
		if at, ok := transform.DayValue(t, values[t.Day]); ok {
			if !e.window.Contains(at) {
				return true, nil
			}
			day, from = window.Floor(at), schemas.RowDayFromRow
		}
	}
	e.live.Rejects.Add(1)
	raw := row.Raw
	if raw == "" && len(row.RawJSON) > 0 {
		raw = string(row.RawJSON)
	}
	if raw == "" && values != nil {
		raw = rawJSON(values)
	}
	sum := sha256.Sum256([]byte(table + "\x00" + reason + "\x00" + raw))
	rj := e.rejects
	rj.mu.Lock()
	defer rj.mu.Unlock()
	err = rj.batch.Append(map[string]any{
		"source": e.stream.Source, "stream": e.stream.Name, "table_name": table,
		"window_start": e.window.Start, "window_end": e.window.End,
		schemas.RowDay: day, schemas.RowDayFrom: from,
		"location": row.Where, "reason": reason, "raw": raw,
		"row_hash": hex.EncodeToString(sum[:16]),
	})
	if err != nil {
		return false, fmt.Errorf("record reject for %s: %w", table, err)
	}
	rj.rows++
	return false, e.flushIfFull(ctx, rj)
}

func rawJSON(v map[string]any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// flushIfFull hands a full batch to the sink; called with tl.mu held so the
// extractor waits while the sink catches up (memory stays bounded).
func (e *emitter) flushIfFull(ctx context.Context, tl *tableLoad) error {
	if !tl.batch.Full() {
		return nil
	}
	return e.flush(ctx, tl)
}

// flush hands the waiting rows to the table's writer goroutine; it blocks
// while the previous batch is still being written, which is what bounds
// memory. It returns an earlier batch's write error, if any.
func (e *emitter) flush(ctx context.Context, tl *tableLoad) error {
	if err := tl.writeErr(); err != nil {
		return err
	}
	rec := tl.batch.Flush()
	if rec == nil {
		return nil
	}
	select {
	case tl.pending <- rec:
	case <-ctx.Done():
		rec.Release()
		return ctx.Err()
	}
	return tl.writeErr()
}

func (e *emitter) Notice(msg string) {
	e.noticeMu.Lock()
	defer e.noticeMu.Unlock()
	if e.seen[msg] {
		return
	}
	e.seen[msg] = true
	e.notices = append(e.notices, msg)
	e.log.Warn(msg)
}

func (e *emitter) Progress(done, total int) {
	e.live.Done.Store(int64(done))
	e.live.Total.Store(int64(total))
}

func (e *emitter) noticeList() []string {
	e.noticeMu.Lock()
	defer e.noticeMu.Unlock()
	out := append([]string(nil), e.notices...)
	for _, tl := range e.order {
		if n := tl.outside; n > 0 {
			e.log.Debug("rows outside the window left to the window that holds them", "table", tl.table.Name, "rows", n)
		}
	}
	return out
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

func (e *emitter) release() {
	for _, tl := range e.order {
		tl.stopBuild()
		_ = tl.drain()
		tl.batch.Release()
	}
}

func (e *emitter) results() ([]TableResult, int64, int64) {
	var out []TableResult
	var rows, rejects int64
	for _, tl := range e.order {
		if tl == e.rejects {
			continue
		}
		// Counts include every row emitted: wait for the ones being built.
		_ = e.settleBuild(context.Background(), tl)
		tl.mu.Lock()
		out = append(out, TableResult{Table: tl.table.Name, Rows: tl.rows, Rejects: tl.rejects, Unknown: tl.batch.UnknownNames()})
		rows += tl.rows
		rejects += tl.rejects
		tl.mu.Unlock()
	}
	return out, rows, rejects
}

// Summary is a one-line description of a result for logs.
func (r Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s.%s %s: %s, %d rows, %d rejects, %d pages, %d retries, %s", r.Source, r.Stream, r.Window, r.Status, r.Rows, r.Rejects, r.Pages, r.Retries, r.Duration.Round(time.Millisecond))
	if r.Err != nil {
		fmt.Fprintf(&b, ": %v", r.Err)
	}
	return b.String()
}
