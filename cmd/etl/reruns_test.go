package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	pqsink "github.com/adoptionlabs/etl/load/parquet"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/pipeline/plan"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// daysAgo is the UTC day n days before today, as the CLI takes it.
func daysAgo(n int) string {
	return window.Floor(time.Now()).AddDate(0, 0, -n).Format(time.DateOnly)
}

// parquetState is where a Parquet directory keeps its state by default.
func parquetState(out string) string { return filepath.Join(out, pqsink.StateDir) }

func entryOf(t *testing.T, stateDir, source, stream string) (state.Entry, bool) {
	t.Helper()
	store, err := state.OpenFile(stateDir)
	require.NoError(t, err)
	defer store.Close()
	e, ok, err := store.Get(context.Background(), source, stream)
	require.NoError(t, err)
	return e, ok
}

func sessionsDigest(t *testing.T, out string) string {
	rows := testsupport.DuckDB(t, fmt.Sprintf(
		"SELECT count(*) AS n, coalesce(sum(hash(id) %% 1000003), 0) AS h, round(coalesce(sum(CAST(progress AS DOUBLE)), 0), 6) AS p FROM read_parquet('%s/userflow_content_sessions/*/*.parquet', hive_partitioning = true)", out))
	return fmt.Sprint(rows[0]["n"], "/", rows[0]["h"], "/", rows[0]["p"])
}

// §1: the same range into a second destination is a plan of its own.
func TestSameBackfillIntoTwoDestinationsLoadsBoth(t *testing.T) {
	env := userflowSandbox(t)
	a, b := t.TempDir(), t.TempDir()
	args := []string{"backfill", "--stream", "content_sessions", "--from", daysAgo(9), "--to", daysAgo(2), "--chunk", "2d"}
	code, _, stderr := runCLI(t, env, append(args, "--out", a)...)
	require.Equal(t, exitOK, code, stderr)
	code, stdout, stderr := runCLI(t, env, append(args, "--out", b)...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "resuming backfill")
	assert.NotRegexp(t, `(?m)^TOTAL\s+0\s`, stdout, "the second destination got rows")
	da := sessionsDigest(t, a)
	assert.False(t, strings.HasPrefix(da, "0/"), da)
	assert.Equal(t, da, sessionsDigest(t, b), "both destinations hold every row")
}

// §1: a completed backfill is retired; the same command afterwards pulls
// the range again and so picks up what the vendor changed.
func TestCompletedBackfillRerunPicksUpChangedData(t *testing.T) {
	now := time.Now().UTC()
	fake := userflowfake.New(userflowfake.Options{Seed: 5, Now: now, Scale: 0.3})
	srv, err := sandbox.Start(fake)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	env := map[string]string{"USERFLOW_BASE_URL": srv.URL, "USERFLOW_API_KEY": userflowfake.DemoAPIKey, "USERFLOW_RATE_LIMIT": "unlimited", "ETL_STATE_DIR": t.TempDir()}
	out := t.TempDir()
	from, to := window.Floor(now).AddDate(0, 0, -8), window.Floor(now).AddDate(0, 0, -3)
	args := []string{"backfill", "--stream", "content_sessions", "--from", from.Format(time.DateOnly), "--to", to.Format(time.DateOnly), "--out", out}
	code, _, stderr := runCLI(t, env, args...)
	require.Equal(t, exitOK, code, stderr)
	before := sessionsDigest(t, out)

	// The vendor restates a session of the range (same day, new progress).
	var target userflowfake.Session
	for _, s := range fake.SessionsBetween(from.Add(window.Day), to) {
		if s.Progress != "0.5" {
			target = s
			break
		}
	}
	require.NotEmpty(t, target.ID)
	require.NoError(t, fake.TouchSession(target.ID, target.LastActivityAt, "0.5", target.Completed))

	code, stdout, stderr := runCLI(t, env, args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "pulling the whole range again")
	assert.NotContains(t, stderr, "resuming backfill")
	assert.NotRegexp(t, `(?m)^TOTAL\s+0\s`, stdout)
	after := sessionsDigest(t, out)
	assert.NotEqual(t, before, after, "the restated session is loaded")
	rows := testsupport.DuckDB(t, fmt.Sprintf("SELECT CAST(progress AS DOUBLE) AS p FROM read_parquet('%s/userflow_content_sessions/*/*.parquet', hive_partitioning = true) WHERE id = '%s'", out, target.ID))
	require.Len(t, rows, 1)
	assert.EqualValues(t, 0.5, rows[0]["p"])
}

