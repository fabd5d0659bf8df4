package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

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
