package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/adoptionlabs/etl/schemas"
)

// How a load's rows reach staging. The engine hands over Arrow records of
// run.batch_rows (8,192 by default) rows. One INSERT per record made ClickHouse write
// a part per record and partition and cost a round trip and a part commit
// each (measured: 200,000 sessions in ten INSERTs 0.85 s, in one INSERT
// that sends each record as a data block 0.3 s). So an INSERT stays open
// across records: each record is sent as one data block as soon as it is
// converted (the client holds one record's columns, never a window), and
// the server squashes the blocks into parts of up to
// min_insert_block_size_rows (checked on 18.16: ten 20,000-row blocks make
// the parts one 200,000-row block does).
const (
	// insertRows closes an INSERT once it carried this many rows: the
	// server's own squashing size, so parts are as large as they get.
	insertRows = 1 << 20
	// insertOpenFor closes an INSERT that has been open this long at the
	// next record, so that it ends well within the query timeout.
	insertOpenFor = time.Minute
	// defaultInsertIdle closes an INSERT no record reached for this long: a
	// slow source must not hold a connection, and the server drops an
	// INSERT that waits for data longer than its receive_timeout (300 s).
	defaultInsertIdle = 5 * time.Second
	// insertSquashRows is the INSERT's min_insert_block_size_rows: the
	// server writes a part (per partition) each time this many rows have
	// come, while the rest are still being extracted. At the default
	// (1,048,576) it held a whole load and wrote it only once the INSERT
	// closed, after extraction: 0.3 s of a 2.0 s, 395k-row Userflow
	// backfill spent waiting on it. A 395k-row load then makes 6 parts per
	// table instead of 4 (at 32,768 rows: 8-10, and no faster); background
	// merges fold them. At 1M sessions (1.9M rows): 7.5-8.1 s against
	// 11.7-12.2 s, 15-19 parts per table against 4-5. A DSN that sets
	// min_insert_block_size_rows keeps its own.
	insertSquashRows = 65536
	// openInserts bounds the INSERTs one sink keeps open: each holds one of
	// the driver's connections (10 by default), and state, lock and
	// commit queries need theirs. A writer that finds none free sends each
	// record as its own INSERT, as before.
	openInserts = 4
	// sendRows is the most rows one data block carries: a record goes out
	// in slices of this many, so the driver's column buffers and its
	// connection buffer stay small enough to stay in cache, which is faster
	// and smaller than a block a record (BENCHMARKS.md, "Defaults these
	// figures chose"). The server squashes the blocks into parts as before.
	sendRows = 4096
)

// stager streams one load's records into its staging table.
type stager struct {
	sink  *Sink
	table *schemas.Table
	into  string
	// settings are added to every INSERT's min_insert_block_size_rows (the
	// cluster's distributed inserts have theirs).
	settings ch.Settings
	// idle is how long an open INSERT waits for the next record.
	idle time.Duration

	mu     sync.Mutex
	batch  driver.Batch
	bctx   context.Context
	cancel context.CancelFunc // ends the open INSERT's deadline and watchdog
	slot   bool               // the open INSERT holds one of the sink's slots
	opened time.Time
	rows   int
	// gen tells an idle timer whether the INSERT it was set for is still
	// the open one.
	gen   uint64
	timer *time.Timer
	// err is the first failure: the rows of a failed INSERT may be partly
	// in staging, so nothing more is sent and the load must not commit.
	err error
	// names is the INSERT's column list.
	names   []string
	scratch scratch
}

func newStager(s *Sink, t *schemas.Table, into string, settings ch.Settings) *stager {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	idle := s.insertIdle
	if idle <= 0 {
		idle = defaultInsertIdle
	}
	return &stager{sink: s, table: t, into: into, settings: settings, idle: idle, names: names}
}

