//go:build cluster

// Tests against the cluster `make test-cluster` starts (scripts/with-cluster.sh):
// ZooKeeper and 2 shards x 2 replicas of ClickHouse 18.16. They need the
// cluster tag and CLICKHOUSE_CLUSTER_DSNS; without either they do not build
// or fail, never skip.
package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

func openCluster(t *testing.T, c testsupport.Cluster, i int, db string) *Sink {
	t.Helper()
	s, err := Open(context.Background(), c.DSN(t, i, db), Options{QueryTimeout: 2 * time.Minute, Cluster: ClusterOptions{Name: c.Name}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// loadErr is loadRows that returns the error instead of failing the test.
// afterBatch, when set, runs after each batch written (n counts from 1).
func loadErr(ctx context.Context, t *testing.T, s *Sink, tbl *schemas.Table, w window.Window, rows []map[string]any, beforeCommit func(), afterBatch ...func(n int)) error {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	wr, err := s.Begin(ctx, tbl, w, "test.stream", "run")
	if err != nil {
		return err
	}
	b := transform.NewBatcher(mem, tbl, transform.Meta{RunID: "run", ExtractedAt: time.Now()}, 50, nil)
	defer b.Release()
	batches := 0
	for _, r := range rows {
		require.NoError(t, b.Append(r))
		if b.Full() {
			rec := b.Flush()
			err := wr.Write(ctx, rec)
			rec.Release()
			if err != nil {
				_ = wr.Abort(ctx)
				return err
			}
			batches++
			for _, f := range afterBatch {
				f(batches)
			}
		}
	}
	if rec := b.Flush(); rec != nil {
		err := wr.Write(ctx, rec)
		rec.Release()
		if err != nil {
			_ = wr.Abort(ctx)
			return err
		}
	}
	if beforeCommit != nil {
		beforeCommit()
	}
	_, err = load.CommitWindow(ctx, []load.TableWriter{{Table: tbl.Name, Writer: wr}})
	if err != nil {
		_ = wr.Abort(ctx)
	}
	return err
}

// reportRows: views = day of month x 10 + flow, for flows f00..f39 and the
// days of w.
func reportRows(w window.Window, bump float64) []map[string]any {
	var out []map[string]any
	for d := w.Start; d.Before(w.End); d = d.AddDate(0, 0, 1) {
		for f := 0; f < 40; f++ {
			out = append(out, map[string]any{"report_date": d, "flow": fmt.Sprintf("f%02d", f), "views": float64(d.Day()*10+f) + bump})
		}
	}
	return out
}

// figures is count and sum through the Distributed name, asked of every
// node after its replicas caught up: all four must give the same answer.
func figures(t *testing.T, c testsupport.Cluster, db, table, sum string) string {
	t.Helper()
	var first string
	for i := range c.DSNs {
		_, _ = c.Query(i, db, "SYSTEM SYNC REPLICA "+table+"_local")
		got := c.MustQuery(t, i, db, fmt.Sprintf("SELECT count(), sum(%s) FROM %s", sum, table))
		if i == 0 {
			first = got
		} else {
			assert.Equal(t, first, got, "node %d disagrees with node 0 on %s", i, table)
		}
	}
	return first
}

func TestClusterMigrateTwiceChangesNothing(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	s := openCluster(t, c, 0, db)
	ctx := context.Background()
	migrate := func() {
		_, err := s.Migrate(ctx, sql.Files)
		require.NoError(t, err)
		for _, tbl := range []*schemas.Table{report, sessions, dims} {
			require.NoError(t, s.Ensure(ctx, tbl))
		}
		_, err = s.StateStore(ctx)
		require.NoError(t, err)
	}
	tables := func() []string {
		var out []string
		for i := range c.DSNs {
			out = append(out, c.MustQuery(t, i, "default", fmt.Sprintf("SELECT name, engine, create_table_query FROM system.tables WHERE database = '%s' ORDER BY name", db)))
		}
		return out
	}
	migrate()
	first := tables()
	s2 := openCluster(t, c, 3, db) // another node, a fresh process's view
	_, err := s2.Migrate(ctx, sql.Files)
	require.NoError(t, err)
	for _, tbl := range []*schemas.Table{report, sessions, dims} {
		require.NoError(t, s2.Ensure(ctx, tbl))
	}
	assert.Equal(t, first, tables())

	engines := c.MustQuery(t, 2, "default", fmt.Sprintf("SELECT name, engine FROM system.tables WHERE database = '%s' ORDER BY name", db))
	for _, want := range []string{
		"etl_locks\tReplicatedReplacingMergeTree", "etl_rejects\tDistributed", "etl_rejects_local\tReplicatedMergeTree",
		"etl_schema_migrations\tReplicatedMergeTree", "etl_state\tReplicatedReplacingMergeTree",
		"t_dims\tDistributed", "t_dims_local\tReplicatedMergeTree", "t_report\tDistributed", "t_report_local\tReplicatedMergeTree",
		"t_sessions\tDistributed", "t_sessions_local\tReplicatedMergeTree",
	} {
		assert.Contains(t, engines, want)
	}
	// Every version of a key goes to one shard: the hash of the key.
	create := c.MustQuery(t, 1, "default", fmt.Sprintf("SELECT engine_full FROM system.tables WHERE database = '%s' AND name = 't_sessions'", db))
	assert.Contains(t, create, "cityHash64(id)")
	zk := c.MustQuery(t, 1, "default", fmt.Sprintf("SELECT engine_full FROM system.tables WHERE database = '%s' AND name = 't_report_local'", db))
	assert.Contains(t, zk, "/clickhouse/tables/{shard}/"+db+"/t_report_local")
}

func TestClusterExactThroughDistributedAfterReruns(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	s := openCluster(t, c, 0, db)
	nov := window.New(day("2026-11-01"), day("2026-11-08"))
	loadRows(t, s, report, nov, reportRows(nov, 0))
	// 7 days x 40 flows; views sum = 40*10*(1+..+7) + 7*(0+..+39)
	want := fmt.Sprintf("280\t%d", 40*10*28+7*780)
	assert.Equal(t, want, figures(t, c, db, "t_report", "views"))
	for sh, i := range []int{0, 2} {
		n, err := strconv.Atoi(c.MustQuery(t, i, db, "SELECT count() FROM t_report_local"))
		require.NoError(t, err)
		assert.True(t, n > 50 && n < 230, "shard %d holds %d of 280 rows: the hash spreads them", sh+1, n)
	}

	loadRows(t, s, report, nov, reportRows(nov, 0)) // rerun
	assert.Equal(t, want, figures(t, c, db, "t_report", "views"))

	// An overlapping window (Nov 5-10) restating its days with +1 each.
	over := window.New(day("2026-11-05"), day("2026-11-11"))
	loadRows(t, s, report, over, reportRows(over, 1))
	// Nov 1-4 as before, Nov 5-10 new: 10 days x 40.
	sum := 0
	for d := 1; d <= 10; d++ {
		for f := 0; f < 40; f++ {
			sum += d*10 + f
			if d >= 5 {
				sum++
			}
		}
	}
	assert.Equal(t, fmt.Sprintf("400\t%d", sum), figures(t, c, db, "t_report", "views"))

	// A replace-all table through another node's DSN.
	s3 := openCluster(t, c, 3, db)
	var ds []map[string]any
	for i := 0; i < 30; i++ {
		ds = append(ds, map[string]any{"id": fmt.Sprintf("d%d", i), "name": "n"})
	}
	loadRows(t, s3, dims, window.Window{}, ds)
	loadRows(t, s3, dims, window.Window{}, ds[:20])
	assert.Equal(t, "20\t20", figures(t, c, db, "t_dims", "length(name)"))
}

func TestClusterChangedRowReplacesItsOldVersionAcrossShards(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	s := openCluster(t, c, 0, db)
	nov1, nov2 := window.New(day("2026-11-01"), day("2026-11-02")), window.New(day("2026-11-02"), day("2026-11-03"))
	var first []map[string]any
	for i := 0; i < 40; i++ {
		created := day("2026-10-30").Add(time.Duration(i) * 3 * time.Hour)
		first = append(first, session(fmt.Sprintf("s%d", i), created, nov1.Start.Add(time.Duration(i)*time.Minute), 0.5))
	}
	loadRows(t, s, sessions, nov1, first)
	loadRows(t, s, sessions, nov1, first)
	// Every key changes on the next day: each new version must land on its old version's shard.
	var next []map[string]any
	for _, r := range first {
		next = append(next, session(r["id"].(string), r["created_at"].(time.Time), nov2.Start.Add(time.Hour), 1))
	}
	loadRows(t, s, sessions, nov2, next)
	for i := range c.DSNs {
		_, _ = c.Query(i, db, "SYSTEM SYNC REPLICA t_sessions_local")
		assert.Equal(t, "40\t40\t40", c.MustQuery(t, i, db, "SELECT count(), sum(progress), sum(done) FROM t_sessions"), "node %d", i)
	}
	// No key on both shards.
	assert.Equal(t, "0", c.MustQuery(t, 0, db, "SELECT count() FROM (SELECT id FROM t_sessions_local) ANY INNER JOIN (SELECT id FROM remote('"+c.Addr(2)+"', '"+db+"', 't_sessions_local')) USING id"))
}

// The chunks of a backfill on the cluster: the first swaps each shard's
// staged partitions in from staging, the later ones add their new keys to
// the live partitions (ATTACH PARTITION from the replicated staging table),
// and every replica of each shard ends with all of them once.
func TestClusterBackfillChunksAttachNewKeysOnEveryReplica(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	s := openCluster(t, c, 0, db)
	for k := 0; k < 3; k++ {
		w := window.New(day("2026-11-01").AddDate(0, 0, k), day("2026-11-02").AddDate(0, 0, k))
		var rows []map[string]any
		for i := 0; i < 30; i++ {
			rows = append(rows, session(fmt.Sprintf("k%d_%d", k, i), day("2026-10-20").Add(time.Duration(i)*24*time.Hour), w.Start.Add(time.Duration(i)*time.Minute), 0.5))
		}
		loadRows(t, s, sessions, w, rows)
	}
	for i := range c.DSNs {
		_, _ = c.Query(i, db, "SYSTEM SYNC REPLICA t_sessions_local")
		assert.Equal(t, "90\t90\t45", c.MustQuery(t, i, db, "SELECT count(), uniqExact(id), sum(progress) FROM t_sessions"), "node %d", i)
	}
	for _, pair := range [][2]int{{0, 1}, {2, 3}} {
		assert.Equal(t, c.MustQuery(t, pair[0], db, "SELECT count(), sum(cityHash64(id)) FROM t_sessions_local"), c.MustQuery(t, pair[1], db, "SELECT count(), sum(cityHash64(id)) FROM t_sessions_local"), "replicas %d and %d hold the same rows", pair[0], pair[1])
	}
}

func TestClusterReplicaKilledDuringLoadThenRerunIsExact(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	s := openCluster(t, c, 0, db)
	ctx := context.Background()
	nov := window.New(day("2026-11-01"), day("2026-11-08"))
	loadRows(t, s, report, nov, reportRows(nov, 0))
	want := fmt.Sprintf("280\t%d", 40*10*28+7*780)

	// s1r2 dies while the rows are being inserted (after 2 of 6 batches).
	err := loadErr(ctx, t, s, report, nov, reportRows(nov, 1), nil, func(n int) {
		if n == 2 {
			c.Kill9(t, 1)
		}
	})
	t.Logf("load with replica s1r2 killed mid-load: %v", err)
	if err == nil {
		// Completed on the survivors: the new figures.
		want = fmt.Sprintf("280\t%d", 40*10*28+7*780+280)
	}
	// Rerun while it is down: completes on the surviving replica.
	require.NoError(t, loadErr(ctx, t, s, report, nov, reportRows(nov, 1), nil))
	want = fmt.Sprintf("280\t%d", 40*10*28+7*780+280)
	for _, i := range []int{0, 2, 3} {
		assert.Equal(t, want, c.MustQuery(t, i, db, "SELECT count(), sum(views) FROM t_report"), "node %d", i)
	}
	c.Restart(t, 1)
	// The restarted replica catches up by itself.
	deadline := time.Now().Add(60 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		got, _ = c.Query(1, db, "SELECT count(), sum(views) FROM t_report_local")
		if got == c.MustQuery(t, 0, db, "SELECT count(), sum(views) FROM t_report_local") {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	assert.Equal(t, c.MustQuery(t, 0, db, "SELECT count(), sum(views) FROM t_report_local"), got, "restarted replica caught up")
	assert.Equal(t, want, figures(t, c, db, "t_report", "views"))
	// Its leftover staging table goes with the next run's cleanup.
	_, err = openCluster(t, c, 0, db).DropStaleStaging(ctx)
	require.NoError(t, err)
	assert.Equal(t, "0", c.MustQuery(t, 1, db, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '\\_stg\\_%'"))
}

func TestClusterZooKeeperRestartedDuringRun(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	s := openCluster(t, c, 0, db)
	ctx := context.Background()
	nov := window.New(day("2026-11-01"), day("2026-11-04"))
	loadRows(t, s, report, nov, reportRows(nov, 0))
	err := loadErr(ctx, t, s, report, nov, reportRows(nov, 1), func() {
		c.Kill9(t, testsupport.ZooKeeper)
		c.Restart(t, testsupport.ZooKeeper)
	})
	t.Logf("load with ZooKeeper restarted before the swap: %v", err)
	// Whatever happened, a rerun ends exact (the tables may stay read-only
	// until the sessions are re-established: retry for a while).
	deadline := time.Now().Add(90 * time.Second)
	for {
		err = loadErr(ctx, t, s, report, nov, reportRows(nov, 1), nil)
		if err == nil || time.Now().After(deadline) {
			break
		}
		t.Logf("rerun after ZooKeeper restart: %v", err)
		time.Sleep(2 * time.Second)
	}
	require.NoError(t, err)
	// Leave every replica with its session back for the next test.
	for i := range c.DSNs {
		for k := 0; k < 120; k++ {
			if out, _ := c.Query(i, "default", "SELECT count() FROM system.replicas WHERE is_readonly OR is_session_expired"); out == "0" {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	sum := 0
	for d := 1; d <= 3; d++ {
		for f := 0; f < 40; f++ {
			sum += d*10 + f + 1
		}
	}
	assert.Equal(t, fmt.Sprintf("120\t%d", sum), figures(t, c, db, "t_report", "views"))
}

func TestClusterShardUnreachableFailsNamingHostsAndSwapsNothing(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	s := openCluster(t, c, 0, db)
	ctx := context.Background()
	nov := window.New(day("2026-11-01"), day("2026-11-04"))
	loadRows(t, s, report, nov, reportRows(nov, 0))
	before := c.MustQuery(t, 0, db, "SELECT count(), sum(views) FROM t_report_local")

	c.Kill9(t, 2)
	c.Kill9(t, 3)
	defer c.Restart(t, 3)
	defer c.Restart(t, 2)
	err := loadErr(ctx, t, s, report, nov, reportRows(nov, 1), nil)
	require.Error(t, err)
	var su *ShardUnreachableError
	require.True(t, errors.As(err, &su), "%v", err)
	assert.Equal(t, 2, su.Shard)
	for _, i := range []int{2, 3} {
		assert.Contains(t, err.Error(), c.Addr(i))
	}
	assert.Contains(t, err.Error(), "nothing was swapped in")
	// Shard 1 kept its rows: nothing half-swapped.
	assert.Equal(t, before, c.MustQuery(t, 0, db, "SELECT count(), sum(views) FROM t_report_local"))
	assert.Equal(t, "0", c.MustQuery(t, 0, db, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '\\_stg\\_%'"))
}

func TestClusterStateAndLockSeenFromAnotherHost(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	ctx := context.Background()
	a, err := openCluster(t, c, 0, db).StateStore(ctx)
	require.NoError(t, err)
	defer a.Close()
	wm := day("2026-11-05")
	require.NoError(t, a.Advance(ctx, state.Entry{Source: "userflow", Stream: "content_sessions", Watermark: wm, RunID: "r1"}))
	me := state.Holder{Host: "etl-host-a", PID: os.Getpid(), Since: time.Now(), RunID: "r1", Command: "run"}
	lock, _, err := a.Lock(ctx, "run", time.Hour, me)
	require.NoError(t, err)
	defer lock.Release(ctx)

	// A second process on another host, through another shard's replica.
	for i := range c.DSNs {
		_, _ = c.Query(i, db, "SYSTEM SYNC REPLICA etl_state")
		_, _ = c.Query(i, db, "SYSTEM SYNC REPLICA etl_locks")
	}
	b, err := openCluster(t, c, 3, db).StateStore(ctx)
	require.NoError(t, err)
	defer b.Close()
	e, ok, err := b.Get(ctx, "userflow", "content_sessions")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, wm, e.Watermark)
	other := state.Holder{Host: "etl-host-b", PID: 4242, Since: time.Now(), RunID: "r2", Command: "run"}
	_, _, err = b.Lock(ctx, "run", time.Hour, other)
	var locked *state.LockedError
	require.True(t, errors.As(err, &locked), "%v", err)
	assert.Equal(t, "etl-host-a", locked.Holder.Host)
}

// TestClusterLoadTimeVersusOneServer loads the same 120k rows (a month of a
// replace-window table, rerun once) into the cluster and into one of its
// servers on its own, checks both exact, and logs the times for the report.
func TestClusterLoadTimeVersusOneServer(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	ctx := context.Background()
	nov := window.New(day("2026-11-01"), day("2026-12-01"))
	loadMonth := func(s *Sink) time.Duration {
		start := time.Now()
		for run := 0; run < 2; run++ {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			wr, err := s.Begin(ctx, report, nov, "test.stream", "run")
			require.NoError(t, err)
			b := transform.NewBatcher(mem, report, transform.Meta{RunID: "run", ExtractedAt: time.Now()}, 20000, nil)
			for d := nov.Start; d.Before(nov.End); d = d.AddDate(0, 0, 1) {
				for f := 0; f < 4000; f++ {
					require.NoError(t, b.Append(map[string]any{"report_date": d, "flow": fmt.Sprintf("f%04d", f), "views": float64(f)}))
					if b.Full() {
						rec := b.Flush()
						require.NoError(t, wr.Write(ctx, rec))
						rec.Release()
					}
				}
			}
			if rec := b.Flush(); rec != nil {
				require.NoError(t, wr.Write(ctx, rec))
				rec.Release()
			}
			b.Release()
			_, err = load.CommitWindow(ctx, []load.TableWriter{{Table: report.Name, Writer: wr}})
			require.NoError(t, err)
			mem.AssertSize(t, 0)
		}
		return time.Since(start)
	}
	want := fmt.Sprintf("120000\t%d", 30*(3999*4000/2))
	db := c.FreshDB(t)
	onCluster := loadMonth(openCluster(t, c, 0, db))
	assert.Equal(t, want, figures(t, c, db, "t_report", "views"))

	single := c.FreshDB(t)
	s, err := Open(ctx, c.DSN(t, 0, single), Options{QueryTimeout: 2 * time.Minute})
	require.NoError(t, err)
	defer s.Close()
	onOne := loadMonth(s)
	assert.Equal(t, want, c.MustQuery(t, 0, single, "SELECT count(), sum(views) FROM t_report"))
	t.Logf("120000 rows (60000 loaded twice): cluster %s, one server %s", onCluster.Round(time.Millisecond), onOne.Round(time.Millisecond))
}