// waitForLine reads r until the n-th line containing s (or the process
// ends).
func waitForLine(r io.Reader, s string, n int, seen *strings.Builder) bool {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), s) {
			if n--; n > 0 {
				continue
			}
			go func() { _, _ = io.Copy(io.Discard, r) }()
			return true
		}
	}
	return false
}

// startAndKillAfterACommit runs the binary and SIGKILLs it once a chunk
// committed and its progress was saved: with --parallel 1, the second
// chunk finishing means the first one's progress is saved.
func startAndKillAfterACommit(t *testing.T, bin string, env map[string]string, args ...string) string {
	cmd := exec.Command(bin, args...)
	cmd.Env = environ(env)
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var seen strings.Builder
	committed := waitForLine(pipe, `msg="stream done"`, 2, &seen)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	require.True(t, committed, "a chunk committed before the kill: %s", seen.String())
	return seen.String()
}

// §1 end to end with the real binary: a killed backfill resumes with a line
// saying how many chunks are left, `etl state show` lists it while it is
// unfinished, --restart drops its progress, and once complete it is retired.
func TestKilledBackfillResumesThenIsRetired(t *testing.T) {
	bin := buildBinary(t)
	env := slowSandbox(t)
	env["ETL_STATE_DIR"] = t.TempDir()
	out := t.TempDir()
	backfill := []string{"backfill", "--stream", "content_sessions", "--from", daysAgo(14), "--to", daysAgo(1), "--chunk", "1d", "--parallel", "1", "--out", out}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = environ(env)
		b, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(b)
		}
		require.NoError(t, err, string(b))
		return 0, string(b)
	}

	startAndKillAfterACommit(t, bin, env, backfill...)
	code, show := run("state", "show", "--out", out)
	require.Equal(t, 0, code, show)
	assert.Contains(t, show, "UNFINISHED BACKFILLS")
	m := regexp.MustCompile(`(\d+) of 14`).FindStringSubmatch(show)
	require.Len(t, m, 2, show)
	assert.NotEqual(t, "0", m[1], "the killed run's committed chunks are listed")
	assert.Contains(t, show, "parquet:"+out)

	// --restart drops them on purpose (and is killed again).
	restarted := startAndKillAfterACommit(t, bin, env, append(backfill, "--restart")...)
	assert.Contains(t, restarted, "--restart: dropped the progress of the unfinished backfill")

	code, resumed := run(backfill...)
	require.Equal(t, 0, code, resumed)
	m = regexp.MustCompile(`resuming backfill: (\d+) of 14 chunks left`).FindStringSubmatch(resumed)
	require.Len(t, m, 2, resumed)
	assert.NotEqual(t, "14", m[1])
	assert.Contains(t, resumed, "backfill complete")
	complete := sessionsDigest(t, out)

	code, show = run("state", "show", "--out", out)
	require.Equal(t, 0, code, show)
	assert.Contains(t, show, "no unfinished backfill")

	code, again := run(backfill...)
	require.Equal(t, 0, code, again)
	assert.Contains(t, again, "pulling the whole range again (14 chunks)")
	assert.Equal(t, 14, strings.Count(again, "userflow  content_sessions"), "every chunk ran again")
	assert.Equal(t, complete, sessionsDigest(t, out), "the rerun changes no figure")
}

