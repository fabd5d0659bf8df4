package clickhouse

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterDDL(t *testing.T) {
	names := ClusterNames{Cluster: "prod"}
	stmts := ClusterDDL(report, "`an`", names)
	require.Len(t, stmts, 2)
	assert.Contains(t, stmts[0], "CREATE TABLE IF NOT EXISTS `an`.`t_report_local` ON CLUSTER `prod`")
	assert.Contains(t, stmts[0], "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/an/t_report_local', '{replica}')")
	assert.Contains(t, stmts[0], "PARTITION BY toYYYYMM(`report_date`)")
	assert.NotContains(t, stmts[0], "COMMENT", "18.16 rejects column comments on Replicated tables")
	assert.Contains(t, stmts[1], "CREATE TABLE IF NOT EXISTS `an`.`t_report` ON CLUSTER `prod`")
	assert.Contains(t, stmts[1], "ENGINE = Distributed('prod', 'an', 't_report_local', cityHash64(`report_date`, `flow`))")

	merge := ClusterDDL(sessions, "`an`", ClusterNames{Cluster: "prod", ZooKeeperPath: "/zk/{shard}/{table}"})
	require.Len(t, merge, 2)
	assert.Contains(t, merge[0], "ReplicatedMergeTree('/zk/{shard}/t_sessions_local', '{replica}')")
	assert.Contains(t, merge[0], "ORDER BY (`id`)")
	assert.Contains(t, merge[1], "Distributed('prod', 'an', 't_sessions_local', cityHash64(`id`))")
	assert.Contains(t, merge[1], "COMMENT 'it\\'s a note; with quotes'")

	// Single-server DDL is not touched by cluster mode (sql/ golden test too).
	for _, s := range DDL(report, "`an`") {
		assert.NotContains(t, s, "Replicated")
		assert.NotContains(t, s, "ON CLUSTER")
	}
}

func TestEverywhereDDL(t *testing.T) {
	got := ClusterNames{Cluster: "prod"}.everywhereDDL(stateDDL("`an`")[0], "an")
	assert.Contains(t, got, "CREATE TABLE IF NOT EXISTS `an`.`etl_state` ON CLUSTER `prod` (")
	assert.Contains(t, got, "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all-shards/an/etl_state', '{shard}-{replica}', updated_at_ms)")
	assert.NotContains(t, got, "COMMENT")
}

func TestCheckZooKeeperPath(t *testing.T) {
	assert.NoError(t, CheckZooKeeperPath(DefaultZooKeeperPath))
	assert.ErrorContains(t, CheckZooKeeperPath("/x/{table}"), "{shard}")
	assert.ErrorContains(t, CheckZooKeeperPath("/x/{shard}"), "{table}")
	assert.ErrorContains(t, CheckZooKeeperPath("x/{shard}/{table}"), "start with /")
}

func TestStateTablesMatchStateDDL(t *testing.T) {
	ddl := stateDDL("`an`")
	require.Len(t, ddl, len(stateTables))
	for i, name := range stateTables {
		assert.Contains(t, ddl[i], "`an`.`"+name+"` (")
	}
}

func TestGlobalSubqueries(t *testing.T) {
	in := "SELECT a FROM d.t WHERE x IN (SELECT id FROM d.u) AND y NOT IN (SELECT id FROM d.v) AND z IN ('a', 'b')\n" +
		"ALL LEFT JOIN (SELECT id FROM d.w) AS c USING (id)\nANY INNER JOIN d.q USING (k) JOIN d.r USING (k)"
	want := "SELECT a FROM d.t WHERE x GLOBAL IN (SELECT id FROM d.u) AND y GLOBAL NOT IN (SELECT id FROM d.v) AND z IN ('a', 'b')\n" +
		"GLOBAL ALL LEFT JOIN (SELECT id FROM d.w) AS c USING (id)\nGLOBAL ANY INNER JOIN d.q USING (k) GLOBAL JOIN d.r USING (k)"
	assert.Equal(t, want, globalSubqueries(in))
}
