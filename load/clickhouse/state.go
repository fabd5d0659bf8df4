package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/adoptionlabs/etl/state"
)

// Tables of the ClickHouse state store, in the sink's database.
const (
	StateTable            = "etl_state"
	BackfillProgressTable = "etl_backfill_progress"
	BackfillPlansTable    = "etl_backfill_plans"
	LocksTable            = "etl_locks"
)

// DefaultClaimSettle is how long a lock claim waits for competing claims to
// become visible before deciding who won (see Lock).
const DefaultClaimSettle = 300 * time.Millisecond

// StateStore keeps watermarks, backfill progress and run locks in ClickHouse,
// so that whichever machine runs the job sees the same state.
//
// ClickHouse has no UPDATE, DELETE or transactions that 18.16 and current
// releases share, so every change is an inserted row: the tables are
// ReplacingMergeTree(version), readers take the latest version per key with
// argMax (exact whether or not merges happened), and deletions are rows with
// deleted = 1. Versions are milliseconds, bumped past the previous version of
// the key so that two changes within one millisecond still order.
//
// Read-modify-write (Advance never rewinds) is atomic between the goroutines
// of one process; between processes the run lock is what keeps two writers
// apart, as it is for the data itself.
type StateStore struct {
	sink *Sink
	// ownConn: the store opened its own connection (OpenState) and closes it.
	ownConn bool
	host    string
	now     func() time.Time
	settle  time.Duration

	mu     sync.Mutex // serialises read-modify-write; guards closed and locks
	closed bool
	locks  map[*claimLock]struct{}

	// A lock's heartbeat takes versions too: it must not wait for a slow
	// Advance holding mu.
	vmu     sync.Mutex
	version uint64
}

var _ state.Store = (*StateStore)(nil)

// StateOption tunes a StateStore.
type StateOption func(*StateStore)

// WithClaimSettle sets how long a lock claim waits before deciding (default
// DefaultClaimSettle). It must exceed the time an insert takes to become
// visible to other clients plus the clock skew between the machines.
func WithClaimSettle(d time.Duration) StateOption {
	return func(s *StateStore) { s.settle = d }
}

