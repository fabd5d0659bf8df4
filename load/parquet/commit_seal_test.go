package parquet

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
)

// Two tables of a window commit through load.CommitWindow, which seals
// them together (their files finished at once, outside the commit lock)
// before it prepares and swaps them: the days read back as Commit leaves
// them, and a sealed load takes no more rows.
func TestSealedWindowCommitsLikeCommit(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, dir, Options{})
	ctx := context.Background()
	w := days("2026-11-01", "2026-11-03")
	loadRows(t, s, daily, w, "s.t", dailyRows("old", "2026-11-01", "2026-11-02", "2026-11-03"))

	begin := func(tbl *schemas.Table, rows []row) load.Writer {
		wr, err := s.Begin(ctx, tbl, w, "s.t", "run2")
		require.NoError(t, err)
		rec := record(t, tbl, rows)
		defer rec.Release()
		require.NoError(t, wr.Write(ctx, rec))
		return wr
	}
	wd := begin(daily, dailyRows("new", "2026-11-01", "2026-11-03"))
	ws := begin(snapshot, []row{{"id": "a", "gen": "new"}, {"id": "b", "gen": "new"}})
	committed, err := load.CommitWindow(ctx, []load.TableWriter{{Table: daily.Name, Writer: wd}, {Table: snapshot.Name, Writer: ws}})
	require.NoError(t, err)
	assert.Equal(t, []string{daily.Name, snapshot.Name}, committed)

	var got []string
	for _, r := range readTable(t, dir, daily) {
		got = append(got, r["dt"].(string)+" "+r["gen"].(string))
	}
	assert.ElementsMatch(t, []string{"2026-11-01 new", "2026-11-03 new"}, got, "the window's days replaced, 11-02 left empty")
	assert.Len(t, readTable(t, dir, snapshot), 2)

	sealed := begin(snapshot, []row{{"id": "c", "gen": "late"}})
	require.NoError(t, sealed.(load.Sealer).Seal(ctx))
	rec := record(t, snapshot, []row{{"id": "d", "gen": "late"}})
	defer rec.Release()
	assert.ErrorContains(t, sealed.Write(ctx, rec), "Write after the load was sealed")
	require.NoError(t, sealed.Abort(ctx))
	assert.Len(t, readTable(t, dir, snapshot), 2, "the aborted load left nothing")
}
