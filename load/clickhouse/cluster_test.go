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
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

type testCluster struct {
	name  string
	dsns  []string // shard-major: s1r1, s1r2, s2r1, s2r2
	nodes []string // their directories (start.sh, pid)
	zk    string
}

func clusterEnv(t *testing.T) testCluster {
	t.Helper()
	c := testCluster{name: os.Getenv("CLICKHOUSE_CLUSTER"), zk: os.Getenv("CLICKHOUSE_CLUSTER_ZK")}
	if v := os.Getenv("CLICKHOUSE_CLUSTER_DSNS"); v != "" {
		c.dsns = strings.Split(v, ",")
	}
	if v := os.Getenv("CLICKHOUSE_CLUSTER_NODES"); v != "" {
		c.nodes = strings.Split(v, ",")
	}
	if c.name == "" || len(c.dsns) != 4 || len(c.nodes) != 4 || c.zk == "" {
		t.Fatal("cluster tests need the cluster of scripts/with-cluster.sh: run make test-cluster")
	}
	return c
}

// db returns node i's DSN for database db.
func (c testCluster) dsn(t *testing.T, i int, db string) string {
	u, err := url.Parse(c.dsns[i])
	require.NoError(t, err)
	u.Path = "/" + db
	return u.String()
}

// freshDB is a database name of this test, dropped from every node after it.
func (c testCluster) freshDB(t *testing.T) string {
	name := fmt.Sprintf("c_%s_%d", strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name()))[:min(20, len(t.Name()))], time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		for i := range c.dsns {
			c.restartIfDown(t, i)
			_, _ = c.query(i, "default", "DROP DATABASE IF EXISTS "+name)
		}
	})
	return name
}