// 0 rows where the previous run of the stream had rows is a
// WARN line and a mark in the summary, the report and the metrics, not a
// failure.
func TestZeroRowsAfterRowsIsFlagged(t *testing.T) {
	env := userflowSandbox(t)
	out, dir := t.TempDir(), t.TempDir()
	rep, prom := filepath.Join(dir, "run.json"), filepath.Join(dir, "etl.prom")
	code, stdout, stderr := runCLI(t, env, "backfill", "--stream", "content_sessions", "--from", daysAgo(5), "--to", daysAgo(3), "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "WARN")
	e, ok := entryOf(t, parquetState(out), "userflow", "content_sessions")
	require.True(t, ok)
	require.Greater(t, e.LastRows, int64(0), "the rows of the last run are kept")

	// Long before the sandbox's history: the API answers, with nothing.
	code, stdout, stderr = runCLI(t, env, "backfill", "--stream", "content_sessions", "--from", daysAgo(400), "--to", daysAgo(398), "--out", out, "--report", rep, "--metrics-file", prom)
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `(?m)^WARN userflow.content_sessions: 0 rows for .*the previous run of this stream loaded \d+`, stdout)
	assert.Contains(t, stderr, "level=WARN")
	m, err := os.ReadFile(prom)
	require.NoError(t, err)
	assert.Contains(t, string(m), `etl_stream_zero_rows_warning{source="userflow",stream="content_sessions"} 1`)
	var r struct {
		Status   string `json:"status"`
		Warnings []struct {
			Kind         string `json:"kind"`
			PreviousRows int64  `json:"previous_rows"`
		} `json:"warnings"`
	}
	b, err := os.ReadFile(rep)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, "ok", r.Status)
	require.Len(t, r.Warnings, 1)
	assert.Equal(t, "zero_rows", r.Warnings[0].Kind)
	assert.Equal(t, e.LastRows, r.Warnings[0].PreviousRows)
}

// §2.5: the watermark never jumps into the future or over a gap.
func TestBackfillMovesTheWatermarkOnlyOverWhatItCovers(t *testing.T) {
	env := userflowSandbox(t)
	out := t.TempDir()
	today := window.Floor(time.Now())
	wm := func() time.Time {
		e, ok := entryOf(t, parquetState(out), "userflow", "content_sessions")
		require.True(t, ok)
		return e.Watermark.UTC()
	}
	backfill := func(from, to string) (int, string, string) {
		return runCLI(t, env, "backfill", "--stream", "content_sessions", "--from", from, "--to", to, "--out", out)
	}

	// Wholly in the future: refused before any request.
	future := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	code, _, stderr := backfill(future(19), future(40))
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "after the last day that can be pulled")

	code, _, stderr = backfill(daysAgo(20), daysAgo(15))
	require.Equal(t, exitOK, code, stderr)
	require.Equal(t, today.AddDate(0, 0, -14), wm())

	// After the watermark: loaded, but the days between stay owed.
	code, _, stderr = backfill(daysAgo(5), daysAgo(3))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "after the watermark")
	assert.Equal(t, today.AddDate(0, 0, -14), wm(), "the gap is not skipped")

	// Covering the watermark and running into the future: clipped to
	// yesterday, where the nightly run ends (settle_lag 0; today is partial).
	code, _, stderr = backfill(daysAgo(14), future(30))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "is after the last day that can be pulled, "+daysAgo(1)+": loading")
	assert.Equal(t, today, wm(), "never past the start of today")
}

// §2.6: windows the API cannot serve (the bot keeps 3 months of
// transcripts) count as done, so the watermark moves, and print sensibly.
func TestWindowsBeyondTheAPIDoNotBlockTheWatermark(t *testing.T) {
	p, _ := extract.Lookup("bot")
	sb := p.Sandbox(extract.SandboxOptions{Seed: 3, Now: time.Now().UTC(), Scale: 0.2})
	srv, err := sandbox.Start(sb.Handler)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	env := sb.Env(srv.URL)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, env, "run", "--source", "bot", "--stream", "transcripts", "--initial-period", "120d", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "skipped")
	for _, m := range regexp.MustCompile(`(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})`).FindAllStringSubmatch(stdout, -1) {
		assert.LessOrEqual(t, m[1], m[2], "a window never ends before it starts: %s", m[0])
	}
	e, ok := entryOf(t, parquetState(out), "bot", "transcripts")
	require.True(t, ok, "the run left state")
	assert.Equal(t, window.Floor(time.Now()), e.Watermark.UTC())
}

