package clickhouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/bot"
	"github.com/adoptionlabs/etl/extract/userflow"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/testsupport"
)

// legacyFiles is the sql/ an earlier release applied: testdata/legacy holds
// the DDL of the release before dedupe at load time (<t>_raw
// ReplacingMergeTree + FINAL view), and testdata/legacy-bot-seen-at the bot
// DDL of the release before that, whose bot_users_raw and
// bot_user_custom_fields_raw engines carry another version column
// (last_interacted_at, _extracted_at) than the declared seen_at; it takes
// the place of testdata/legacy's 10_bot.sql, as on an install that never
// re-created those tables.
func legacyFiles(t *testing.T) fstest.MapFS {
	out := fstest.MapFS{}
	for _, dir := range []string{"testdata/legacy", "testdata/legacy-bot-seen-at"} {
		names, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		require.NoError(t, err)
		for _, n := range names {
			b, err := os.ReadFile(n)
			require.NoError(t, err)
			out[filepath.Base(n)] = &fstest.MapFile{Data: b}
		}
	}
	require.Contains(t, string(out["10_bot.sql"].Data), "ReplacingMergeTree(`last_interacted_at`)")
	return out
}

// legacyTables are the merge tables the tests move; the bot ones are those
// whose old engine orders versions by another column.
var legacyTables = []*schemas.Table{userflow.SessionsTable, userflow.AnswersTable, bot.UsersTable, bot.CustomFieldsTable}

const (
	legacyKeys = 40
	legacyRows = 300 // < 1009, so every row of a key has its own version
)

