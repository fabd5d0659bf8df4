package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/pipeline"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// Progress belongs to its destination: watermarks, backfill plans and the
// run lock of one Parquet directory (or ClickHouse database) are never
// moved by loading another. These run the built binary, as cron does.

// etlBinary runs the built binary in dir (the working directory, where
// earlier releases kept ./.etl-state) with env.
type etlBinary struct {
	t   *testing.T
	bin string
	dir string
	env map[string]string
}

func newEtlBinary(t *testing.T, env map[string]string) *etlBinary {
	env["ETL_STATE_DIR"] = "" // a developer's shell must not move the state
	return &etlBinary{t: t, bin: buildBinary(t), dir: t.TempDir(), env: env}
}

func (b *etlBinary) run(args ...string) (code int, stdout, stderr string) {
	b.t.Helper()
	cmd := exec.Command(b.bin, args...)
	cmd.Dir, cmd.Env = b.dir, environ(b.env)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(b.t, err)
	return 0, out.String(), errb.String()
}

// planned is the range the dry-run plans for userflow.content_sessions, ""
// when it plans nothing for it.
func planned(t *testing.T, stdout string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^userflow\.content_sessions\s+\d+\s+(\S+)`).FindStringSubmatch(stdout)
	if m == nil {
		require.Contains(t, stdout, "0 tasks", "neither a range nor an empty plan: %s", stdout)
		return ""
	}
	return m[1]
}

// watermarkOf is the content_sessions watermark `etl state show` prints
// for the destination out.
func (b *etlBinary) watermarkOf(out string) string {
	b.t.Helper()
	code, stdout, stderr := b.run("state", "show", "--out", out)
	require.Equal(b.t, exitOK, code, stderr)
	m := regexp.MustCompile(`(?m)^userflow\s+content_sessions\s+(\S+)`).FindStringSubmatch(stdout)
	require.NotNil(b.t, m, "no watermark shown for %s: %s", out, stdout)
	return m[1]
}

func watermarkIn(t *testing.T, stateDir string) time.Time {
	t.Helper()
	e, ok := entryOf(t, stateDir, "userflow", "content_sessions")
	require.True(t, ok, "no state in %s", stateDir)
	return e.Watermark.UTC()
}

// The Technowiz sequence, with Userflow sessions: a backfill into
// prod, a later range into scratch, then the nightly run into prod still
// starts from prod's own watermark. Before, scratch's backfill moved the
// one shared watermark and prod never got the days in between.
func TestBackfillIntoAnotherDirectoryLeavesTheNightlyWatermark(t *testing.T) {
	etl := newEtlBinary(t, userflowSandbox(t))
	prod, scratch := t.TempDir(), t.TempDir()
	backfill := func(out, from, to string) {
		code, _, stderr := etl.run("backfill", "--stream", "content_sessions", "--from", from, "--to", to, "--out", out)
		require.Equal(t, exitOK, code, stderr)
	}
	today := window.Floor(time.Now())
	stamp := func(n int) string { return today.AddDate(0, 0, -n).Format(time.RFC3339) }
	backfill(prod, daysAgo(11), daysAgo(8))
	require.Equal(t, stamp(7), etl.watermarkOf(prod))

	// Starts where prod's watermark is: into prod it would move it.
	backfill(scratch, daysAgo(7), daysAgo(2))
	assert.Equal(t, stamp(1), etl.watermarkOf(scratch), "scratch has its own watermark")
	assert.Equal(t, stamp(7), etl.watermarkOf(prod), "prod's stays")
	assert.Equal(t, today.AddDate(0, 0, -7), watermarkIn(t, parquetState(prod)), "kept beside prod's data")

	code, stdout, stderr := etl.run("run", "--stream", "content_sessions", "--lookback", "0d", "--out", prod, "--dry-run")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, window.New(today.AddDate(0, 0, -7), today).String(), planned(t, stdout), "prod gets every day it has not had")
}

// `etl state show` of the first destination reads the same, byte for byte,
// after a backfill into a second one.
func TestSecondDestinationLeavesTheFirstOnesStateShow(t *testing.T) {
	etl := newEtlBinary(t, userflowSandbox(t))
	first, second := t.TempDir(), t.TempDir()
	code, _, stderr := etl.run("backfill", "--stream", "content_sessions", "--from", daysAgo(6), "--to", daysAgo(4), "--out", first)
	require.Equal(t, exitOK, code, stderr)
	code, before, stderr := etl.run("state", "show", "--out", first)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, before, "content_sessions")

	code, _, stderr = etl.run("backfill", "--stream", "content_sessions", "--from", daysAgo(4), "--to", daysAgo(1), "--out", second)
	require.Equal(t, exitOK, code, stderr)
	code, after, stderr := etl.run("state", "show", "--out", first)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, before, after)
	code, other, stderr := etl.run("state", "show", "--out", second)
	require.Equal(t, exitOK, code, stderr)
	assert.NotEqual(t, before, other, "the second destination has a state of its own")
}

// With settle_lag 0 (the default), a backfill whose --to is in the future
// ends at the start of today, as the nightly run does: today, still
// filling, is not loaded, and the watermark is today's start, so the
// nightly run pulls today once it is complete.
func TestBackfillIntoTheFutureEndsAtTheStartOfToday(t *testing.T) {
	etl := newEtlBinary(t, userflowSandbox(t))
	out := t.TempDir()
	today := window.Floor(time.Now())
	future := today.AddDate(0, 0, 30).Format(time.DateOnly)
	code, _, stderr := etl.run("backfill", "--stream", "content_sessions", "--from", daysAgo(3), "--to", future, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	notice := regexp.MustCompile(`(?m)^.*--to ` + future + ` is after the last day that can be pulled, ` + daysAgo(1) + `: loading .*$`).FindString(stderr)
	assert.NotEmpty(t, notice, "one line says the range was clipped: %s", stderr)
	assert.Contains(t, notice, window.New(today.AddDate(0, 0, -3), today).String())

	assert.Equal(t, today.Format(time.RFC3339), etl.watermarkOf(out), "never past the start of today")
	loaded := testsupport.DuckDB(t, fmt.Sprintf("SELECT count(*) FILTER (WHERE last_activity_at >= TIMESTAMPTZ '%s') AS today, count(*) FILTER (WHERE CAST(timezone('UTC', last_activity_at) AS DATE) = DATE '%s') AS yesterday FROM read_parquet('%s/userflow_content_sessions/**/*.parquet')",
		today.Format(time.RFC3339), daysAgo(1), out))
	assert.EqualValues(t, 0, loaded[0]["today"], "today is not loaded")
	assert.Positive(t, loaded[0]["yesterday"], "yesterday is")
	// The state beside the data is no table to any reader's glob.
	require.DirExists(t, parquetState(out))
	require.NoError(t, filepath.WalkDir(parquetState(out), func(path string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		assert.False(t, strings.HasSuffix(path, ".parquet") || strings.Contains(d.Name(), "="), "%s: a reader globbing <out>/**/*.parquet or <out>/*/key=*/ would reach it", path)
		return nil
	}))

	code, stdout, stderr := etl.run("run", "--stream", "content_sessions", "--lookback", "0d", "--out", out, "--dry-run")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, planned(t, stdout), "nothing is owed before today ends")

	// Today alone is refused, with one line, before any request.
	code, _, stderr = etl.run("backfill", "--stream", "content_sessions", "--from", today.Format(time.DateOnly), "--to", future, "--out", out)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--from "+today.Format(time.DateOnly)+" is after the last day that can be pulled, "+daysAgo(1))
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, stderr)
}

// flatState writes state the way releases before per-destination state
// did: every destination's watermarks in one directory, and a backfill
// plan of scratch's, half done.
func flatState(t *testing.T, dir, scratch string, wm time.Time) {
	t.Helper()
	old, err := state.OpenFile(dir)
	require.NoError(t, err)
	defer old.Close()
	ctx := context.Background()
	require.NoError(t, old.Advance(ctx, state.Entry{Source: "userflow", Stream: "content_sessions", Watermark: wm, LastRows: 42}))
	abs, err := filepath.Abs(scratch)
	require.NoError(t, err)
	require.NoError(t, old.SavePlan(ctx, state.Plan{ID: "0123456789abcdef", Command: "etl backfill --from x --to y", Destination: "parquet:" + abs, Tasks: 4, Started: time.Now()}))
	require.NoError(t, old.MarkDone(ctx, "0123456789abcdef", "userflow.content_sessions@2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"))
}

// State an earlier release kept in its flat directory (./.etl-state, or
// state.dir / ETL_STATE_DIR) is carried over by the first command that
// opens a destination's state, once, with one line; the watermarks go to
// that destination only, and each backfill plan to the destination it
// names.
func TestStateOfTheFlatLayoutIsCarriedOverOnce(t *testing.T) {
	for _, layout := range []string{"./.etl-state", "ETL_STATE_DIR"} {
		t.Run(layout, func(t *testing.T) {
			etl := newEtlBinary(t, userflowSandbox(t))
			prod, scratch := t.TempDir(), t.TempDir()
			old := filepath.Join(etl.dir, ".etl-state")
			newDir := func(out string) string { return parquetState(out) }
			if layout == "ETL_STATE_DIR" {
				old = t.TempDir()
				etl.env["ETL_STATE_DIR"] = old
				newDir = func(out string) string { return filepath.Join(old, state.DirName("parquet:"+out)) }
			}
			today := window.Floor(time.Now())
			wm := today.AddDate(0, 0, -5)
			flatState(t, old, scratch, wm)

			code, stdout, stderr := etl.run("run", "--stream", "content_sessions", "--lookback", "0d", "--out", prod, "--dry-run")
			require.Equal(t, exitOK, code, stderr)
			lines := regexp.MustCompile(`(?m)^.*carried the state.*$`).FindAllString(stderr, -1)
			require.Len(t, lines, 1, "one line: %s", stderr)
			from := old
			if layout == "./.etl-state" {
				from = pipeline.LegacyStateDir
			}
			assert.Contains(t, lines[0], "from "+from+" to "+newDir(prod))
			assert.Contains(t, lines[0], "1 stream watermark(s)")
			assert.Equal(t, window.New(wm, today).String(), planned(t, stdout), "the nightly run goes on from the carried watermark")
			assert.Equal(t, wm, watermarkIn(t, newDir(prod)))
			note, err := os.ReadFile(filepath.Join(old, "MOVED.txt"))
			require.NoError(t, err)
			assert.Contains(t, string(note), "state.json (the watermarks of 1 stream(s)) moved to "+newDir(prod))

			// Once: the same command again says nothing of it.
			code, stdout, stderr = etl.run("run", "--stream", "content_sessions", "--lookback", "0d", "--out", prod, "--dry-run")
			require.Equal(t, exitOK, code, stderr)
			assert.NotContains(t, stderr, "carried")
			assert.Equal(t, window.New(wm, today).String(), planned(t, stdout))

			// scratch takes its own plan, not prod's watermarks, and is told.
			code, show, stderr := etl.run("state", "show", "--out", scratch)
			require.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stderr, "carried the state of parquet:"+scratch+" over from "+from+" to "+newDir(scratch)+" (0 stream watermark(s), 1 backfill plan(s))")
			assert.NotRegexp(t, `(?m)^userflow\s+content_sessions`, show, "scratch does not inherit prod's watermark")
			assert.Contains(t, show, "0123456789abcdef")
			assert.Contains(t, show, "1 of 4")
			code, stdout, stderr = etl.run("run", "--stream", "content_sessions", "--out", scratch, "--dry-run")
			require.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stderr, "no watermark in "+newDir(scratch)+" yet: the watermarks "+from+" held for every destination were carried over to another one")
			assert.Equal(t, window.New(today.Add(-window.Day), today).String(), planned(t, stdout), "scratch starts with the initial period")
		})
	}
}

// `etl state show` says first whose state it shows and where it is kept:
// beside the data by default, in a directory of the destination's own
// under ETL_STATE_DIR.
func TestStateShowNamesTheDestination(t *testing.T) {
	etl := newEtlBinary(t, userflowSandbox(t))
	out := t.TempDir()
	code, stdout, stderr := etl.run("state", "show", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	first, _, _ := strings.Cut(stdout, "\n")
	assert.Equal(t, "state of parquet:"+out+", kept in "+filepath.Join(out, "_etl"), first)

	shared := t.TempDir()
	etl.env["ETL_STATE_DIR"] = shared
	code, stdout, stderr = etl.run("state", "show", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	first, _, _ = strings.Cut(stdout, "\n")
	assert.Equal(t, "state of parquet:"+out+", kept in "+filepath.Join(shared, state.DirName("parquet:"+out)), first)
}

// The run lock follows the state: a run into one directory does not stop
// a reset of another, and does stop one of its own.
func TestRunLockBelongsToItsDestination(t *testing.T) {
	etl := newEtlBinary(t, userflowSandbox(t))
	prod, scratch := t.TempDir(), t.TempDir()
	store, err := state.OpenFile(parquetState(prod))
	require.NoError(t, err)
	defer store.Close()
	lock, _, err := store.Lock(context.Background(), pipeline.LockName, time.Hour, state.Holder{Command: "etl run"})
	require.NoError(t, err)
	defer func() { _ = lock.Release(context.Background()) }()

	code, stdout, stderr := etl.run("state", "reset", "--source", "userflow", "--out", scratch)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "in the state of parquet:"+scratch)
	code, _, stderr = etl.run("state", "reset", "--source", "userflow", "--out", prod)
	assert.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, stderr, "another etl run holds the lock")
}