// write sends rec to staging as one data block of the open INSERT (opening
// one if none is).
func (st *stager) write(ctx context.Context, rec arrow.Record) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if int(rec.NumCols()) != len(st.table.Columns) {
		return fmt.Errorf("batch has %d columns, table %s declares %d", rec.NumCols(), st.table.Name, len(st.table.Columns))
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err != nil {
		return st.err
	}
	st.stopTimer()
	if st.batch == nil {
		if err := st.open(ctx); err != nil {
			st.err = err
			return err
		}
	}
	if !st.slot {
		if err := appendRecord(st.batch, st.table, st.into, rec, &st.scratch); err != nil {
			return st.failLocked(err)
		}
		st.rows += int(rec.NumRows())
		return st.closeLocked()
	}
	for lo := int64(0); lo < rec.NumRows(); lo += sendRows {
		part := rec.NewSlice(lo, min(lo+sendRows, rec.NumRows()))
		err := appendRecord(st.batch, st.table, st.into, part, &st.scratch)
		part.Release()
		if err != nil {
			return st.failLocked(err)
		}
		if err := st.batch.Flush(); err != nil || st.bctx.Err() != nil {
			if err == nil {
				err = st.bctx.Err()
			}
			return st.failLocked(fmt.Errorf("send %d rows to %s: %w", rec.NumRows(), st.into, err))
		}
	}
	st.rows += int(rec.NumRows())
	if st.rows >= insertRows || time.Since(st.opened) >= st.openFor() {
		return st.closeLocked()
	}
	gen := st.gen
	st.timer = time.AfterFunc(st.idle, func() { st.closeIdle(gen) })
	return nil
}

func (st *stager) open(ctx context.Context) error {
	select {
	case st.sink.insertSlots <- struct{}{}:
		st.slot = true
	default:
		st.slot = false
	}
	// A data block written to a server that stopped reading would block
	// forever: prepareBatch aborts the INSERT at its deadline, which closes
	// the connection and ends the write.
	// These replace any settings ctx carries (clickhouse-go has no way to
	// add to them): a setting every staging INSERT needs goes here or in
	// the DSN.
	settings := ch.Settings{}
	if st.sink.squashRows > 0 {
		settings["min_insert_block_size_rows"] = st.sink.squashRows
	}
	maps.Copy(settings, st.settings)
	batch, bctx, done, err := prepareBatch(ch.Context(ctx, ch.WithSettings(settings)), st.sink.conn, insertInto(st.sink.qualified(st.into), st.names), st.sink.opts.QueryTimeout)
	if err != nil {
		st.releaseSlot()
		return fmt.Errorf("prepare insert into %s: %w", st.into, err)
	}
	st.batch, st.bctx, st.opened, st.rows = batch, bctx, time.Now(), 0
	st.cancel = done
	st.gen++
	return nil
}

// closeLocked ends the open INSERT: the server writes what it squashed and
// answers once the rows are in staging.
func (st *stager) closeLocked() error {
	rows := st.rows
	err := st.batch.Send()
	if err == nil && st.bctx.Err() != nil {
		// The watchdog aborted the INSERT; the driver may then have sent
		// the rest on a fresh connection as an INSERT of its own, and the
		// blocks sent before are not all in staging.
		err = st.bctx.Err()
	}
	st.endLocked()
	if err != nil {
		st.err = fmt.Errorf("insert %d rows into %s: %w", rows, st.into, err)
	}
	return st.err
}

// failLocked abandons the open INSERT after err.
func (st *stager) failLocked(err error) error {
	_ = st.batch.Abort()
	st.endLocked()
	st.err = err
	return err
}

func (st *stager) endLocked() {
	st.cancel()
	st.releaseSlot()
	st.batch, st.bctx, st.cancel, st.rows = nil, nil, nil, 0
	// A backfill keeps many loads (one per chunk) between their INSERTs:
	// only an open INSERT keeps its conversion buffers.
	st.scratch = scratch{}
	st.gen++
}

// openFor is how long an INSERT may stay open: well within its deadline.
func (st *stager) openFor() time.Duration {
	return min(insertOpenFor, st.sink.opts.QueryTimeout/2)
}

func (st *stager) releaseSlot() {
	if st.slot {
		<-st.sink.insertSlots
		st.slot = false
	}
}

func (st *stager) stopTimer() {
	if st.timer != nil {
		st.timer.Stop()
		st.timer = nil
	}
}

func (st *stager) closeIdle(gen uint64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.batch != nil && st.gen == gen && st.err == nil {
		_ = st.closeLocked()
	}
}

// flush waits until every row written so far is in staging, and returns
// the first failure of any INSERT of this load.
func (st *stager) flush() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stopTimer()
	if st.batch != nil && st.err == nil {
		return st.closeLocked()
	}
	return st.err
}

// discard abandons the open INSERT, if any (the load is aborted).
func (st *stager) discard() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stopTimer()
	if st.batch != nil {
		_ = st.batch.Abort()
		st.endLocked()
	}
}