// §2.9, §2.10: reset resolves --stream like run, takes the run lock, and
// with file state does not open the data sink.
func TestStateResetIsValidatedAndLocked(t *testing.T) {
	env := userflowSandbox(t)
	out := t.TempDir()
	code, _, stderr := runCLI(t, env, "run", "--stream", "content_sessions", "--initial-period", "2d", "--out", out)
	require.Equal(t, exitOK, code, stderr)

	code, _, stderr = runCLI(t, env, "state", "reset", "--source", "userflow", "--stream", "content_sesions", "--out", out)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "--stream content_sesions")
	code, _, stderr = runCLI(t, env, "state", "reset", "--source", "userflow", "--stream", "bot.transcripts", "--out", out)
	assert.Equal(t, exitUsage, code, stderr)

	// A run in flight holds the lock: reset waits its turn.
	store, err := state.OpenFile(parquetState(out))
	require.NoError(t, err)
	lock, _, err := store.Lock(context.Background(), pipeline.LockName, time.Hour, state.Holder{Command: "etl run"})
	require.NoError(t, err)
	code, _, stderr = runCLI(t, env, "state", "reset", "--source", "userflow", "--stream", "userflow.content_sessions", "--out", out)
	assert.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, stderr, "another etl run holds the lock")
	require.NoError(t, lock.Release(context.Background()))
	require.NoError(t, store.Close())
	_, ok := entryOf(t, parquetState(out), "userflow", "content_sessions")
	require.True(t, ok, "a refused reset changes nothing")

	// The Parquet directory is busy (a demo writing there): file state
	// does not need it.
	busy, err := pqsink.New(out, pqsink.Options{})
	require.NoError(t, err)
	defer busy.Close()
	code, stdout, stderr := runCLI(t, env, "state", "reset", "--source", "userflow", "--stream", "userflow.content_sessions", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "reset 1 stream(s) of userflow.content_sessions")
	_, ok = entryOf(t, parquetState(out), "userflow", "content_sessions")
	assert.False(t, ok)
}

// §2.9 with the ClickHouse store: reset is refused while a run holds the lock.
// backfillInFlight starts, in another process, a slow ClickHouse backfill of
// env's database and returns once it holds the run lock; it is killed when
// the test ends.
func backfillInFlight(t *testing.T, env map[string]string) {
	t.Helper()
	bin := buildBinary(t)
	slow := slowSandbox(t)
	for k, v := range env {
		if _, set := slow[k]; !set {
			slow[k] = v
		}
	}
	cmd := exec.Command(bin, "backfill", "--sink", chSink, "--stream", "content_sessions", "--from", daysAgo(14), "--to", daysAgo(1), "--chunk", "1d", "--parallel", "1")
	cmd.Env = environ(slow)
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() })
	var seen strings.Builder
	require.True(t, waitForLine(pipe, "run started", 1, &seen), seen.String())
}

func TestStateResetWaitsForTheRunLockInClickHouse(t *testing.T) {
	env := userflowSandbox(t)
	dsn := testsupport.FreshDatabase(t)
	env["CLICKHOUSE_DSN"] = dsn
	code, _, stderr := runCLI(t, env, "run", "--sink", chSink, "--stream", "content_sessions", "--initial-period", "2d")
	require.Equal(t, exitOK, code, stderr)

	// Another process's run, in flight.
	backfillInFlight(t, env)

	code, _, stderr = runCLI(t, env, "state", "reset", "--source", "userflow", "--sink", chSink)
	assert.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, stderr, "another etl run holds the lock")
	assert.Contains(t, stderr, "pid ")
}

