package load_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	_ "github.com/adoptionlabs/etl/load/all"
	"github.com/adoptionlabs/etl/load/clickhouse"
	"github.com/adoptionlabs/etl/load/parquet"
)

func TestEverySinkRegistersItselfOnce(t *testing.T) {
	assert.Equal(t, []string{"clickhouse", "parquet"}, load.Names())
	_, err := load.Lookup("bigquery")
	require.EqualError(t, err, `--sink "bigquery" is not a sink (want clickhouse or parquet)`)
	def, ok := load.Default()
	require.True(t, ok)
	assert.Equal(t, "parquet", def.Name, "sink.type unset means Parquet")

	ch, err := load.Lookup("clickhouse")
	require.NoError(t, err)
	chHome := stateHome(t, ch.NewConfig())
	assert.NotNil(t, chHome.Open, "ClickHouse keeps the state store beside the data")
	_, migrates := ch.NewConfig().(load.Migrator)
	assert.True(t, migrates)
	chc := ch.NewConfig().(*clickhouse.Config)
	chc.DSN = "http://host:8123/db"
	assert.Error(t, chc.Check(), "the HTTP protocol is bad configuration, found before connecting")

	pq, err := load.Lookup("parquet")
	require.NoError(t, err)
	pqHome := stateHome(t, pq.NewConfig())
	assert.Nil(t, pqHome.Open, "Parquet keeps state in files")
	assert.NotEmpty(t, pqHome.Dir, "beside the data")
	_, migrates = pq.NewConfig().(load.Migrator)
	assert.True(t, migrates, "etl migrate goes through the kind: Parquet has a step too")
	pqc := pq.NewConfig().(*parquet.Config)
	pqc.Dir = "/tmp/x/../data"
	d, err := pqc.Destination()
	require.NoError(t, err)
	assert.Equal(t, "parquet:/tmp/data", d)

	assert.Panics(t, func() {
		load.Register(load.Kind{Name: "parquet", NewConfig: pq.NewConfig})
	}, "a name registered twice")
	assert.Panics(t, func() {
		load.Register(load.Kind{Name: "another", NewConfig: pq.NewConfig, Default: true})
	}, "two defaults")
	assert.Equal(t, []string{"clickhouse", "parquet"}, load.Names(), "a refused registration leaves nothing behind")
}

func stateHome(t *testing.T, c load.Config) load.StateHome {
	t.Helper()
	keeper, ok := c.(load.StateKeeper)
	require.True(t, ok, "%T says where the state lives", c)
	home, err := keeper.StateHome()
	require.NoError(t, err)
	return home
}
