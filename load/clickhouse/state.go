package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
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
	sink   *Sink
	host   string
	now    func() time.Time
	settle time.Duration

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
			ddl = s.everywhereDDL(ddl)
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
	if err := st.sink.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = 'last_rows'", st.sink.db, StateTable).Scan(&n); err != nil {
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

// stateDDL is the state tables' DDL: types 18.16 and current releases share
// (no Bool, DateTime64 or LowCardinality). DateTime keeps whole seconds, the
// precision the state package promises; lock times are milliseconds.
func stateDDL(db string) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + db + `.` + quoteIdent(StateTable) + ` (
    source String,
    stream String,
    watermark DateTime('UTC') COMMENT 'end (exclusive) of the last committed window; 1970-01-01 when none',
    last_run DateTime('UTC'),
    last_success DateTime('UTC'),
    last_status String,
    last_error String,
    run_id String,
    last_rows Int64 COMMENT 'rows the last committed run loaded',
    deleted UInt8 COMMENT '1 = forgotten by etl state reset',
    updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY (source, stream)`,
		`CREATE TABLE IF NOT EXISTS ` + db + `.` + quoteIdent(BackfillProgressTable) + ` (
    plan_id String,
    task_key String,
    source String,
    stream String,
    done_at DateTime('UTC'),
    deleted UInt8,
    updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY (plan_id, task_key)`,
		`CREATE TABLE IF NOT EXISTS ` + db + `.` + quoteIdent(BackfillPlansTable) + ` (
    plan_id String,
    command String,
    destination String,
    tasks UInt32,
    started DateTime('UTC'),
    completed DateTime('UTC') COMMENT '1970-01-01 while unfinished',
    updated_at_ms UInt64
) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY plan_id`,
		`CREATE TABLE IF NOT EXISTS ` + db + `.` + quoteIdent(LocksTable) + ` (
    name String,
    token String,
    host String,
    pid Int64,
    run_id String,
    command String,
    since_ms UInt64 COMMENT 'when the holder says it started',
    claimed_ms UInt64 COMMENT 'when the claim was made: claims are ordered by (claimed_ms, token)',
    heartbeat_ms UInt64,
    released UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (name, token)`,
	}
}

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
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	batch, err := st.sink.conn.PrepareBatch(ctx, "INSERT INTO "+st.table(StateTable)+" ("+entryColumns+")")
	if err != nil {
		return fmt.Errorf("write %s.%s: %w", st.sink.db, StateTable, err)
	}
	defer func() { _ = batch.Abort() }()
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

type task struct {
	plan, key, source, stream string
	version                   uint64
}

