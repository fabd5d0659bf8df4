package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/load/clickhouse"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/state/statetest"
	"github.com/adoptionlabs/etl/testsupport"
)

// stateStores opens, per call, a new connection (like another process or
// machine) to one fresh database per test.
func stateStores() func(t *testing.T) state.Store {
	var mu sync.Mutex
	dsns := map[*testing.T]string{}
	return func(t *testing.T) state.Store {
		dsn := func() string {
			mu.Lock()
			defer mu.Unlock() // FreshDatabase may skip the test: runtime.Goexit
			if _, ok := dsns[t]; !ok {
				dsns[t] = testsupport.FreshDatabase(t)
			}
			return dsns[t]
		}()
		return openStateStore(t, dsn)
	}
}

func openStateStore(t *testing.T, dsn string, opts ...clickhouse.StateOption) *clickhouse.StateStore {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sink, err := clickhouse.Open(ctx, dsn, clickhouse.Options{QueryTimeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sink.Close() })
	st, err := sink.StateStore(ctx, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestStateStoreContract(t *testing.T) {
	statetest.StoreContract(t, stateStores())
}

// An independent reader (clickhouse-client) sees what the store wrote, in
// types a person can query.
func TestStateTablesReadByClickHouseClient(t *testing.T) {
	ctx := context.Background()
	dsn := testsupport.FreshDatabase(t)
	st := openStateStore(t, dsn)
	w := time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC)
	require.NoError(t, st.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", Watermark: w, LastRun: w.Add(3 * time.Hour), RunID: "r1"}))
	require.NoError(t, st.RecordFailure(ctx, state.Entry{Source: "userflow", Stream: "users", LastRun: w.Add(27 * time.Hour), LastError: "503", RunID: "r2"}))
	_, err := st.Reset(ctx, "whatfix", "")
	require.NoError(t, err)

	rows := testsupport.ClickHouseQuery(t, dsn, `SELECT source, stream, toString(watermark) AS watermark, toString(last_success) AS last_success, last_status, last_error, run_id, deleted
FROM etl_state FINAL ORDER BY source, stream`)
	assert.Equal(t, []map[string]any{{
		"source": "userflow", "stream": "users", "watermark": "2026-01-08 00:00:00", "last_success": "2026-01-08 03:00:00",
		"last_status": "failed", "last_error": "503", "run_id": "r2", "deleted": int64(0),
	}}, rows)

	l, _, err := st.Lock(ctx, "nightly", time.Minute, state.Holder{Host: "cron-box", PID: 7, RunID: "r3", Command: "etl run"})
	require.NoError(t, err)
	claims := testsupport.ClickHouseQuery(t, dsn, `SELECT host, pid, run_id, command, released FROM etl_locks FINAL WHERE name = 'nightly'`)
	assert.Equal(t, []map[string]any{{"host": "cron-box", "pid": int64(7), "run_id": "r3", "command": "etl run", "released": int64(0)}}, claims)
	require.NoError(t, l.Release(ctx))
	claims = testsupport.ClickHouseQuery(t, dsn, `SELECT released FROM etl_locks FINAL WHERE name = 'nightly'`)
	assert.Equal(t, []map[string]any{{"released": int64(1)}}, claims)
}

// The contract races two contenders; the claim protocol is meant for any
// number, each on its own connection.
func TestStateLockManyContenders(t *testing.T) {
	ctx := context.Background()
	dsn := testsupport.FreshDatabase(t)
	// The protocol decides only when a claim is stored within half the
	// settle time, and otherwise retries, then gives up: the safe
	// direction, which a loaded test machine reaches with five claims at
	// once. A longer settle keeps this test about the decision.
	stores := make([]*clickhouse.StateStore, 5)
	for i := range stores {
		stores[i] = openStateStore(t, dsn, clickhouse.WithClaimSettle(2*time.Second))
	}
	for round := 0; round < 5; round++ {
		name := fmt.Sprintf("many-%d", round)
		locks := make([]state.Lock, len(stores))
		errs := make([]error, len(stores))
		var wg sync.WaitGroup
		for i, st := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				locks[i], _, errs[i] = st.Lock(ctx, name, time.Minute, state.Holder{Host: fmt.Sprintf("m%d", i), PID: i + 1})
			}()
		}
		wg.Wait()
		winners := 0
		for i := range stores {
			if errs[i] == nil {
				winners++
				require.NoError(t, locks[i].Release(ctx))
				continue
			}
			var locked *state.LockedError
			require.True(t, errors.As(errs[i], &locked), "round %d contender %d: %v", round, i, errs[i])
		}
		assert.Equal(t, 1, winners, "round %d: %v", round, errs)
	}
}