// legacyExpr is the value of column c in row number (of a numbers() scan):
// key k = number % legacyKeys; the partition column depends on the key
// only (as it must); the declared version is a scramble of the row number,
// so the newest row of a key is neither its first nor its last insert; every
// other column grows with the row number (so an old engine version column
// that is not the declared one picks other rows); _run_id names the row.
func legacyExpr(tbl *schemas.Table, c schemas.Column) string {
	base := "toDateTime('2025-11-01 00:00:00', 'UTC')"
	k := fmt.Sprintf("(number %% %d)", legacyKeys)
	var v string
	switch {
	case c.Name == schemas.RunID:
		v = "toString(number)"
	case c.Name == tbl.Version:
		v = base + " + ((number * 7919) % 1009) * 60"
	case c.Name == tbl.Partition:
		v = fmt.Sprintf("%s + %s * 86400 * 9", base, k)
	case tbl.Index(c.Name) >= 0 && contains(tbl.Key, c.Name):
		v = k
		if c.Type == schemas.String {
			v = "concat('k', toString(" + k + "))"
		}
	default:
		switch c.Type {
		case schemas.String, schemas.JSON:
			v = "concat('v', toString(number))"
		case schemas.Int64:
			v = "toInt64(number)"
		case schemas.Float64:
			v = "number / 10"
		case schemas.Bool:
			v = "toUInt8(number % 2)"
		case schemas.Timestamp:
			v = base + " + number"
		case schemas.Date:
			v = "toDate(" + base + ") + number % 30"
		case schemas.StringList:
			return "[toString(number)]"
		}
	}
	if c.Type == schemas.Int64 && v == k {
		v = "toInt64(" + k + ")"
	}
	if c.Nullable {
		return fmt.Sprintf("if(number %% 3 = 0, NULL, %s)", v)
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// loadLegacy loads rows into <t>_raw as the old release did, several
// versions per key. One insert, one part: no background merge can collapse
// the versions by the old engine's version column before the move reads
// them (which an old install may have done: those rows were lost then).
func loadLegacy(t *testing.T, s *Sink, tbl *schemas.Table) {
	ctx := context.Background()
	exprs := make([]string, len(tbl.Columns))
	for i, c := range tbl.Columns {
		exprs[i] = legacyExpr(tbl, c)
	}
	for _, part := range [][2]int{{0, legacyRows}} {
		q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM system.numbers WHERE number >= %d LIMIT %d",
			s.qualified(LegacyRawTable(tbl)), identList(columnNames(tbl)), strings.Join(exprs, ", "), part[0], part[1]-part[0])
		require.NoError(t, s.exec(ctx, q))
	}
}

// newestRunIDs is what the move must keep: per key, the row number with
// the greatest declared version, computed here, not by the SQL under test.
func newestRunIDs() []string {
	var out []string
	for k := 0; k < legacyKeys; k++ {
		best, bestV := -1, -1
		for n := k; n < legacyRows; n += legacyKeys {
			if v := (n * 7919) % 1009; v > bestV {
				best, bestV = n, v
			}
		}
		out = append(out, fmt.Sprint(best))
	}
	return out
}

// A database that the previous releases created and loaded (<t>_raw with
// several versions per key, FINAL views, the older bot engines) moves to
// plain tables with `etl migrate`'s steps (Migrate with today's sql/, then
// Ensure of each table): every row the dashboards saw, the newest per key by
// the declared version, is in the table, column for column; the raw tables
// and views are gone; migrating again changes nothing.
func TestMigrateMovesTheOldLayoutWithNothingLost(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	db := s.Database()
	_, err := s.Migrate(ctx, legacyFiles(t))
	require.NoError(t, err)
	for _, tbl := range legacyTables {
		require.Equal(t, "View", engineOf(t, dsn, db, tbl.Name), tbl.Name)
		loadLegacy(t, s, tbl)
		// Keep every old row aside to compare the moved ones with.
		require.NoError(t, s.exec(ctx, fmt.Sprintf("CREATE TABLE %s ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM %s",
			s.qualified("snap_"+tbl.Name), s.qualified(LegacyRawTable(tbl)))))
	}

	migrate := func() {
		fresh, err := Open(ctx, dsn, Options{QueryTimeout: time.Minute})
		require.NoError(t, err)
		defer fresh.Close()
		_, err = fresh.Migrate(ctx, sql.Files)
		require.NoError(t, err)
		for _, tbl := range legacyTables {
			require.NoError(t, fresh.Ensure(ctx, tbl), tbl.Name)
		}
	}
	check := func(when string) {
		ids := "'" + strings.Join(newestRunIDs(), "', '") + "'"
		for _, tbl := range legacyTables {
			assert.Equal(t, "MergeTree", engineOf(t, dsn, db, tbl.Name), "%s %s", when, tbl.Name)
			assert.Empty(t, engineOf(t, dsn, db, LegacyRawTable(tbl)), "%s %s", when, tbl.Name)
			assert.Empty(t, engineOf(t, dsn, db, migratingPrefix+tbl.Name), "%s %s", when, tbl.Name)
			cols := identList(columnNames(tbl))
			got := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT %s FROM `%s`.`%s` ORDER BY toUInt64(_run_id)", cols, db, tbl.Name))
			want := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT %s FROM `%s`.`snap_%s` WHERE _run_id IN (%s) ORDER BY toUInt64(_run_id)", cols, db, tbl.Name, ids))
			require.Len(t, want, legacyKeys)
			assert.Equal(t, want, got, "%s: %s holds the newest row of every key, column for column", when, tbl.Name)
		}
	}
	migrate()
	check("after migrate")
	migrate()
	check("after a second migrate")
}

func engineOf(t *testing.T, dsn, db, table string) string {
	rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT engine FROM system.tables WHERE database = '%s' AND name = '%s'", db, table))
	if len(rows) == 0 {
		return ""
	}
	return fmt.Sprint(rows[0]["engine"])
}

// A move killed at any step resumes on the next migrate: the state in
// system.tables says what is left, and nothing is lost.
func TestMigrateResumesAMoveKilledAtEachStep(t *testing.T) {
	tbl := userflow.SessionsTable
	cases := []struct {
		name string
		kill func(t *testing.T, s *Sink)
	}{
		{"during the copy", func(t *testing.T, s *Sink) {
			ctx := context.Background()
			require.NoError(t, s.exec(ctx, createTable(tbl, quoteIdent(s.db), migratingPrefix+tbl.Name)))
			require.NoError(t, s.exec(ctx, fmt.Sprintf("INSERT INTO %s SELECT * FROM %s LIMIT 7", s.qualified(migratingPrefix+tbl.Name), s.qualified(LegacyRawTable(tbl)))))
		}},
		{"after the view was dropped (sql/ then creates the table empty)", func(t *testing.T, s *Sink) {
			require.NoError(t, s.exec(context.Background(), "DROP TABLE "+s.qualified(tbl.Name)))
		}},
		{"after the rename, before the raw table was dropped", func(t *testing.T, s *Sink) {
			ctx := context.Background()
			require.NoError(t, s.moveLegacyMerge(ctx, tbl))
			require.NoError(t, s.exec(ctx, fmt.Sprintf("CREATE TABLE %s AS %s", s.qualified(LegacyRawTable(tbl)), s.qualified("snap_"+tbl.Name))))
			require.NoError(t, s.exec(ctx, fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", s.qualified(LegacyRawTable(tbl)), s.qualified("snap_"+tbl.Name))))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, dsn := openSink(t)
			ctx := context.Background()
			db := s.Database()
			_, err := s.Migrate(ctx, legacyFiles(t))
			require.NoError(t, err)
			loadLegacy(t, s, tbl)
			require.NoError(t, s.exec(ctx, fmt.Sprintf("CREATE TABLE %s ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM %s",
				s.qualified("snap_"+tbl.Name), s.qualified(LegacyRawTable(tbl)))))
			c.kill(t, s)

			fresh, err := Open(ctx, dsn, Options{QueryTimeout: time.Minute})
			require.NoError(t, err)
			defer fresh.Close()
			_, err = fresh.Migrate(ctx, sql.Files)
			require.NoError(t, err)
			require.NoError(t, fresh.Ensure(ctx, tbl))
			assert.Equal(t, "MergeTree", engineOf(t, dsn, db, tbl.Name))
			assert.Empty(t, engineOf(t, dsn, db, LegacyRawTable(tbl)))
			assert.Empty(t, engineOf(t, dsn, db, migratingPrefix+tbl.Name))
			ids := "'" + strings.Join(newestRunIDs(), "', '") + "'"
			cols := identList(columnNames(tbl))
			got := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT %s FROM `%s`.`%s` ORDER BY toUInt64(_run_id)", cols, db, tbl.Name))
			want := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT %s FROM `%s`.`snap_%s` WHERE _run_id IN (%s) ORDER BY toUInt64(_run_id)", cols, db, tbl.Name, ids))
			require.Len(t, want, legacyKeys)
			assert.Equal(t, want, got)
		})
	}
}

// A table named like a merge table that holds rows the old raw table's keys
// are missing from is not a finished move: migrate stops and says so rather
// than drop either.
func TestMigrateRefusesToDropRawRowsTheTableLacks(t *testing.T) {
	tbl := userflow.SessionsTable
	s, dsn := openSink(t)
	ctx := context.Background()
	_, err := s.Migrate(ctx, legacyFiles(t))
	require.NoError(t, err)
	loadLegacy(t, s, tbl)
	require.NoError(t, s.exec(ctx, "DROP TABLE "+s.qualified(tbl.Name)))
	require.NoError(t, s.exec(ctx, createTable(tbl, quoteIdent(s.db), tbl.Name)))
	require.NoError(t, s.exec(ctx, fmt.Sprintf("INSERT INTO %s SELECT * FROM %s LIMIT 3", s.qualified(tbl.Name), s.qualified(LegacyRawTable(tbl)))))
	err = s.Ensure(ctx, tbl)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "move the rows by hand")
	assert.Equal(t, float64(legacyRows), count(t, dsn, fmt.Sprintf("SELECT count() FROM %s", s.qualified(LegacyRawTable(tbl)))), "the old rows are kept")
}