func (c testCluster) open(t *testing.T, i int, db string) *Sink {
	t.Helper()
	s, err := Open(context.Background(), c.dsn(t, i, db), Options{QueryTimeout: 2 * time.Minute, Cluster: ClusterOptions{Name: c.name}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// query runs q on node i with clickhouse-client and returns its TSV output.
func (c testCluster) query(i int, db, q string) (string, error) {
	u, err := url.Parse(c.dsns[i])
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "clickhouse-client", "--host", u.Hostname(), "--port", u.Port(), "--database", db, "-q", q).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s on node %d: %w: %s", q, i, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func (c testCluster) mustQuery(t *testing.T, i int, db, q string) string {
	t.Helper()
	out, err := c.query(i, db, q)
	require.NoError(t, err)
	return out
}

func (c testCluster) pid(t *testing.T, dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// kill9 kills node i (or ZooKeeper for -1) with SIGKILL and waits for it to go.
func (c testCluster) kill9(t *testing.T, i int) {
	dir := c.zk
	if i >= 0 {
		dir = c.nodes[i]
	}
	pid := c.pid(t, dir)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	for k := 0; k < 100 && alive(pid); k++ {
		time.Sleep(50 * time.Millisecond)
	}
}

// restart starts node i (or ZooKeeper for -1) again and waits until it answers.
func (c testCluster) restart(t *testing.T, i int) {
	dir := c.zk
	if i >= 0 {
		dir = c.nodes[i]
	}
	require.NoError(t, exec.Command("bash", filepath.Join(dir, "start.sh")).Run())
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if i < 0 {
			if _, err := c.query(0, "default", "SELECT count() FROM system.zookeeper WHERE path = '/'"); err == nil {
				return
			}
		} else if _, err := c.query(i, "default", "SELECT 1"); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("node %d did not come back within 90s", i)
}

func (c testCluster) restartIfDown(t *testing.T, i int) {
	if !alive(c.pid(t, c.nodes[i])) {
		c.restart(t, i)
	}
}

// loadErr is loadRows that returns the error instead of failing the test.
func loadErr(ctx context.Context, t *testing.T, s *Sink, tbl *schemas.Table, w window.Window, rows []map[string]any, beforeCommit func()) error {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	wr, err := s.Begin(ctx, tbl, w, "test.stream", "run")
	if err != nil {
		return err
	}
	b := transform.NewBatcher(mem, tbl, transform.Meta{RunID: "run", ExtractedAt: time.Now()}, 50, nil)
	defer b.Release()
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
func (c testCluster) figures(t *testing.T, db, table, sum string) string {
	t.Helper()
	var first string
	for i := range c.dsns {
		_, _ = c.query(i, db, "SYSTEM SYNC REPLICA "+table+"_local")
		got := c.mustQuery(t, i, db, fmt.Sprintf("SELECT count(), sum(%s) FROM %s", sum, table))
		if i == 0 {
			first = got
		} else {
			assert.Equal(t, first, got, "node %d disagrees with node 0 on %s", i, table)
		}
	}
	return first
}

func TestClusterMigrateTwiceChangesNothing(t *testing.T) {
	c := clusterEnv(t)
	db := c.freshDB(t)
	s := c.open(t, 0, db)
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
		for i := range c.dsns {
			out = append(out, c.mustQuery(t, i, "default", fmt.Sprintf("SELECT name, engine, create_table_query FROM system.tables WHERE database = '%s' ORDER BY name", db)))
		}
		return out
	}
	migrate()
	first := tables()
	s2 := c.open(t, 3, db) // another node, a fresh process's view
	_, err := s2.Migrate(ctx, sql.Files)
	require.NoError(t, err)
	for _, tbl := range []*schemas.Table{report, sessions, dims} {
		require.NoError(t, s2.Ensure(ctx, tbl))
	}
	assert.Equal(t, first, tables())

	engines := c.mustQuery(t, 2, "default", fmt.Sprintf("SELECT name, engine FROM system.tables WHERE database = '%s' ORDER BY name", db))
	for _, want := range []string{
		"etl_locks\tReplicatedReplacingMergeTree", "etl_rejects\tDistributed", "etl_rejects_local\tReplicatedMergeTree",
		"etl_schema_migrations\tReplicatedMergeTree", "etl_state\tReplicatedReplacingMergeTree",
		"t_dims\tDistributed", "t_dims_local\tReplicatedMergeTree", "t_report\tDistributed", "t_report_local\tReplicatedMergeTree",
		"t_sessions\tView", "t_sessions_raw\tDistributed", "t_sessions_raw_local\tReplicatedReplacingMergeTree",
	} {
		assert.Contains(t, engines, want)
	}
	// Every version of a key goes to one shard: the hash of the key.
	create := c.mustQuery(t, 1, "default", fmt.Sprintf("SELECT engine_full FROM system.tables WHERE database = '%s' AND name = 't_sessions_raw'", db))
	assert.Contains(t, create, "cityHash64(id)")
	zk := c.mustQuery(t, 1, "default", fmt.Sprintf("SELECT engine_full FROM system.tables WHERE database = '%s' AND name = 't_report_local'", db))
	assert.Contains(t, zk, "/clickhouse/tables/{shard}/"+db+"/t_report_local")
}

func TestClusterExactThroughDistributedAfterReruns(t *testing.T) {
	c := clusterEnv(t)
	db := c.freshDB(t)
	s := c.open(t, 0, db)
	nov := window.New(day("2026-11-01"), day("2026-11-08"))
	loadRows(t, s, report, nov, reportRows(nov, 0))
	// 7 days x 40 flows; views sum = 40*10*(1+..+7) + 7*(0+..+39)
	want := fmt.Sprintf("280\t%d", 40*10*28+7*780)
	assert.Equal(t, want, c.figures(t, db, "t_report", "views"))
	for sh, i := range []int{0, 2} {
		n, err := strconv.Atoi(c.mustQuery(t, i, db, "SELECT count() FROM t_report_local"))
		require.NoError(t, err)
		assert.True(t, n > 50 && n < 230, "shard %d holds %d of 280 rows: the hash spreads them", sh+1, n)
	}

	loadRows(t, s, report, nov, reportRows(nov, 0)) // rerun
	assert.Equal(t, want, c.figures(t, db, "t_report", "views"))

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
	assert.Equal(t, fmt.Sprintf("400\t%d", sum), c.figures(t, db, "t_report", "views"))

	// A replace-all table through another node's DSN.
	s3 := c.open(t, 3, db)
	var ds []map[string]any
	for i := 0; i < 30; i++ {
		ds = append(ds, map[string]any{"id": fmt.Sprintf("d%d", i), "name": "n"})
	}
	loadRows(t, s3, dims, window.Window{}, ds)
	loadRows(t, s3, dims, window.Window{}, ds[:20])
	assert.Equal(t, "20\t20", c.figures(t, db, "t_dims", "length(name)"))
}

func TestClusterChangedRowReplacesItsOldVersionAcrossShards(t *testing.T) {
	c := clusterEnv(t)
	db := c.freshDB(t)
	s := c.open(t, 0, db)
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
	for i := range c.dsns {
		_, _ = c.query(i, db, "SYSTEM SYNC REPLICA t_sessions_raw_local")
		assert.Equal(t, "40\t40\t40", c.mustQuery(t, i, db, "SELECT count(), sum(progress), sum(done) FROM t_sessions"), "node %d", i)
	}
	// No key on both shards.
	assert.Equal(t, "0", c.mustQuery(t, 0, db, "SELECT count() FROM (SELECT id FROM t_sessions_raw_local) ANY INNER JOIN (SELECT id FROM remote('"+strings.TrimPrefix(strings.Split(c.dsns[2], "/")[2], "")+"', '"+db+"', 't_sessions_raw_local')) USING id"))
}

func TestClusterReplicaKilledDuringLoadThenRerunIsExact(t *testing.T) {
	c := clusterEnv(t)
	db := c.freshDB(t)
	s := c.open(t, 0, db)
	ctx := context.Background()
	nov := window.New(day("2026-11-01"), day("2026-11-08"))
	loadRows(t, s, report, nov, reportRows(nov, 0))
	want := fmt.Sprintf("280\t%d", 40*10*28+7*780)

	// s1r2 dies after the rows were staged, before the swap.
	err := loadErr(ctx, t, s, report, nov, reportRows(nov, 1), func() { c.kill9(t, 1) })
	t.Logf("load with replica s1r2 killed mid-load: %v", err)
	if err == nil {
		// Completed on the survivors: the new figures.
		want = fmt.Sprintf("280\t%d", 40*10*28+7*780+280)
	}
	// Rerun while it is down: completes on the surviving replica.
	require.NoError(t, loadErr(ctx, t, s, report, nov, reportRows(nov, 1), nil))
	want = fmt.Sprintf("280\t%d", 40*10*28+7*780+280)
	for _, i := range []int{0, 2, 3} {
		assert.Equal(t, want, c.mustQuery(t, i, db, "SELECT count(), sum(views) FROM t_report"), "node %d", i)
	}
	c.restart(t, 1)
	// The restarted replica catches up by itself.
	deadline := time.Now().Add(60 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		got, _ = c.query(1, db, "SELECT count(), sum(views) FROM t_report_local")
		if got == c.mustQuery(t, 0, db, "SELECT count(), sum(views) FROM t_report_local") {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	assert.Equal(t, c.mustQuery(t, 0, db, "SELECT count(), sum(views) FROM t_report_local"), got, "restarted replica caught up")
	assert.Equal(t, want, c.figures(t, db, "t_report", "views"))
	// Its leftover staging table goes with the next run's cleanup.
	_, err = s.DropStaleStaging(ctx)
	require.NoError(t, err)
	assert.Equal(t, "0", c.mustQuery(t, 1, db, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '\\_stg\\_%'"))
}

func TestClusterZooKeeperRestartedDuringRun(t *testing.T) {
	c := clusterEnv(t)
	db := c.freshDB(t)
	s := c.open(t, 0, db)
	ctx := context.Background()
	nov := window.New(day("2026-11-01"), day("2026-11-04"))
	loadRows(t, s, report, nov, reportRows(nov, 0))
	err := loadErr(ctx, t, s, report, nov, reportRows(nov, 1), func() {
		c.kill9(t, -1)
		c.restart(t, -1)
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
	sum := 0
	for d := 1; d <= 3; d++ {
		for f := 0; f < 40; f++ {
			sum += d*10 + f + 1
		}
	}
	assert.Equal(t, fmt.Sprintf("120\t%d", sum), c.figures(t, db, "t_report", "views"))
}

func TestClusterShardUnreachableFailsNamingHostsAndSwapsNothing(t *testing.T) {
	c := clusterEnv(t)
	db := c.freshDB(t)
	s := c.open(t, 0, db)
	ctx := context.Background()
	nov := window.New(day("2026-11-01"), day("2026-11-04"))
	loadRows(t, s, report, nov, reportRows(nov, 0))
	before := c.mustQuery(t, 0, db, "SELECT count(), sum(views) FROM t_report_local")

	c.kill9(t, 2)
	c.kill9(t, 3)
	defer c.restart(t, 3)
	defer c.restart(t, 2)
	err := loadErr(ctx, t, s, report, nov, reportRows(nov, 1), nil)
	require.Error(t, err)
	var su *ShardUnreachableError
	require.True(t, errors.As(err, &su), "%v", err)
	assert.Equal(t, 2, su.Shard)
	for _, i := range []int{2, 3} {
		u, _ := url.Parse(c.dsns[i])
		assert.Contains(t, err.Error(), u.Host)
	}
	assert.Contains(t, err.Error(), "nothing was swapped in")
	// Shard 1 kept its rows: nothing half-swapped.
	assert.Equal(t, before, c.mustQuery(t, 0, db, "SELECT count(), sum(views) FROM t_report_local"))
	assert.Equal(t, "0", c.mustQuery(t, 0, db, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE '\\_stg\\_%'"))
}

func TestClusterStateAndLockSeenFromAnotherHost(t *testing.T) {
	c := clusterEnv(t)
	db := c.freshDB(t)
	ctx := context.Background()
	a, err := c.open(t, 0, db).StateStore(ctx)
	require.NoError(t, err)
	defer a.Close()
	wm := day("2026-11-05")
	require.NoError(t, a.Advance(ctx, state.Entry{Source: "userflow", Stream: "content_sessions", Watermark: wm, RunID: "r1"}))
	me := state.Holder{Host: "etl-host-a", PID: os.Getpid(), Since: time.Now(), RunID: "r1", Command: "run"}
	lock, _, err := a.Lock(ctx, "run", time.Hour, me)
	require.NoError(t, err)
	defer lock.Release(ctx)

	// A second process on another host, through another shard's replica.
	for i := range c.dsns {
		_, _ = c.query(i, db, "SYSTEM SYNC REPLICA etl_state")
		_, _ = c.query(i, db, "SYSTEM SYNC REPLICA etl_locks")
	}
	b, err := c.open(t, 3, db).StateStore(ctx)
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