func TestStateLockedErrorSaysWhenItIsTakenOver(t *testing.T) {
	ctx := context.Background()
	dsn := testsupport.FreshDatabase(t)
	a, b := openStateStore(t, dsn), openStateStore(t, dsn)
	l, _, err := a.Lock(ctx, "nightly", 10*time.Minute, state.Holder{Host: "cron-box", PID: 123, RunID: "r1", Command: "etl run"})
	require.NoError(t, err)
	defer l.Release(ctx)
	_, _, err = b.Lock(ctx, "nightly", 10*time.Minute, state.Holder{})
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked)
	assert.Empty(t, locked.Remove, "nothing for a person to delete by hand")
	assert.Regexp(t, `^another etl run holds the lock "nightly": host cron-box pid 123 since \S+Z \(run r1, `+"`etl run`"+`\), last heartbeat \S+Z; wait for it to finish: if that process is gone, a run on cron-box takes its lock over at once, a run elsewhere once it has had no heartbeat for 10m0s$`, err.Error())
}

// LockSettling calls settling once, when the claim starts its settle, and
// returns only after the decision; a lock another live run holds is refused
// without settling, so the pipeline starts no extraction for a run that
// cannot win.
func TestStateLockSettlingCallsSettlingOnlyForAnUndecidedLock(t *testing.T) {
	ctx := context.Background()
	dsn := testsupport.FreshDatabase(t)
	a, b := openStateStore(t, dsn), openStateStore(t, dsn)
	var settled []time.Time
	l, _, err := a.LockSettling(ctx, "nightly", time.Minute, state.Holder{Host: "a"}, func() { settled = append(settled, time.Now()) })
	decided := time.Now()
	require.NoError(t, err)
	defer l.Release(ctx)
	require.Len(t, settled, 1)
	assert.GreaterOrEqual(t, decided.Sub(settled[0]), clickhouse.DefaultClaimSettle, "settling comes before the settle, not after the decision")

	called := false
	_, _, err = b.LockSettling(ctx, "nightly", time.Minute, state.Holder{Host: "b"}, func() { called = true })
	var locked *state.LockedError
	require.ErrorAs(t, err, &locked)
	assert.False(t, called, "a lock visibly held is refused before any settle")
}

// The state store opens on its own connection, without the sink, through
// the sink registry as `etl state` and `etl run` do; closing it closes that
// connection and releases nothing of another store's.
func TestOpenStateWithoutTheSink(t *testing.T) {
	ctx := context.Background()
	dsn := testsupport.FreshDatabase(t)
	kind, err := load.Lookup(clickhouse.Kind)
	require.NoError(t, err)
	settings := kind.NewConfig()
	settings.(*clickhouse.Config).DSN = dsn
	keeper, ok := settings.(load.StateKeeper)
	require.True(t, ok, "ClickHouse keeps the state in the database")
	home, err := keeper.StateHome()
	require.NoError(t, err)
	require.NotNil(t, home.Open)
	st, err := home.Open(ctx, load.Env{})
	require.NoError(t, err)
	require.NoError(t, st.Advance(ctx, state.Entry{Source: "userflow", Stream: "users", Watermark: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), LastStatus: state.StatusOK}))
	require.NoError(t, st.Close())
	_, _, err = st.Get(ctx, "userflow", "users")
	require.ErrorIs(t, err, state.ErrClosed)

	other := openStateStore(t, dsn)
	e, ok, err := other.Get(ctx, "userflow", "users")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), e.Watermark.UTC())
}
