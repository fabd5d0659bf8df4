package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// botNewest is, per table, the bot tables' rows as "channel/user seen_at"
// lines, in key order: one a key, its newest.
var botNewest = map[string]string{"bot_users": "user_id", "bot_user_custom_fields": "bot_user_id"}

func parquetNewest(t *testing.T, out, table string) []string {
	t.Helper()
	user := botNewest[table]
	rows := testsupport.DuckDB(t, fmt.Sprintf(`
SELECT channel_id || '/' || %[1]s || ' ' || strftime(seen_at AT TIME ZONE 'UTC', '%%Y-%%m-%%d %%H:%%M:%%S') AS r
FROM read_parquet('%[2]s/%[3]s/**/*.parquet', hive_partitioning = true)
ORDER BY channel_id, %[1]s`, user, out, table))
	return column(rows)
}

func clickhouseNewest(t *testing.T, dsn, table string) []string {
	t.Helper()
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	user := botNewest[table]
	rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf(
		"SELECT concat(toString(channel_id), '/', toString(%[1]s), ' ', toString(seen_at, 'UTC')) AS r FROM `%[2]s`.`%[3]s` ORDER BY channel_id, %[1]s",
		user, db, table))
	return column(rows)
}

func column(rows []map[string]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprint(r["r"])
	}
	return out
}

// The bot's users and custom fields take their day from the window (a user
// not active in it lands on its last second), so overlapping windows loaded
// out of order used to drop keys from Parquet: a later window covering that
// day without listing the user replaced it. Through the built binary, the
// three windows in another order keep every key of the one-window load, and
// the newest row per key is ClickHouse's.
func TestBotWindowsInAnyOrderKeepEveryKey(t *testing.T) {
	bin := buildBinary(t)
	now := time.Now().UTC()
	env, stop, err := startSandboxes(42, now, 0, 1, nil) // etl sandbox's defaults
	require.NoError(t, err)
	t.Cleanup(stop)
	base := window.Floor(now).AddDate(0, 0, -30)
	d := func(n int) string { return base.AddDate(0, 0, n).Format(time.DateOnly) }
	run := func(args ...string) {
		t.Helper()
		env["ETL_STATE_DIR"] = t.TempDir()
		cmd := exec.Command(bin, append([]string{"backfill", "--source", "bot"}, args...)...)
		cmd.Env = environ(env)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "etl %s: %s", strings.Join(args, " "), out)
	}
	a, c := t.TempDir(), t.TempDir()
	run("--from", d(0), "--to", d(19), "--out", a)
	sequence := [][2]string{{d(10), d(19)}, {d(0), d(9)}, {d(4), d(14)}}
	for _, w := range sequence {
		run("--from", w[0], "--to", w[1], "--out", c)
	}
	dsn := testsupport.FreshDatabase(t)
	env["CLICKHOUSE_DSN"] = dsn
	run2 := func(args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = environ(env)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "etl %s: %s", strings.Join(args, " "), out)
	}
	run2("migrate")
	for _, w := range sequence {
		run("--from", w[0], "--to", w[1], "--sink", chSink)
	}

	keys := func(rows []string) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i], _, _ = strings.Cut(r, " ")
		}
		return out
	}
	for table := range botNewest {
		inA, inC := parquetNewest(t, a, table), parquetNewest(t, c, table)
		require.NotEmpty(t, inA, table)
		t.Logf("%s: %d keys in one window, %d after the windows in another order", table, len(inA), len(inC))
		assert.Equal(t, keys(inA), keys(inC), "%s: keys of the one-window load vs the windows in another order", table)
		assert.Equal(t, clickhouseNewest(t, dsn, table), inC, "%s: newest row per key, ClickHouse vs Parquet after the same windows", table)
	}
}

