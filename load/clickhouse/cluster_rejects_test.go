//go:build cluster

package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/window"
)

// etl_rejects on a cluster as the release before row_day made it gains
// row_day and row_day_from on every node (the replicated local table ON
// CLUSTER, each node's Distributed table), its rejects reading as their
// window's day; a second upgrade changes nothing, and loads then replace
// rejects by day across shards.
func TestClusterRejectsTableFromBeforeRowDaysIsUpgraded(t *testing.T) {
	c := testsupport.ClusterEnv(t)
	db := c.FreshDB(t)
	s := openCluster(t, c, 0, db)
	ctx := context.Background()
	old := *schemas.Rejects
	old.Columns, old.Day = nil, "window_start"
	for _, col := range schemas.Rejects.Columns {
		if col.Name != schemas.RowDay && col.Name != schemas.RowDayFrom {
			old.Columns = append(old.Columns, col)
		}
	}
	require.NoError(t, s.CreateDatabase(ctx))
	for _, stmt := range ClusterDDL(&old, quoteIdent(db), s.cluster.names) {
		require.NoError(t, s.exec(ctx, stmt))
	}
	require.NoError(t, s.conn.Exec(ch.Context(ctx, ch.WithSettings(distributedInsert)), fmt.Sprintf(
		"INSERT INTO %s (source, stream, table_name, window_start, window_end, raw, row_hash) SELECT 'src', 'a', 't', toDateTime('2026-11-17 00:00:00', 'UTC'), toDateTime('2026-11-20 00:00:00', 'UTC'), concat('r', toString(number)) AS r, r FROM system.numbers LIMIT 20",
		s.qualified(schemas.Rejects.Name))))

	columns := func() []string {
		var out []string
		for i := range c.DSNs {
			for _, table := range []string{"etl_rejects", "etl_rejects_local"} {
				out = append(out, table+": "+c.MustQuery(t, i, "default", fmt.Sprintf(
					"SELECT arrayStringConcat(groupArray(concat(name, ' ', type, ' ', default_expression)), ', ') FROM system.columns WHERE database = '%s' AND table = '%s'", db, table)))
			}
		}
		return out
	}
	upgrade := func(node int) {
		_, err := openCluster(t, c, node, db).Migrate(ctx, sql.Files)
		require.NoError(t, err)
	}
	upgrade(0)
	got := columns()
	for _, cols := range got {
		assert.Contains(t, cols, "window_end DateTime(\\'UTC\\') , row_day Date toDate(window_start), row_day_from String \\'window\\', location String", "the columns where a new table has them, on every node")
	}
	upgrade(3)
	assert.Equal(t, got, columns(), "a second upgrade, from another node, changes nothing")

	read := func(where string) string {
		for i := range c.DSNs {
			_, _ = c.Query(i, db, "SYSTEM SYNC REPLICA etl_rejects_local")
		}
		return strings.TrimSpace(c.MustQuery(t, 1, db, "SELECT count(), min(toString(row_day)), min(row_day_from) FROM etl_rejects WHERE "+where))
	}
	assert.Equal(t, "20\t2026-11-17\twindow", read("1"))

	// r1..r5 seen again by a later window: their old copies go, on
	// whichever shard they live; the rest stay until a load covers 17.
	var again []dayReject
	for i := 1; i <= 5; i++ {
		again = append(again, dayReject{fmt.Sprintf("r%d", i), "2026-11-20", schemas.RowDayFromRow})
	}
	loadDayRejects(t, s, window.New(day("2026-11-20"), day("2026-11-21")), "a", again...)
	assert.Equal(t, "5\t2026-11-20\trow", read("row_day = '2026-11-20'"))
	assert.Equal(t, "15\t2026-11-17\twindow", read("row_day = '2026-11-17'"))
	loadDayRejects(t, s, window.New(day("2026-11-17"), day("2026-11-18")), "a")
	assert.Equal(t, "5\t2026-11-20\trow", read("1"))
}