func (st *StateStore) resetBackfills(ctx context.Context, where string, args []any) error {
	qctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	rows, err := st.sink.conn.Query(qctx, `SELECT plan_id, task_key, any(source), any(stream), max(updated_at_ms)
FROM `+st.table(BackfillProgressTable)+` `+where+`
GROUP BY plan_id, task_key
HAVING argMax(deleted, updated_at_ms) = 0`, args...)
	if err != nil {
		return err
	}
	var live []task
	for rows.Next() {
		var t task
		if err := rows.Scan(&t.plan, &t.key, &t.source, &t.stream, &t.version); err != nil {
			rows.Close()
			return err
		}
		live = append(live, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return st.writeTasks(ctx, live, true)
}

func (st *StateStore) writeTasks(ctx context.Context, tasks []task, deleted bool) error {
	if len(tasks) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	batch, err := st.sink.conn.PrepareBatch(ctx, "INSERT INTO "+st.table(BackfillProgressTable)+" (plan_id, task_key, source, stream, done_at, deleted, updated_at_ms)")
	if err != nil {
		return err
	}
	defer func() { _ = batch.Abort() }()
	var del uint8
	if deleted {
		del = 1
	}
	now := st.now().UTC().Truncate(time.Second)
	for _, t := range tasks {
		if err := batch.Append(t.plan, t.key, t.source, t.stream, now, del, st.nextVersion(t.version)); err != nil {
			return err
		}
	}
	return batch.Send()
}

// MarkDone implements state.Store.
func (st *StateStore) MarkDone(ctx context.Context, planID, taskKey string) error {
	if err := state.CheckPlanID(planID); err != nil {
		return err
	}
	if taskKey == "" {
		return errors.New("backfill task key is empty")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.checkOpen(); err != nil {
		return err
	}
	// Source and stream are stored apart so Reset finds a stream's tasks
	// without parsing keys in SQL; a key of another shape keeps them empty.
	source, stream, _ := state.SplitTaskKey(taskKey)
	if err := st.writeTasks(ctx, []task{{plan: planID, key: taskKey, source: source, stream: stream}}, false); err != nil {
		return fmt.Errorf("save backfill progress (plan %s, task %s) to %s.%s: %w; a rerun redoes that task harmlessly", planID, taskKey, st.sink.db, BackfillProgressTable, err)
	}
	return nil
}

// DoneTasks implements state.Store.
func (st *StateStore) DoneTasks(ctx context.Context, planID string) (map[string]bool, error) {
	if err := state.CheckPlanID(planID); err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.checkOpen(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	rows, err := st.sink.conn.Query(ctx, `SELECT task_key FROM `+st.table(BackfillProgressTable)+`
WHERE plan_id = ?
GROUP BY task_key
HAVING argMax(deleted, updated_at_ms) = 0`, planID)
	if err != nil {
		return nil, fmt.Errorf("read backfill progress (plan %s) from %s.%s: %w", planID, st.sink.db, BackfillProgressTable, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("read backfill progress (plan %s): %w", planID, err)
		}
		out[k] = true
	}
	return out, rows.Err()
}

// SavePlan implements state.Store.
func (st *StateStore) SavePlan(ctx context.Context, p state.Plan) error {
	if err := state.CheckPlanID(p.ID); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.checkOpen(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	var floor uint64
	if err := st.sink.conn.QueryRow(ctx, "SELECT max(updated_at_ms) FROM "+st.table(BackfillPlansTable)+" WHERE plan_id = ?", p.ID).Scan(&floor); err != nil {
		return fmt.Errorf("save backfill plan %s to %s.%s: %w", p.ID, st.sink.db, BackfillPlansTable, err)
	}
	batch, err := st.sink.conn.PrepareBatch(ctx, "INSERT INTO "+st.table(BackfillPlansTable)+" (plan_id, command, destination, tasks, started, completed, updated_at_ms)")
	if err != nil {
		return fmt.Errorf("save backfill plan %s to %s.%s: %w", p.ID, st.sink.db, BackfillPlansTable, err)
	}
	defer func() { _ = batch.Abort() }()
	if err := batch.Append(p.ID, p.Command, p.Destination, uint32(p.Tasks), dateTime(p.Started.Truncate(time.Second)), dateTime(p.Completed.Truncate(time.Second)), st.nextVersion(floor)); err != nil {
		return fmt.Errorf("save backfill plan %s: %w", p.ID, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("save backfill plan %s to %s.%s: %w", p.ID, st.sink.db, BackfillPlansTable, err)
	}
	return nil
}

// Plans implements state.Store.
func (st *StateStore) Plans(ctx context.Context) ([]state.Plan, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.checkOpen(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	rows, err := st.sink.conn.Query(ctx, `SELECT plan_id, argMax(command, updated_at_ms), argMax(destination, updated_at_ms),
    argMax(tasks, updated_at_ms), argMax(started, updated_at_ms), argMax(completed, updated_at_ms)
FROM `+st.table(BackfillPlansTable)+`
GROUP BY plan_id
ORDER BY plan_id`)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, BackfillPlansTable, err)
	}
	var out []state.Plan
	for rows.Next() {
		var (
			p     state.Plan
			tasks uint32
		)
		if err := rows.Scan(&p.ID, &p.Command, &p.Destination, &tasks, &p.Started, &p.Completed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, BackfillPlansTable, err)
		}
		p.Tasks, p.Started, p.Completed = int(tasks), fromDateTime(p.Started), fromDateTime(p.Completed)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, BackfillPlansTable, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	done := map[string]int{}
	rows, err = st.sink.conn.Query(ctx, `SELECT plan_id, count() FROM (
    SELECT plan_id, task_key FROM `+st.table(BackfillProgressTable)+`
    GROUP BY plan_id, task_key
    HAVING argMax(deleted, updated_at_ms) = 0
) GROUP BY plan_id`)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, BackfillProgressTable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			n  uint64
		)
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, BackfillProgressTable, err)
		}
		done[id] = int(n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, BackfillProgressTable, err)
	}
	for i := range out {
		out[i].Done = done[out[i].ID]
	}
	return out, nil
}

// ClearProgress implements state.Store: deletion rows for the plan's tasks.
func (st *StateStore) ClearProgress(ctx context.Context, planID string) error {
	if err := state.CheckPlanID(planID); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.checkOpen(); err != nil {
		return err
	}
	if err := st.resetBackfills(ctx, "WHERE plan_id = ?", []any{planID}); err != nil {
		return fmt.Errorf("clear backfill progress (plan %s) in %s.%s: %w", planID, st.sink.db, BackfillProgressTable, err)
	}
	return nil
}

// Close implements state.Store: heartbeats stop, unreleased claims stay and
// go stale after their ttl. The sink's connection stays open.
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
	return nil
}