// OpenState connects to the DSN and opens the state store there, without
// the data sink: `etl state` and the nightly plan read watermarks before (or
// without) loading anything. Closing the store closes its connection.
func OpenState(ctx context.Context, dsn string, opts Options, stateOpts ...StateOption) (*StateStore, error) {
	conn, err := Open(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	st, err := conn.StateStore(ctx, stateOpts...)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	st.ownConn = true
	return st, nil
}

// StateStore creates the state tables if missing and returns a store on the
// sink's connection. Closing the store does not close the sink.
func (s *Sink) StateStore(ctx context.Context, opts ...StateOption) (*StateStore, error) {
	st := &StateStore{sink: s, host: state.Hostname(), now: time.Now, settle: DefaultClaimSettle, locks: map[*claimLock]struct{}{}}
	for _, o := range opts {
		o(st)
	}
	if err := s.CreateDatabase(ctx); err != nil {
		return nil, err
	}
	for i, ddl := range stateDDL(quoteIdent(s.db)) {
		if s.cluster != nil {
			// Only what is missing: ON CLUSTER waits for every node, and
			// a nightly run must not wait for a replica that is down.
			have, err := s.columns(ctx, stateTables[i])
			if err != nil {
				return nil, err
			}
			if len(have) > 0 {
				continue
			}
			ddl = s.cluster.names.everywhereDDL(ddl, s.db)
		}
		if err := s.exec(ctx, ddl); err != nil {
			return nil, fmt.Errorf("create state table in ClickHouse database %s: %w (the DSN's user needs CREATE TABLE there)", s.db, err)
		}
	}
	if err := st.addLastRows(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// addLastRows upgrades an etl_state created before last_rows existed. 18.16
// has no ADD COLUMN IF NOT EXISTS, so system.columns is asked first.
func (st *StateStore) addLastRows(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	var n uint64
	if err := retryCatalog(ctx, func() error {
		return st.sink.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = 'last_rows'", st.sink.db, StateTable).Scan(&n)
	}); err != nil {
		return fmt.Errorf("inspect %s.%s: %w", st.sink.db, StateTable, err)
	}
	if n > 0 {
		return nil
	}
	if err := st.sink.exec(ctx, "ALTER TABLE "+st.table(StateTable)+" ADD COLUMN last_rows Int64 AFTER run_id"); err != nil {
		return fmt.Errorf("add last_rows to %s.%s: %w (the DSN's user needs ALTER there)", st.sink.db, StateTable, err)
	}
	return nil
}

// stateTables are the tables stateDDL creates, in its order.
var stateTables = []string{StateTable, BackfillProgressTable, BackfillPlansTable, LocksTable}

// queryTimeout bounds each state statement: they are tiny, and a run must
// not hang on a server that stopped answering.
func (st *StateStore) queryTimeout() time.Duration {
	if t := st.sink.opts.QueryTimeout; t > 0 && t < time.Minute {
		return t
	}
	return time.Minute
}

func (st *StateStore) checkOpen() error {
	if st.closed {
		return state.ErrClosed
	}
	return nil
}

// nextVersion is now in ms, but always above floor and every version this
// store handed out.
func (st *StateStore) nextVersion(floor uint64) uint64 {
	st.vmu.Lock()
	defer st.vmu.Unlock()
	v := uint64(st.now().UnixMilli())
	if v <= floor {
		v = floor + 1
	}
	if v <= st.version {
		v = st.version + 1
	}
	st.version = v
	return v
}

func (st *StateStore) table(name string) string { return st.sink.qualified(name) }

// dateTime maps a zero time to the epoch, which DateTime can hold, and back.
func dateTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

func fromDateTime(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t.UTC()
}

type versioned struct {
	entry   state.Entry
	deleted bool
	version uint64
}

const entryColumns = "source, stream, watermark, last_run, last_success, last_status, last_error, run_id, last_rows, deleted, updated_at_ms"

func (st *StateStore) readEntries(ctx context.Context, where string, args ...any) ([]versioned, error) {
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	q := `SELECT source, stream,
    argMax(watermark, updated_at_ms), argMax(last_run, updated_at_ms), argMax(last_success, updated_at_ms),
    argMax(last_status, updated_at_ms), argMax(last_error, updated_at_ms), argMax(run_id, updated_at_ms),
    argMax(last_rows, updated_at_ms), argMax(deleted, updated_at_ms), max(updated_at_ms)
FROM ` + st.table(StateTable) + ` ` + where + `
GROUP BY source, stream
ORDER BY source, stream`
	rows, err := st.sink.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, StateTable, err)
	}
	defer rows.Close()
	var out []versioned
	for rows.Next() {
		var (
			v       versioned
			deleted uint8
		)
		e := &v.entry
		if err := rows.Scan(&e.Source, &e.Stream, &e.Watermark, &e.LastRun, &e.LastSuccess, &e.LastStatus, &e.LastError, &e.RunID, &e.LastRows, &deleted, &v.version); err != nil {
			return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, StateTable, err)
		}
		e.Watermark, e.LastRun, e.LastSuccess = fromDateTime(e.Watermark), fromDateTime(e.LastRun), fromDateTime(e.LastSuccess)
		v.deleted = deleted == 1
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, StateTable, err)
	}
	return out, nil
}

