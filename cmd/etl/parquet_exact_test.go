package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// sessionLines are the sessions of a Parquet directory as "id
// last_activity_at progress" lines, sorted, read by DuckDB.
func sessionLines(t *testing.T, out string) []string {
	t.Helper()
	return column(testsupport.DuckDB(t, fmt.Sprintf(`
SELECT id || ' ' || strftime(last_activity_at AT TIME ZONE 'UTC', '%%Y-%%m-%%d %%H:%%M:%%S') || ' ' || CAST(CAST(round(progress * 1000) AS BIGINT) AS VARCHAR) AS r
FROM read_parquet('%s/userflow_content_sessions/**/*.parquet', hive_partitioning = true) ORDER BY r`, out)))
}

// The scenario and its variations, through the built binary: a
// Userflow sessions backfill in daily chunks, sessions coming back, the
// same command again, other chunk sizes, windows in reverse order,
// --parallel 4, a nightly run and kill -9 with resumes. After each, the
// files hold exactly the source's sessions, one row each in its latest
// state, as DuckDB and chdb (readers that did not write them) count with a
// plain glob; and the answers one row per id.
func TestParquetMergeTablesHoldEachKeyOnce(t *testing.T) {
	bin := buildBinary(t)
	now := time.Now().UTC()
	fake := userflowfake.New(userflowfake.Options{Seed: 27, Now: now, Scale: 0.3})
	srv, err := sandbox.Start(fake)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	env := map[string]string{"USERFLOW_BASE_URL": srv.URL, "USERFLOW_API_KEY": userflowfake.DemoAPIKey, "USERFLOW_RATE_LIMIT": "unlimited"}
	today := window.Floor(now)
	from, to := today.AddDate(0, 0, -18), today.AddDate(0, 0, -1)
	run := func(env map[string]string, out string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--out", out)...)
		cmd.Env = environ(env)
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "etl %s: %s", strings.Join(args, " "), b)
	}
	backfill := func(chunk string, extra ...string) []string {
		return append([]string{"backfill", "--stream", "content_sessions", "--from", from.Format(time.DateOnly), "--to", to.Format(time.DateOnly), "--chunk", chunk}, extra...)
	}
	// The source's sessions of the range, in the lines sessionLines reads.
	source := func() []string {
		var out []string
		for _, s := range fake.SessionsBetween(from, today) {
			p, err := strconv.ParseFloat(s.Progress, 64)
			require.NoError(t, err)
			out = append(out, fmt.Sprintf("%s %s %d", s.ID, s.LastActivityAt.UTC().Format(time.DateTime), int64(p*1000+0.5)))
		}
		slices.Sort(out)
		return out
	}
	exact := func(out, step string) {
		t.Helper()
		want := source()
		require.Greater(t, len(want), 300, "the source has sessions in the range")
		assert.Equal(t, want, sessionLines(t, out), "%s: the files hold the source's sessions, each once, in its latest state", step)
		sessions := out + "/userflow_content_sessions/**/*.parquet"
		answers := out + "/userflow_session_answers/**/*.parquet"
		counts := testsupport.DuckDB(t, fmt.Sprintf("SELECT count(*) AS n, count(DISTINCT id) AS k, (SELECT count(*) FROM read_parquet('%s')) AS a, (SELECT count(DISTINCT id) FROM read_parquet('%s')) AS ak FROM read_parquet('%s', hive_partitioning = true)", answers, answers, sessions))
		assert.Equal(t, []map[string]any{{"n": int64(len(want)), "k": int64(len(want)), "a": counts[0]["ak"], "ak": counts[0]["ak"]}}, counts, "%s: DuckDB", step)
		ch := testsupport.ChDB(t, "SELECT count() AS n, uniqExact(id) AS k FROM file('"+sessions+"', Parquet) SETTINGS use_hive_partitioning = 1")
		assert.Equal(t, []map[string]any{{"n": int64(len(want)), "k": int64(len(want))}}, ch[0], "%s: chdb", step)
	}
	// comeBack gives a share of the range's sessions later activity, still
	// within the range, as users return.
	rng := rand.New(rand.NewSource(4))
	comeBack := func(share float64, latest time.Time) int {
		n := 0
		for _, s := range fake.SessionsBetween(from, latest) {
			if rng.Float64() < share {
				later := s.LastActivityAt.Add(time.Duration(1+rng.Int63n(int64(latest.Sub(s.LastActivityAt)/time.Minute))) * time.Minute)
				require.NoError(t, fake.TouchSession(s.ID, later, fmt.Sprint(0.5+rng.Float64()/2), false))
				n++
			}
		}
		return n
	}

	// Four directories load the range before the source changes; each then
	// loads it again another way.
	out, reverse, parallel, killed := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	for _, dir := range []string{out, reverse, parallel, killed} {
		run(env, dir, backfill("1d")...)
	}
	exact(out, "backfill in 1-day chunks")
	require.Positive(t, comeBack(0.15, today.Add(-time.Minute)))
	run(env, out, backfill("1d")...)
	exact(out, "the same command after sessions came back")
	run(env, out, backfill("7d")...)
	exact(out, "the whole range in 7-day chunks")

	for _, w := range [][2]int{{-6, -1}, {-12, -7}, {-18, -13}, {-9, -4}} {
		run(env, reverse, "backfill", "--stream", "content_sessions", "--from", today.AddDate(0, 0, w[0]).Format(time.DateOnly), "--to", today.AddDate(0, 0, w[1]).Format(time.DateOnly), "--chunk", "2d")
	}
	exact(reverse, "windows in reverse order")

	run(env, parallel, backfill("1d", "--parallel", "4")...)
	exact(parallel, "--parallel 4")

	// kill -9 mid-run, several times, then the same command to the end.
	slow := maps.Clone(env)
	slow["USERFLOW_RATE_LIMIT"] = "8/s"
	for _, after := range []time.Duration{300 * time.Millisecond, 900 * time.Millisecond, 1500 * time.Millisecond} {
		cmd := exec.Command(bin, append(backfill("1d", "--parallel", "2"), "--out", killed)...)
		cmd.Env = environ(slow)
		require.NoError(t, cmd.Start())
		time.Sleep(after)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	run(slow, killed, backfill("1d", "--parallel", "2")...)
	exact(killed, "kill -9 three times, then resumed")
	files, err := pqsink.ListFiles(context.Background(), killed, "userflow_content_sessions")
	require.NoError(t, err)
	for _, f := range files {
		assert.NotContains(t, f, "/.", "no staging left among the files")
	}

	// The nightly run: sessions of 8 to 15 days ago come back yesterday;
	// the run's lookback reaches yesterday, not their old days.
	for _, s := range fake.SessionsBetween(today.AddDate(0, 0, -15), today.AddDate(0, 0, -8)) {
		if rng.Intn(4) == 0 {
			require.NoError(t, fake.TouchSession(s.ID, to.Add(time.Duration(rng.Intn(23*60))*time.Minute), "1", true))
		}
	}
	run(env, out, "run", "--stream", "content_sessions", "--lookback", "2d")
	exact(out, "a nightly run after sessions of earlier days came back")
}

// DuckDB, Spark, Trino and ClickHouse add a table's partition key as a
// column: no declared table may have a column of that name (the sink
// refuses one at Begin).
func TestNoTableDeclaresAColumnNamedLikeItsPartitionKey(t *testing.T) {
	for _, tbl := range defaultTables(t) {
		if key := pqsink.PartitionKey(tbl); key != "" {
			assert.Negative(t, tbl.Index(key), "%s declares %s", tbl.Name, key)
		}
	}
}