// userflowRows gives, per Userflow table, each row's key and content as one
// line, in DuckDB's SQL and in ClickHouse's.
var userflowRows = map[string][2]string{
	"userflow_content_sessions": {
		`id || ' ' || content_id || ' ' || user_id || ' ' || strftime(last_activity_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') || ' ' || CAST(CAST(completed AS INTEGER) AS VARCHAR) || ' ' || CAST(CAST(round(progress * 1000000) AS BIGINT) AS VARCHAR)`,
		`concat(id, ' ', content_id, ' ', user_id, ' ', toString(last_activity_at, 'UTC'), ' ', toString(completed), ' ', toString(toInt64(round(progress * 1000000))))`,
	},
	"userflow_session_answers": {
		`id || ' ' || session_id || ' ' || question_cvid || ' ' || answer_value || ' ' || strftime(created_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S')`,
		`concat(id, ' ', session_id, ' ', question_cvid, ' ', answer_value, ' ', toString(created_at, 'UTC'))`,
	},
}

// The Userflow session walk commits each chunk as the walk
// passes below it. Through the built binary: the same 20-day backfill twice
// into one Parquet directory, and three overlapping windows in another
// order into a second directory and into ClickHouse, hold the same rows,
// one per id, with the same content, in both tables.
func TestUserflowWindowsInAnyOrderAreExact(t *testing.T) {
	bin := buildBinary(t)
	now := time.Now().UTC()
	env, stop, err := startSandboxes(42, now, 0, 1, nil)
	require.NoError(t, err)
	t.Cleanup(stop)
	base := window.Floor(now).AddDate(0, 0, -21)
	d := func(n int) string { return base.AddDate(0, 0, n).Format(time.DateOnly) }
	run := func(args ...string) {
		t.Helper()
		env["ETL_STATE_DIR"] = t.TempDir()
		cmd := exec.Command(bin, append([]string{"backfill", "--stream", "userflow.content_sessions", "--chunk", "3d"}, args...)...)
		cmd.Env = environ(env)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "etl %s: %s", strings.Join(args, " "), out)
	}
	twice, shuffled := t.TempDir(), t.TempDir()
	run("--from", d(0), "--to", d(20), "--out", twice)
	run("--from", d(0), "--to", d(20), "--out", twice)
	sequence := [][2]string{{d(10), d(20)}, {d(0), d(10)}, {d(5), d(15)}}
	for _, w := range sequence {
		run("--from", w[0], "--to", w[1], "--out", shuffled)
	}
	dsn := testsupport.FreshDatabase(t)
	env["CLICKHOUSE_DSN"] = dsn
	migrate := exec.Command(bin, "migrate")
	migrate.Env = environ(env)
	out, err := migrate.CombinedOutput()
	require.NoError(t, err, string(out))
	for _, w := range sequence {
		run("--from", w[0], "--to", w[1], "--sink", chSink)
	}

	db := dsn[strings.LastIndex(dsn, "/")+1:]
	for table, line := range userflowRows {
		parquetLines := func(dir string) []string {
			return column(testsupport.DuckDB(t, "SELECT "+line[0]+" AS r FROM read_parquet('"+dir+"/"+table+"/*/*.parquet', hive_partitioning = true) ORDER BY id"))
		}
		inTwice, inShuffled := parquetLines(twice), parquetLines(shuffled)
		require.Greater(t, len(inTwice), 100, table)
		t.Logf("%s: %d rows", table, len(inTwice))
		assert.Equal(t, inTwice, inShuffled, "%s: the same backfill twice vs the windows in another order", table)
		ids := map[string]bool{}
		for _, l := range inShuffled {
			id, _, _ := strings.Cut(l, " ")
			assert.False(t, ids[id], "%s: id %s twice", table, id)
			ids[id] = true
		}
		inClickHouse := column(testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT %s AS r FROM `%s`.`%s` ORDER BY id", line[1], db, table)))
		assert.Equal(t, inShuffled, inClickHouse, "%s: ClickHouse vs Parquet after the same windows", table)
	}
}
