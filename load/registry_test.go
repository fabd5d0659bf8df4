package load_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	_ "github.com/adoptionlabs/etl/load/all"
)

func TestEverySinkRegistersItselfOnce(t *testing.T) {
	assert.Equal(t, []string{"clickhouse", "parquet"}, load.Names())
	_, err := load.Lookup("bigquery")
	require.EqualError(t, err, `--sink "bigquery" is not a sink (want clickhouse or parquet)`)

	ch, err := load.Lookup("clickhouse")
	require.NoError(t, err)
	assert.NotNil(t, ch.OpenState, "ClickHouse keeps the state store beside the data")
	assert.Error(t, ch.Check(load.Target{DSN: "http://host:8123/db"}), "the HTTP protocol is bad configuration, found before connecting")
	pq, err := load.Lookup("parquet")
	require.NoError(t, err)
	assert.Nil(t, pq.OpenState, "Parquet keeps state in files")
	d, err := pq.Destination(load.Target{Dir: "/tmp/x/../data"})
	require.NoError(t, err)
	assert.Equal(t, "parquet:/tmp/data", d)

	assert.Panics(t, func() {
		load.Register(load.Kind{Name: "parquet", Open: func(context.Context, load.Target) (load.Sink, error) { return nil, nil }})
	})
}
