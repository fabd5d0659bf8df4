//go:build cluster

// The CLI on the cluster `make test-cluster` starts (ZooKeeper, 2 shards x 2
// replicas of ClickHouse 18.16).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/testsupport"
)

// TestClusterMigrateAndDemoMatchOneServer: etl migrate on the cluster twice
// changes nothing on any node; the demo loads every stream of every source
// through the Distributed names, twice, with the same figures as on one
// server, read from every node.
func TestClusterMigrateAndDemoMatchOneServer(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	env := map[string]string{"CLICKHOUSE_DSN": c.DSN(t, 0, db), "CLICKHOUSE_CLUSTER": c.Name}

	code, _, stderr := runCLI(t, env, "migrate")
	require.Equal(t, exitOK, code, stderr)
	tables := func() []string {
		var out []string
		for i := range c.DSNs {
			out = append(out, c.MustQuery(t, i, "default", fmt.Sprintf("SELECT name, engine, create_table_query FROM system.tables WHERE database = '%s' ORDER BY name", db)))
		}
		return out
	}
	first := tables()
	code, stdout, stderr := runCLI(t, env, "migrate")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "unchanged")
	assert.NotContains(t, stdout, "created")
	assert.Equal(t, first, tables(), "a second migrate changes nothing on any node")
	for i := range c.DSNs {
		assert.Contains(t, first[i], "userflow_flow_daily\tView", "node %d has the curated views", i)
		assert.Contains(t, first[i], "userflow_content_sessions\tDistributed", "node %d", i)
	}

	start := time.Now()
	code, stdout, stderr = runCLI(t, env, "demo", "--days", "3", "--sink", chSink)
	require.Equal(t, exitOK, code, stderr)
	onCluster := time.Since(start)
	counts := parseTableCounts(t, stdout)
	require.Greater(t, len(counts), 10)
	code, stdout, stderr = runCLI(t, env, "demo", "--days", "3", "--sink", chSink)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, counts, parseTableCounts(t, stdout), "the same windows loaded twice are loaded once")

	single := c.FreshDB(t)
	code, _, stderr = runCLI(t, map[string]string{"CLICKHOUSE_DSN": c.DSN(t, 0, single)}, "migrate")
	require.Equal(t, exitOK, code, stderr)
	start = time.Now()
	code, stdout, stderr = runCLI(t, map[string]string{"CLICKHOUSE_DSN": c.DSN(t, 0, single)}, "demo", "--days", "3", "--sink", chSink)
	require.Equal(t, exitOK, code, stderr)
	onOne := time.Since(start)
	assert.Equal(t, parseTableCounts(t, stdout), counts, "the cluster holds what one server holds")
	var rows int64
	for _, n := range counts {
		rows += n
	}
	t.Logf("demo --days 3 (%d rows in %d tables): cluster %s, one server %s", rows, len(counts), onCluster.Round(time.Millisecond), onOne.Round(time.Millisecond))

	// Every node answers with the same figures once its replicas caught up.
	var selects []string
	for table := range counts {
		selects = append(selects, fmt.Sprintf("SELECT '%s', count() FROM `%s`", table, table))
	}
	for i := range c.DSNs {
		locals := strings.Fields(c.MustQuery(t, i, db, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%\\_local'"))
		var sync []string
		for _, l := range locals {
			sync = append(sync, "SYSTEM SYNC REPLICA `"+l+"`;")
		}
		c.MustQuery(t, i, db, strings.Join(sync, "\n"))
		got := map[string]int64{}
		for _, line := range strings.Split(c.MustQuery(t, i, db, strings.Join(selects, " UNION ALL ")), "\n") {
			var name string
			var n int64
			_, err := fmt.Sscanf(line, "%s\t%d", &name, &n)
			require.NoError(t, err, line)
			got[name] = n
		}
		assert.Equal(t, counts, got, "node %d", i)
	}
	// The curated views read the Distributed tables: the same on every node.
	want := c.MustQuery(t, 0, single, "SELECT count(), sum(starts) FROM userflow_flow_daily")
	for i := range c.DSNs {
		assert.Equal(t, want, c.MustQuery(t, i, db, "SELECT count(), sum(starts) FROM userflow_flow_daily"), "node %d", i)
	}
}

// TestClusterShardDownExitsOneNamingTheHost: a backfill with a whole shard
// down fails with exit 1 naming the shard's hosts and leaves the tables as
// they were; once the shard is back the rerun is exact.
func TestClusterShardDownExitsOneNamingTheHost(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	env := userflowSandbox(t)
	env["CLICKHOUSE_DSN"] = c.DSN(t, 0, db)
	env["CLICKHOUSE_CLUSTER"] = c.Name
	args := []string{"backfill", "--sink", chSink, "--stream", "content_sessions", "--from", daysAgo(4), "--to", daysAgo(1), "--chunk", "1d"}
	code, _, stderr := runCLI(t, env, args...)
	require.Equal(t, exitOK, code, stderr)
	count := func() string {
		_, _ = c.Query(0, db, "SYSTEM SYNC REPLICA userflow_content_sessions_local")
		_, _ = c.Query(2, db, "SYSTEM SYNC REPLICA userflow_content_sessions_local")
		// progress in millionths, summed as integers: a float sum's last
		// digit depends on the order the shards' parts are read in.
		return c.MustQuery(t, 0, db, "SELECT count(), sum(toInt64(round(progress * 1000000))) FROM userflow_content_sessions")
	}
	before := count()
	shard1 := c.MustQuery(t, 0, db, "SELECT count() FROM userflow_content_sessions_local")

	c.Kill9(t, 2)
	c.Kill9(t, 3)
	code, stdout, stderr := runCLI(t, env, append(args, "--restart")...)
	assert.Equal(t, exitFailed, code, stderr)
	out := stdout + stderr // the summary says why each window failed
	assert.Contains(t, out, "shard 2 of the cluster is unreachable")
	assert.Contains(t, out, c.Addr(2))
	assert.Contains(t, out, c.Addr(3))
	assert.Contains(t, out, "nothing was swapped in")
	assert.Equal(t, shard1, c.MustQuery(t, 0, db, "SELECT count() FROM userflow_content_sessions_local"), "nothing swapped on the shard that was up")

	c.Restart(t, 2)
	c.Restart(t, 3)
	code, _, stderr = runCLI(t, env, append(args, "--restart")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, before, count())
}

// TestClusterLockAndStateSeenFromAnotherHost: a run holds the lock through
// shard 1's first replica; a second process with another hostname, talking
// to shard 2's second replica, is refused naming the holder, and sees the
// watermarks once the run is over.
func TestClusterLockAndStateSeenFromAnotherHost(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	env := userflowSandbox(t)
	env["CLICKHOUSE_DSN"] = c.DSN(t, 0, db)
	env["CLICKHOUSE_CLUSTER"] = c.Name
	code, _, stderr := runCLI(t, env, "run", "--sink", chSink, "--stream", "content_sessions", "--initial-period", "2d")
	require.Equal(t, exitOK, code, stderr)

	bin := buildBinary(t)
	slow := slowSandbox(t)
	for k, v := range env {
		if _, set := slow[k]; !set {
			slow[k] = v
		}
	}
	cmd := exec.Command(bin, "backfill", "--sink", chSink, "--stream", "content_sessions", "--from", daysAgo(13), "--to", daysAgo(0), "--chunk", "1d", "--parallel", "1")
	cmd.Env = environ(slow)
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }()
	var seen strings.Builder
	require.True(t, waitForLine(pipe, "run started", 1, &seen), seen.String())
	// The claim reached every replica (etl_locks is replicated to all nodes).
	_, err = c.Query(3, db, "SYSTEM SYNC REPLICA etl_locks")
	require.NoError(t, err)

	other := map[string]string{}
	for k, v := range env {
		other[k] = v
	}
	other["CLICKHOUSE_DSN"] = c.DSN(t, 3, db)
	// Another host: its own UTS namespace with another hostname.
	onOtherHost := func(args ...string) (int, string) {
		sh := exec.Command("unshare", append([]string{"--uts", "sh", "-c", `hostname etl-other-host && exec "$@"`, "sh", bin}, args...)...)
		sh.Env = environ(other)
		out, err := sh.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return code, string(out)
	}
	code, out := onOtherHost("state", "reset", "--source", "userflow", "--sink", chSink)
	assert.Equal(t, exitFailed, code, out)
	assert.Contains(t, out, "another etl run holds the lock")
	assert.Contains(t, out, "pid ")
	host, err := os.Hostname()
	require.NoError(t, err)
	assert.Contains(t, out, "host "+host, "the refusal names the holder on the first host")

	// The holder dies. Its PID can only be checked on its own host: the
	// other host still waits for the ttl, which is what a lock identity of
	// (host, pid) means, while a process on the holder's host takes over.
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	code, out = onOtherHost("state", "reset", "--source", "userflow", "--sink", chSink)
	assert.Equal(t, exitFailed, code, out)
	assert.Contains(t, out, "another etl run holds the lock")
	_, err = c.Query(3, db, "SYSTEM SYNC REPLICA etl_state")
	require.NoError(t, err)
	code, out = onOtherHost("state", "show", "--sink", chSink)
	assert.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "content_sessions")
	wm := c.MustQuery(t, 0, db, "SELECT toDate(argMax(watermark, updated_at_ms)) FROM etl_state WHERE source = 'userflow' AND stream = 'content_sessions'")
	assert.Contains(t, out, wm, "the watermark written through node 0")
	code, _, stderr = runCLI(t, env, "state", "reset", "--source", "userflow", "--sink", chSink)
	assert.Equal(t, exitOK, code, "the holder's host sees its PID is gone and takes the lock over: %s", stderr)
}