func (st *StateStore) writeEntries(ctx context.Context, rows []versioned) error {
	if len(rows) == 0 {
		return nil
	}
	batch, _, done, err := prepareBatch(ctx, st.sink.conn, "INSERT INTO "+st.table(StateTable)+" ("+entryColumns+")", st.queryTimeout())
	if err != nil {
		return fmt.Errorf("write %s.%s: %w", st.sink.db, StateTable, err)
	}
	defer func() { _ = batch.Abort(); done() }()
	for _, r := range rows {
		e := r.entry
		var deleted uint8
		if r.deleted {
			deleted = 1
		}
		if err := batch.Append(e.Source, e.Stream, dateTime(e.Watermark), dateTime(e.LastRun), dateTime(e.LastSuccess),
			e.LastStatus, e.LastError, e.RunID, e.LastRows, deleted, r.version); err != nil {
			return fmt.Errorf("write %s.%s: %w", st.sink.db, StateTable, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write %s.%s: %w", st.sink.db, StateTable, err)
	}
	return nil
}

// Get implements state.Store.
func (st *StateStore) Get(ctx context.Context, source, stream string) (state.Entry, bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.checkOpen(); err != nil {
		return state.Entry{}, false, err
	}
	rows, err := st.readEntries(ctx, "WHERE source = ? AND stream = ?", source, stream)
	if err != nil || len(rows) == 0 || rows[0].deleted {
		return state.Entry{}, false, err
	}
	return rows[0].entry, true, nil
}

// Advance implements state.Store.
func (st *StateStore) Advance(ctx context.Context, e state.Entry) error {
	return st.record(ctx, e, true)
}

// RecordFailure implements state.Store.
func (st *StateStore) RecordFailure(ctx context.Context, e state.Entry) error {
	return st.record(ctx, e, false)
}

func (st *StateStore) record(ctx context.Context, e state.Entry, committed bool) error {
	if err := state.CheckEntry(e); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.checkOpen(); err != nil {
		return err
	}
	rows, err := st.readEntries(ctx, "WHERE source = ? AND stream = ?", e.Source, e.Stream)
	if err != nil {
		return fmt.Errorf("save state of %s.%s: %w", e.Source, e.Stream, err)
	}
	var (
		prev   state.Entry
		exists bool
		floor  uint64
	)
	if len(rows) > 0 {
		floor = rows[0].version
		if !rows[0].deleted {
			prev, exists = rows[0].entry, true
		}
	}
	next := state.Merge(prev, exists, e, committed, st.now())
	if err := st.writeEntries(ctx, []versioned{{entry: next, version: st.nextVersion(floor)}}); err != nil {
		return fmt.Errorf("save state of %s.%s: %w", e.Source, e.Stream, err)
	}
	return nil
}

// List implements state.Store.
func (st *StateStore) List(ctx context.Context) ([]state.Entry, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := st.readEntries(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []state.Entry
	for _, r := range rows {
		if !r.deleted {
			out = append(out, r.entry)
		}
	}
	return out, nil
}

// Reset implements state.Store: it writes deletion rows for the stream's
// entry and for its backfill tasks of every plan.
func (st *StateStore) Reset(ctx context.Context, source, stream string) (int, error) {
	if source == "" {
		return 0, errors.New("state reset needs a source")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.checkOpen(); err != nil {
		return 0, err
	}
	what := source
	where, args := "WHERE source = ?", []any{source}
	if stream != "" {
		what = source + "." + stream
		where, args = "WHERE source = ? AND stream = ?", []any{source, stream}
	}
	rows, err := st.readEntries(ctx, where, args...)
	if err != nil {
		return 0, fmt.Errorf("reset state of %s: %w", what, err)
	}
	var gone []versioned
	for _, r := range rows {
		if r.deleted {
			continue
		}
		r.deleted = true
		r.version = st.nextVersion(r.version)
		gone = append(gone, r)
	}
	if err := st.writeEntries(ctx, gone); err != nil {
		return 0, fmt.Errorf("reset state of %s: %w", what, err)
	}
	if err := st.resetBackfills(ctx, where, args); err != nil {
		return 0, fmt.Errorf("reset backfill progress of %s (its watermarks are reset): %w", what, err)
	}
	return len(gone), nil
}

// Close implements state.Store: heartbeats stop, unreleased claims stay and
// go stale after their ttl. A sink's connection stays open; the store's own
// (OpenState) is closed.
func (st *StateStore) Close() error {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil
	}
	st.closed = true
	locks := st.locks
	st.locks = nil
	st.mu.Unlock()
	for l := range locks {
		l.stopHeartbeat()
	}
	if st.ownConn {
		if err := st.sink.Close(); err != nil {
			return fmt.Errorf("close the ClickHouse state store's connection: %w", err)
		}
	}
	return nil
}