// A run whose ClickHouse lock is refused extracted while the lock settled
// (early start), but sent ClickHouse nothing of it: no staging table, no
// row, and it never said it started.
func TestRunRefusedByTheClickHouseLockSentNothing(t *testing.T) {
	env, requests := countedUserflowSandbox(t)
	dsn := testsupport.FreshDatabase(t)
	env["CLICKHOUSE_DSN"] = dsn
	code, _, stderr := runCLI(t, env, "migrate")
	require.Equal(t, exitOK, code, stderr)

	backfillInFlight(t, env)

	// The refused run's queries are logged, to see what it sent.
	env["CLICKHOUSE_DSN"] = dsn + "?log_queries=1"
	code, _, stderr = runCLI(t, env, "run", "--sink", chSink, "--stream", "userflow.users")
	assert.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, stderr, "another etl run holds the lock")
	assert.NotContains(t, stderr, "run started")
	assert.Zero(t, requests.Load(), "a lock visibly held is refused before the run extracts anything: the vendor got no request")

	db := dsn[strings.LastIndex(dsn, "/")+1:]
	testsupport.ClickHouseQuery(t, dsn, "SYSTEM FLUSH LOGS")
	sent := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf(`SELECT query FROM system.query_log
WHERE type = 1 AND position(query, '%s') > 0 AND position(query, 'userflow_users') > 0`, db))
	assert.Empty(t, sent, "the refused run created no staging and inserted no row")
	rows := testsupport.ClickHouseQuery(t, dsn, "SELECT count() AS n FROM userflow_users")
	assert.EqualValues(t, 0, rows[0]["n"])
}

// §2.11: a DSN that does not parse is bad configuration; a refused login
// says so.
func TestClickHouseDSNErrors(t *testing.T) {
	dsn := testsupport.ClickHouseDSN(t) // before runCLI replaces the environment
	env := userflowSandbox(t)
	env["CLICKHOUSE_DSN"] = "clickhouse://etl:pw@[::1:9000/db"
	code, _, stderr := runCLI(t, env, "run", "--sink", chSink)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "CLICKHOUSE_DSN is not a valid DSN")
	assert.NotContains(t, stderr, "pw@")
	env["CLICKHOUSE_DSN"] = "http://localhost:8123/db"
	code, _, stderr = runCLI(t, env, "state", "show", "--sink", chSink)
	assert.Equal(t, exitUsage, code, stderr)

	i, j := strings.Index(dsn, "://"), strings.Index(dsn, "@")
	host := dsn[i+3:]
	if j > i {
		host = dsn[j+1:]
	}
	server := host[:strings.Index(host, "/")] // host:port

	// Bad config is exit 2 with one line before any connection, from every
	// command that opens ClickHouse; nothing listens on port 9 here, so a
	// dial would say "does not answer" instead.
	for _, tc := range []struct{ dsn, want string }{
		{"clickhouse://etl:pw@127.0.0.1:9/db?dial_timeout=abc", "CLICKHOUSE_DSN is not a valid DSN"},
		{"clickhouse://etl:pw@127.0.0.1:9/db?compress=foo", "compress=foo is not a method of the native protocol (want none, lz4, lz4hc or zstd)"},
	} {
		for _, args := range [][]string{{"migrate"}, {"state", "show", "--sink", chSink}, {"run", "--sink", chSink}} {
			env["CLICKHOUSE_DSN"] = tc.dsn
			code, _, stderr = runCLI(t, env, args...)
			assert.Equal(t, exitUsage, code, "%s with %s: %s", args, tc.dsn, stderr)
			assert.Contains(t, stderr, tc.want, args)
			assert.NotContains(t, stderr, "does not answer", args)
			assert.NotContains(t, stderr, "pw@", args)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %s", stderr)
		}
	}

	// A DSN that names the server's HTTP port: said at once, not after the
	// 10 s dial timeout as "i/o timeout".
	httpPort := os.Getenv("CLICKHOUSE_HTTP_PORT")
	require.NotEmpty(t, httpPort, "scripts/with-clickhouse.sh exports CLICKHOUSE_HTTP_PORT")
	env["CLICKHOUSE_DSN"] = "clickhouse://etl:s3cret@127.0.0.1:" + httpPort + "/db"
	for _, args := range [][]string{{"migrate"}, {"state", "show", "--sink", chSink}} {
		start := time.Now()
		code, _, stderr = runCLI(t, env, args...)
		assert.Equal(t, exitUsage, code, "%s: %s", args, stderr)
		assert.Contains(t, stderr, "127.0.0.1:"+httpPort+" answers HTTP: that looks like ClickHouse's HTTP port", args)
		assert.Contains(t, stderr, "use the server's native TCP port", args)
		assert.NotContains(t, stderr, "i/o timeout", args)
		assert.NotContains(t, stderr, "s3cret", args)
		assert.Less(t, time.Since(start), 8*time.Second, "found before the 10 s dial timeout")
	}

	// A DSN without a database loads "default": said in one line, once.
	env["CLICKHOUSE_DSN"] = "clickhouse://" + server
	code, _, stderr = runCLI(t, env, "state", "show", "--sink", chSink)
	assert.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, strings.Count(stderr, "CLICKHOUSE_DSN names no database: loading ClickHouse's default database at "+server), stderr)
	env["CLICKHOUSE_DSN"] = "clickhouse://" + server + "/default"
	code, _, stderr = runCLI(t, env, "state", "show", "--sink", chSink)
	assert.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "names no database", "/default says so")
	env["CLICKHOUSE_DSN"] = "clickhouse://nobody_here:wrong@" + host
	code, _, stderr = runCLI(t, env, "state", "show", "--sink", chSink)
	assert.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, stderr, `refused user "nobody_here": authentication failed`)
	assert.NotContains(t, stderr, "is the server running")
	assert.NotContains(t, stderr, "wrong@")
}