// Locks.
//
// ClickHouse has no compare-and-set, so a lock is a claim protocol over
// etl_locks, one row per (name, token), newest version wins:
//
//  1. Look: if a live claim exists (released = 0 and a heartbeat within the
//     ttl), fail with LockedError naming it.
//  2. Claim: insert (name, token, holder, claimed_ms = now, heartbeat_ms =
//     now, released = 0). If that insert took more than half the settle
//     time, withdraw and try again (up to 3 times): a slow insert could
//     become visible only after a later claimant already decided.
//  3. Settle: wait DefaultClaimSettle (300 ms) so that claims made at about
//     the same time by other machines become visible.
//  4. Decide: read the live claims; the first by (claimed_ms, token) wins.
//     Everyone reads the same rows, so everyone agrees on the first. A loser
//     marks its claim released and fails with LockedError naming the winner.
//     A winner marks the stale claims it passed over as released and
//     reports the latest of them as taken over.
//  5. Hold: insert a newer version of the claim (fresh heartbeat_ms) every
//     min(ttl/4, 1 min). Before each heartbeat the holder checks that it is
//     still the first live claim and that its own last heartbeat is within
//     the ttl; otherwise it stops and closes Lost (and never revives a
//     claim others may have taken over).
//  6. Release: insert a version with released = 1. It concerns only our own
//     token, so it can never remove somebody else's lock.
//
// Guarantee: two contenders whose claims are both visible to each other
// within the settle time never both win. It holds when (a) an insert is
// visible to every client once it returned (true for one server or
// synchronous replication; with asynchronous replicas, point every etl run
// at the same replica), (b) the clocks of the machines differ by well under
// half the settle time (claimed_ms comes from the claimant's clock; NTP is
// enough), and (c) the ttl is long compared with the heartbeat interval and
// with any pause of a holder (a holder stalled for longer than the ttl is
// taken over and learns it only at its next heartbeat, through Lost).
// Limits: a contender can lose spuriously to a claim that is withdrawn right
// after (the run then says the lock is held and exits: the safe direction);
// a claim costs the settle time plus three round trips.

// claim is the latest version of one token's row.
type claim struct {
	token     string
	holder    state.Holder
	claimed   uint64
	heartbeat uint64
	released  bool
	version   uint64
}

func (c claim) live(nowMs uint64, ttl time.Duration) bool {
	return !c.released && !c.staleAt(nowMs, ttl)
}

// staleAt: no heartbeat for ttl, or a holder on this very host whose process
// is gone (a run killed with SIGKILL is taken over at once, not after ttl).
// Hosts are told apart by hostname, which containers and VMs keep unique.
func (c claim) staleAt(nowMs uint64, ttl time.Duration) bool {
	if c.holder.Host == state.Hostname() && c.holder.PID > 0 && c.holder.PID != os.Getpid() && !state.ProcessAlive(c.holder.PID) {
		return true
	}
	return nowMs > c.heartbeat && nowMs-c.heartbeat > uint64(ttl.Milliseconds())
}

const lockColumns = "name, token, host, pid, run_id, command, since_ms, claimed_ms, heartbeat_ms, released, version"

// claims returns the latest version of every claim of name, ordered by
// (claimed_ms, token): the order that decides who holds the lock.
func (st *StateStore) claims(ctx context.Context, name string) ([]claim, error) {
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	rows, err := st.sink.conn.Query(ctx, `SELECT token,
    argMax(host, version), argMax(pid, version), argMax(run_id, version), argMax(command, version),
    argMax(since_ms, version), argMax(claimed_ms, version), argMax(heartbeat_ms, version),
    argMax(released, version), max(version)
FROM `+st.table(LocksTable)+`
WHERE name = ?
GROUP BY token`, name)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, LocksTable, err)
	}
	defer rows.Close()
	var out []claim
	for rows.Next() {
		var (
			c        claim
			pid      int64
			sinceMs  uint64
			released uint8
		)
		if err := rows.Scan(&c.token, &c.holder.Host, &pid, &c.holder.RunID, &c.holder.Command, &sinceMs, &c.claimed, &c.heartbeat, &released, &c.version); err != nil {
			return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, LocksTable, err)
		}
		c.holder.PID = int(pid)
		c.holder.Since = time.UnixMilli(int64(sinceMs)).UTC()
		c.released = released == 1
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", st.sink.db, LocksTable, err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].claimed != out[j].claimed {
			return out[i].claimed < out[j].claimed
		}
		return out[i].token < out[j].token
	})
	return out, nil
}