// appendRecord appends rec's columns to the batch's block, column by
// column, converting through sc.
func appendRecord(batch driver.Batch, t *schemas.Table, into string, rec arrow.Record, sc *scratch) error {
	for i, c := range t.Columns {
		col := batch.Column(i)
		if c.Type == schemas.StringList {
			// The driver appends a whole [][]string through reflection, row
			// by row; a row's []string takes its direct path.
			if err := appendLists(col, rec.Column(i).(*array.List), sc); err != nil {
				return fmt.Errorf("column %s of %s: %w", c.Name, into, err)
			}
			continue
		}
		vals, err := sc.values(c, rec.Column(i))
		if err != nil {
			return fmt.Errorf("column %s: %w", c.Name, err)
		}
		if err := col.Append(vals); err != nil {
			return fmt.Errorf("column %s of %s: %w", c.Name, into, err)
		}
	}
	return nil
}

func appendLists(col driver.BatchColumn, a *array.List, sc *scratch) error {
	n := a.Len()
	vals := a.ListValues().(*array.String)
	// Offsets is the whole array's, also for a slice of it (a record
	// goes out in slices of sendRows rows).
	offsets := a.Offsets()[a.Data().Offset() : a.Data().Offset()+n+1]
	// Every row's items are a slice of one backing array.
	all := grow(&sc.strs, int(offsets[n])-int(offsets[0]))
	for j := range all {
		all[j] = vals.Value(int(offsets[0]) + j)
	}
	for i := 0; i < n; i++ {
		lo, hi := offsets[i]-offsets[0], offsets[i+1]-offsets[0]
		if err := col.AppendRow(all[lo:hi:hi]); err != nil {
			return err
		}
	}
	return nil
}

// scratch holds the slices a record's columns are converted into. The
// driver copies what it is given into its own column, so they are reused
// from column to column and record to record instead of allocated anew.
type scratch struct {
	strs   []string
	sptrs  []*string
	i64    []int64
	i64p   []*int64
	f64    []float64
	f64p   []*float64
	u8     []uint8
	u8p    []*uint8
	times  []time.Time
	timesp []*time.Time
}

// grow returns (*buf)[:n], reallocating only when it is too short.
func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

// values turns an Arrow column into the slice clickhouse-go appends for
// the column's ClickHouse type (pointers for Nullable); string lists go
// through appendLists.
func (sc *scratch) values(c schemas.Column, col arrow.Array) (any, error) {
	n := col.Len()
	switch c.Type {
	case schemas.String, schemas.JSON:
		a := col.(*array.String)
		vals := grow(&sc.strs, n)
		for i := range vals {
			vals[i] = a.Value(i)
		}
		if !c.Nullable {
			return vals, nil
		}
		out := grow(&sc.sptrs, n)
		for i := range out {
			out[i] = nil
			if a.IsValid(i) {
				out[i] = &vals[i]
			}
		}
		return out, nil
	case schemas.Int64:
		return convert(c, col.(*array.Int64), n, &sc.i64, &sc.i64p, func(a *array.Int64, i int) int64 { return a.Value(i) }), nil
	case schemas.Float64:
		return convert(c, col.(*array.Float64), n, &sc.f64, &sc.f64p, func(a *array.Float64, i int) float64 { return a.Value(i) }), nil
	case schemas.Bool:
		return convert(c, col.(*array.Boolean), n, &sc.u8, &sc.u8p, func(a *array.Boolean, i int) uint8 {
			if a.Value(i) {
				return 1
			}
			return 0
		}), nil
	case schemas.Timestamp:
		return convert(c, col.(*array.Timestamp), n, &sc.times, &sc.timesp, func(a *array.Timestamp, i int) time.Time {
			return time.UnixMilli(int64(a.Value(i))).UTC()
		}), nil
	case schemas.Date:
		return convert(c, col.(*array.Date32), n, &sc.times, &sc.timesp, func(a *array.Date32, i int) time.Time {
			return a.Value(i).ToTime().UTC()
		}), nil
	}
	return nil, fmt.Errorf("unsupported type %s", c.Type)
}

func convert[A interface{ IsValid(int) bool }, T any](c schemas.Column, a A, n int, buf *[]T, ptrs *[]*T, get func(A, int) T) any {
	vals := grow(buf, n)
	for i := range vals {
		vals[i] = get(a, i)
	}
	if !c.Nullable {
		return vals
	}
	out := grow(ptrs, n)
	for i := range out {
		out[i] = nil
		if a.IsValid(i) {
			out[i] = &vals[i]
		}
	}
	return out
}
