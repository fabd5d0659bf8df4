package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

func userflowSandbox(t *testing.T) map[string]string {
	env, _ := countedUserflowSandbox(t)
	return env
}

// countedUserflowSandbox is userflowSandbox counting the requests its fake
// receives.
func countedUserflowSandbox(t *testing.T) (map[string]string, *atomic.Int64) {
	p, _ := extract.Lookup("userflow")
	sb := p.Sandbox(extract.SandboxOptions{Seed: 7, Now: time.Now().UTC(), Scale: 0.3})
	var requests atomic.Int64
	srv, err := sandbox.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		sb.Handler.ServeHTTP(w, r)
	}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return sb.Env(srv.URL), &requests
}

func TestNightlyRunAdvancesWatermarksAndReports(t *testing.T) {
	env := userflowSandbox(t)
	out, dir := t.TempDir(), t.TempDir()
	rep, prom := filepath.Join(dir, "run.json"), filepath.Join(dir, "etl.prom")
	code, stdout, stderr := runCLI(t, env, "run", "--stream", "content_sessions", "--initial-period", "3d", "--out", out, "--report", rep, "--metrics-file", prom)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "content_sessions")

	store, err := state.OpenFile(parquetState(out))
	require.NoError(t, err)
	e, ok, err := store.Get(context.Background(), "userflow", "content_sessions")
	require.NoError(t, err)
	require.True(t, ok)
	today := window.Floor(time.Now())
	assert.Equal(t, today, e.Watermark.UTC(), "the watermark is the end of the committed window")
	require.NoError(t, store.Close())

	var r map[string]any
	b, err := os.ReadFile(rep)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, "ok", r["status"])
	m, err := os.ReadFile(prom)
	require.NoError(t, err)
	assert.Contains(t, string(m), `etl_stream_status{source="userflow",stream="content_sessions"} 1`)

	// The next night re-pulls only the lookback.
	code, _, stderr = runCLI(t, env, "run", "--stream", "content_sessions", "--lookback", "2d", "--out", out, "--dry-run")
	require.Equal(t, exitOK, code, stderr)
	code, stdout, _ = runCLI(t, env, "run", "--stream", "content_sessions", "--lookback", "2d", "--out", out, "--dry-run")
	assert.Contains(t, stdout, window.New(today.Add(-2*window.Day), today).String())
}

func TestSecondRunOnTheSameStateIsRefused(t *testing.T) {
	env := userflowSandbox(t)
	out := t.TempDir()
	store, err := state.OpenFile(parquetState(out))
	require.NoError(t, err)
	defer store.Close()
	lock, _, err := store.Lock(context.Background(), pipeline.LockName, time.Hour, state.Holder{Command: "etl run", PID: os.Getpid()})
	require.NoError(t, err)
	defer lock.Release(context.Background())
	code, _, stderr := runCLI(t, env, "run", "--stream", "content_sessions", "--out", out)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "another etl run holds the lock")
	assert.Contains(t, stderr, "pid ")
}

// A backfill that completed is retired: the same command pulls its range
// again (resuming is for a plan that did not finish: see reruns_test.go).
func TestCompletedBackfillIsPulledAgain(t *testing.T) {
	env := userflowSandbox(t)
	out := t.TempDir()
	from := window.Floor(time.Now()).AddDate(0, 0, -7).Format(time.DateOnly)
	to := window.Floor(time.Now()).AddDate(0, 0, -1).Format(time.DateOnly)
	args := []string{"backfill", "--stream", "content_sessions", "--from", from, "--to", to, "--chunk", "1d", "--out", out}
	code, stdout, stderr := runCLI(t, env, args...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "TOTAL")
	code, stdout, stderr = runCLI(t, env, args...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, "resuming backfill")
	assert.Contains(t, stderr, "pulling the whole range again (7 chunks)")
	assert.Equal(t, 7, strings.Count(stdout, "content_sessions  "), "every chunk ran again")
}

// TestNightlyRunWithClickHouseKeepsStateInClickHouse is the README's cron
// line, night after night: state lives in etl_state, the second night
// re-pulls the lookback and the tables stay exact. Only Userflow has an
// account here, so the run names it with --source (a configured source
// without credentials fails the run).
func TestNightlyRunWithClickHouseKeepsStateInClickHouse(t *testing.T) {
	env := userflowSandbox(t)
	dsn := testsupport.FreshDatabase(t)
	env["CLICKHOUSE_DSN"] = dsn
	env["ETL_STATE_DIR"] = t.TempDir()
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	count := func() string {
		rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT count() AS n, round(sum(progress), 6) AS p FROM `%s`.userflow_content_sessions", db))
		// Rounded: a float sum's last digits depend on the order parts are read in.
		return fmt.Sprint(rows[0]["n"], "/", rows[0]["p"])
	}
	code, _, stderr := runCLI(t, env, "run", "--source", "userflow", "--sink", chSink, "--initial-period", "5d")
	require.Equal(t, exitOK, code, stderr)
	first := count()
	code, stdout, stderr := runCLI(t, env, "state", "show", "--sink", chSink)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "content_sessions")
	assert.Contains(t, stdout, window.Floor(time.Now()).Format(time.RFC3339))
	assert.Contains(t, stdout, "state of clickhouse://", "it says whose state it shows")
	local, err := os.ReadDir(env["ETL_STATE_DIR"])
	require.NoError(t, err)
	assert.Empty(t, local, "with the ClickHouse sink, state is not in local files, even with ETL_STATE_DIR set")

	code, _, stderr = runCLI(t, env, "run", "--source", "userflow", "--sink", chSink, "--lookback", "2d")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, first, count(), "the next night's overlap changes no figure")

	code, stdout, _ = runCLI(t, env, "state", "reset", "--source", "userflow", "--stream", "content_sessions", "--sink", chSink)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "reset 1 stream(s) of userflow")
}
