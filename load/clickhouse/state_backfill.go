package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/adoptionlabs/etl/state"
)

// Backfill plans and their progress: which chunks of a plan committed.

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
	batch, _, done, err := prepareBatch(ctx, st.sink.conn, "INSERT INTO "+st.table(BackfillProgressTable)+" (plan_id, task_key, source, stream, done_at, deleted, updated_at_ms)", st.queryTimeout())
	if err != nil {
		return err
	}
	defer func() { _ = batch.Abort(); done() }()
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
	batch, _, done, err := prepareBatch(ctx, st.sink.conn, "INSERT INTO "+st.table(BackfillPlansTable)+" (plan_id, command, destination, tasks, started, completed, updated_at_ms)", st.queryTimeout())
	if err != nil {
		return fmt.Errorf("save backfill plan %s to %s.%s: %w", p.ID, st.sink.db, BackfillPlansTable, err)
	}
	defer func() { _ = batch.Abort(); done() }()
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