// §2.12: whichever lock refuses a second run names its holder.
func TestSecondRunRefusedByTheParquetLockNamesItsHolder(t *testing.T) {
	env := userflowSandbox(t)
	out := t.TempDir()
	busy, err := pqsink.New(out, pqsink.Options{})
	require.NoError(t, err)
	defer busy.Close()
	code, _, stderr := runCLI(t, env, "run", "--stream", "content_sessions", "--out", out)
	assert.Equal(t, exitFailed, code)
	host, _ := os.Hostname()
	assert.Contains(t, stderr, fmt.Sprintf("host %s pid %d since ", host, os.Getpid()))
}

// §1: a resumed backfill whose every chunk an earlier run committed (it was
// killed before it could retire the plan) says so, runs nothing and exits 0.
func TestResumedBackfillWithNothingLeftSaysSo(t *testing.T) {
	env := userflowSandbox(t)
	out := t.TempDir()
	from, to := window.Floor(time.Now()).AddDate(0, 0, -4), window.Floor(time.Now()).AddDate(0, 0, -2)
	s := &engine.Stream{Source: "userflow", Name: "content_sessions", Windowed: true}
	tasks := plan.Chunks([]*engine.Stream{s}, window.New(from, to.Add(window.Day)), window.Day)
	require.Len(t, tasks, 3)
	abs, err := filepath.Abs(out)
	require.NoError(t, err)
	id := plan.ID(tasks, "parquet:"+abs)

	store, err := state.OpenFile(parquetState(out))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, store.SavePlan(ctx, state.Plan{ID: id, Command: "etl backfill", Destination: "parquet:" + abs, Tasks: 3, Started: time.Now()}))
	for _, tk := range tasks {
		require.NoError(t, store.MarkDone(ctx, id, tk.Key()))
	}
	require.NoError(t, store.Close())

	rep := filepath.Join(t.TempDir(), "run.json")
	code, stdout, stderr := runCLI(t, env, "backfill", "--stream", "content_sessions", "--from", from.Format(time.DateOnly), "--to", to.Format(time.DateOnly), "--chunk", "1d", "--out", out, "--report", rep)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "nothing to do: every one of the 3 chunks of this backfill was committed by an earlier run")
	assert.NotContains(t, stdout, "TOTAL", "no chunk ran")
	b, err := os.ReadFile(rep)
	require.NoError(t, err, "the scheduler still gets its report")
	assert.Contains(t, string(b), `"status": "ok"`)

	// Now retired: the same command is a new pull.
	code, _, stderr = runCLI(t, env, "backfill", "--stream", "content_sessions", "--from", from.Format(time.DateOnly), "--to", to.Format(time.DateOnly), "--chunk", "1d", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "pulling the whole range again (3 chunks)")
}