func (st *StateStore) writeClaim(ctx context.Context, name string, c claim) error {
	ctx, cancel := context.WithTimeout(ctx, st.queryTimeout())
	defer cancel()
	batch, err := st.sink.conn.PrepareBatch(ctx, "INSERT INTO "+st.table(LocksTable)+" ("+lockColumns+")")
	if err != nil {
		return fmt.Errorf("write %s.%s: %w", st.sink.db, LocksTable, err)
	}
	defer func() { _ = batch.Abort() }()
	var released uint8
	if c.released {
		released = 1
	}
	h := c.holder
	if err := batch.Append(name, c.token, h.Host, int64(h.PID), h.RunID, h.Command, uint64(h.Since.UnixMilli()), c.claimed, c.heartbeat, released, c.version); err != nil {
		return fmt.Errorf("write %s.%s: %w", st.sink.db, LocksTable, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write %s.%s: %w", st.sink.db, LocksTable, err)
	}
	return nil
}

func (st *StateStore) nowMs() uint64 { return uint64(st.now().UnixMilli()) }

func (st *StateStore) locked(name string, c claim, ttl time.Duration) *state.LockedError {
	return &state.LockedError{
		Name: name, Holder: c.holder, Age: st.now().Sub(c.holder.Since),
		LastHeartbeat: time.UnixMilli(int64(c.heartbeat)).UTC(), TTL: ttl,
	}
}

func firstLive(cs []claim, nowMs uint64, ttl time.Duration) (claim, bool) {
	for _, c := range cs {
		if c.live(nowMs, ttl) {
			return c, true
		}
	}
	return claim{}, false
}

// Lock implements state.Store with the claim protocol described above.
func (st *StateStore) Lock(ctx context.Context, name string, ttl time.Duration, me state.Holder) (state.Lock, *state.Holder, error) {
	if err := state.CheckLockName(name); err != nil {
		return nil, nil, err
	}
	if ttl <= 0 {
		return nil, nil, fmt.Errorf("lock %q: ttl must be positive, got %s", name, ttl)
	}
	st.mu.Lock()
	err := st.checkOpen()
	st.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	me = state.Me(me, st.now())
	for attempt := 0; attempt < 3; attempt++ {
		l, stale, retry, err := st.tryLock(ctx, name, ttl, me)
		if !retry {
			return l, stale, err
		}
	}
	return nil, nil, fmt.Errorf("lock %q: ClickHouse took longer than %s to store a claim three times in a row; a lock cannot be decided safely that slowly (is the server overloaded?)", name, st.settle/2)
}

func (st *StateStore) tryLock(ctx context.Context, name string, ttl time.Duration, me state.Holder) (l state.Lock, stale *state.Holder, retry bool, err error) {
	fail := func(err error) (state.Lock, *state.Holder, bool, error) {
		return nil, nil, false, fmt.Errorf("lock %q in %s.%s: %w", name, st.sink.db, LocksTable, err)
	}
	cs, err := st.claims(ctx, name)
	if err != nil {
		return fail(err)
	}
	if c, ok := firstLive(cs, st.nowMs(), ttl); ok {
		return nil, nil, false, st.locked(name, c, ttl)
	}

	start := st.nowMs()
	mine := claim{token: newClaimToken(), holder: me, claimed: start, heartbeat: start, version: st.nextVersion(0)}
	if err := st.writeClaim(ctx, name, mine); err != nil {
		return fail(err)
	}
	withdraw := func() error {
		mine.released, mine.version = true, st.nextVersion(mine.version)
		// A fresh context: a cancelled caller must not leave a live claim.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), st.queryTimeout())
		defer cancel()
		return st.writeClaim(wctx, name, mine)
	}
	if took := time.Duration(st.nowMs()-start) * time.Millisecond; took > st.settle/2 {
		if err := withdraw(); err != nil {
			return fail(err)
		}
		return nil, nil, true, nil
	}
	select {
	case <-ctx.Done():
		_ = withdraw()
		return fail(ctx.Err())
	case <-time.After(st.settle):
	}

	cs, err = st.claims(ctx, name)
	if err != nil {
		_ = withdraw()
		return fail(err)
	}
	now := st.nowMs()
	first, ok := firstLive(cs, now, ttl)
	if !ok || first.token != mine.token {
		if err := withdraw(); err != nil {
			return fail(err)
		}
		if !ok {
			return fail(errors.New("our own claim is not visible after the settle time; retry"))
		}
		return nil, nil, false, st.locked(name, first, ttl)
	}

	// Won. Claims passed over as stale are closed so the table reads clearly
	// and each is reported once.
	var passed []claim
	for _, c := range cs {
		if !c.released && c.token != mine.token && c.staleAt(now, ttl) {
			passed = append(passed, c)
		}
	}
	for _, c := range passed {
		c.released, c.version = true, st.nextVersion(c.version)
		if err := st.writeClaim(ctx, name, c); err != nil {
			_ = withdraw()
			return fail(err)
		}
	}
	if len(passed) > 0 {
		latest := passed[0]
		for _, c := range passed[1:] {
			if c.heartbeat > latest.heartbeat {
				latest = c
			}
		}
		h := latest.holder
		stale = &h
	}

	cl := &claimLock{
		store: st, name: name, ttl: ttl, holder: mine.holder, claim: mine,
		// What others judge us by: the heartbeat stored, not when we won.
		lastBeat: time.UnixMilli(int64(mine.heartbeat)),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		lost:     make(chan struct{}),
	}
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		_ = withdraw()
		return nil, nil, false, state.ErrClosed
	}
	st.locks[cl] = struct{}{}
	st.mu.Unlock()
	go cl.heartbeat()
	return cl, stale, false, nil
}

func newClaimToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type claimLock struct {
	store  *StateStore
	name   string
	ttl    time.Duration
	holder state.Holder

	mu       sync.Mutex // guards claim and lastBeat
	claim    claim
	lastBeat time.Time

	stopOnce sync.Once
	lostOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	lost     chan struct{}
}

func (l *claimLock) Holder() state.Holder  { return l.holder }
func (l *claimLock) Lost() <-chan struct{} { return l.lost }

func heartbeatInterval(ttl time.Duration) time.Duration {
	d := ttl / 4
	if d > time.Minute {
		d = time.Minute
	}
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	return d
}

func (l *claimLock) heartbeat() {
	defer close(l.done)
	every := heartbeatInterval(l.ttl)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		if !l.beat(every) {
			l.lostOnce.Do(func() { close(l.lost) })
			return
		}
	}
}

// beat renews the claim; false means the lock is no longer ours.
func (l *claimLock) beat(every time.Duration) bool {
	st := l.store
	l.mu.Lock()
	lapsed := st.now().Sub(l.lastBeat) > l.ttl
	c := l.claim
	l.mu.Unlock()
	if lapsed {
		return false // others may have taken over: never revive the claim
	}
	ctx, cancel := context.WithTimeout(context.Background(), every)
	defer cancel()
	cs, err := st.claims(ctx, l.name)
	if err != nil {
		return true // try again at the next tick; the ttl spans several
	}
	now := st.nowMs()
	if first, ok := firstLive(cs, now, l.ttl); !ok || first.token != c.token {
		return false
	}
	c.heartbeat, c.version = now, st.nextVersion(c.version)
	if err := st.writeClaim(ctx, l.name, c); err != nil {
		return true
	}
	l.mu.Lock()
	l.claim, l.lastBeat = c, time.UnixMilli(int64(now))
	l.mu.Unlock()
	return true
}

func (l *claimLock) stopHeartbeat() {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
}

// Release implements state.Lock. It runs even when ctx is already cancelled
// (Ctrl-C): leaving the claim would block the next run for the ttl.
func (l *claimLock) Release(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	l.stopHeartbeat()
	st := l.store
	st.mu.Lock()
	_, held := st.locks[l]
	delete(st.locks, l)
	st.mu.Unlock()
	if !held {
		return nil
	}
	l.mu.Lock()
	c := l.claim
	l.mu.Unlock()
	c.released, c.heartbeat, c.version = true, st.nowMs(), st.nextVersion(c.version)
	if err := st.writeClaim(ctx, l.name, c); err != nil {
		return fmt.Errorf("release lock %q: %w (it is taken over once its heartbeat is %s old)", l.name, err, l.ttl)
	}
	return nil
}
