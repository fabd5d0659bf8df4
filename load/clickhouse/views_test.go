package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/views"
)

func TestSupportsCreateOrReplaceView(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    bool
	}{
		{"18.16.1", false},
		{"19.17.6.36", false},
		{"20.8.3.18", false},
		{"21.1.2.15", true},
		{"26.7.2.1", true},
		{"", false},
		{"unknown", false},
	} {
		assert.Equal(t, tc.want, SupportsCreateOrReplaceView(tc.version), tc.version)
	}
}

// ddlFor is every statement of the embedded sql/ files, for db.
func ddlFor(t *testing.T, db string) []string {
	t.Helper()
	entries, err := sql.Files.ReadDir(".")
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		body, err := sql.Files.ReadFile(e.Name())
		require.NoError(t, err)
		for _, s := range SplitStatements(string(body)) {
			out = append(out, strings.ReplaceAll(s, DatabaseToken, db))
		}
	}
	return out
}

// On 18.16 the views come from DROP + CREATE: CREATE OR REPLACE VIEW is a
// syntax error there. A view is created once, recreated when its
// definition changed or it went missing, and left alone otherwise.
func TestApplyViewsOn1816(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	_, err := s.Migrate(ctx, sql.Files)
	require.NoError(t, err)

	var version string
	require.NoError(t, s.Conn().QueryRow(ctx, "SELECT version()").Scan(&version))
	require.False(t, SupportsCreateOrReplaceView(version), "make test runs ClickHouse 18.16, got %s", version)
	err = s.exec(ctx, fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT 1 AS x", s.qualified("probe")))
	require.Error(t, err, "18.16 has no CREATE OR REPLACE VIEW: the version check is needed")

	first, err := s.ApplyViews(ctx, views.All)
	require.NoError(t, err)
	require.Len(t, first, len(views.All))
	for _, m := range first {
		assert.True(t, m.Applied, m.Name)
	}
	again, err := s.ApplyViews(ctx, views.All)
	require.NoError(t, err)
	for _, m := range again {
		assert.False(t, m.Applied, "%s unchanged: not recreated", m.Name)
	}

	changed := append([]views.View(nil), views.All...)
	v := changed[0]
	v.Columns = append([]views.Column(nil), v.Columns...)
	v.Columns[0].Doc = "a changed comment"
	changed[0] = v
	require.NoError(t, s.exec(ctx, "DROP TABLE "+s.qualified(views.All[3].Name)))
	third, err := s.ApplyViews(ctx, changed)
	require.NoError(t, err)
	for i, m := range third {
		assert.Equal(t, i == 0 || i == 3, m.Applied, "%s: recreated only when changed or missing", m.Name)
	}
	rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT comment FROM system.columns WHERE database = '%s' AND table = '%s' AND name = '%s'", s.Database(), v.Name, v.Columns[0].Name))
	require.Len(t, rows, 1)
	assert.Equal(t, "a changed comment", rows[0]["comment"])
	rows = testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT count() AS n FROM system.tables WHERE database = '%s' AND name = '%s'", s.Database(), views.All[3].Name))
	assert.EqualValues(t, 1, rows[0]["n"], "a dropped view is recreated")
	for _, v := range views.All {
		testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT * FROM `%s`.`%s` LIMIT 1", s.Database(), v.Name))
	}
}

// On current ClickHouse (chdb 26.x) every generated DDL statement runs, and
// both ways of applying a view work: DROP + CREATE (what 18.16 gets) and
// CREATE OR REPLACE VIEW (chosen from version() on 21.1 and later), on a
// fresh database and over existing views.
func TestDDLAndViewsOnChDB(t *testing.T) {
	db := "`etl_chdb`"
	stmts := append([]string{"CREATE DATABASE " + db}, ddlFor(t, db)...)
	for _, orReplace := range []bool{false, true, true, false} {
		for _, v := range views.All {
			vs, err := ViewStatements(v, db, orReplace)
			require.NoError(t, err)
			stmts = append(stmts, vs...)
		}
	}
	stmts = append(stmts, "SELECT version() AS v")
	for _, v := range views.All {
		stmts = append(stmts, fmt.Sprintf("SELECT count() AS n FROM %s.`%s`", db, v.Name))
	}
	out := testsupport.ChDB(t, stmts...)
	n := len(stmts) - len(views.All) - 1
	assert.True(t, SupportsCreateOrReplaceView(fmt.Sprint(out[n][0]["v"])), "chdb takes the CREATE OR REPLACE VIEW path: %v", out[n][0]["v"])
	for i, v := range views.All {
		assert.Equal(t, []map[string]any{{"n": int64(0)}}, out[n+1+i], v.Name)
	}
}

// A deployment whose tables an older version created (columns without
// comments, or with an older wording) gets the declared comments on the
// next migrate; a second pass changes nothing.
func TestSyncCommentsUpdatesTablesCreatedBefore(t *testing.T) {
	s, dsn := openSink(t)
	ctx := context.Background()
	old := *report
	old.Columns = append([]schemas.Column(nil), report.Columns...)
	for i := range old.Columns {
		old.Columns[i].Doc = ""
	}
	old.Columns[1].Doc = "an older wording"
	require.NoError(t, s.Ensure(ctx, &old))
	require.NoError(t, s.Ensure(ctx, sessions))

	now := *report
	now.Columns = append([]schemas.Column(nil), report.Columns...)
	for i := range now.Columns {
		now.Columns[i].Doc = "doc of " + now.Columns[i].Name + ", it's 'quoted'"
	}
	n, err := s.SyncComments(ctx, []*schemas.Table{&now, sessions})
	require.NoError(t, err)
	assert.Equal(t, len(now.Columns), n, "every column of the old table, none of the current one")
	rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT name, comment FROM system.columns WHERE database = '%s' AND table = '%s'", s.Database(), now.Name))
	require.Len(t, rows, len(now.Columns))
	for i, c := range now.Columns {
		assert.Equal(t, map[string]any{"name": c.Name, "comment": c.Doc}, rows[i])
	}
	rows = testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT comment FROM system.columns WHERE database = '%s' AND table = '%s' AND name = 'note'", s.Database(), sessions.Name))
	assert.Equal(t, "it's a note; with quotes", rows[0]["comment"], "a merge table carries its comments: dashboards read it, not a view")

	n, err = s.SyncComments(ctx, []*schemas.Table{&now, sessions})
	require.NoError(t, err)
	assert.Zero(t, n)
}
