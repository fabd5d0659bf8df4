package clickhouse_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/load/clickhouse"
)

// settings loads a pipelines.yaml and returns its sink.clickhouse block as
// the kind decoded it.
func settings(t *testing.T, yaml string, vars map[string]string) *clickhouse.Config {
	t.Helper()
	c, err := config.Load("p.yaml", []byte(yaml), func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	require.NoError(t, err)
	return c.Sink.Settings(clickhouse.Kind).(*clickhouse.Config)
}

func TestCheckNeedsANativeDSN(t *testing.T) {
	c := settings(t, "version: 1\nsink:\n  type: clickhouse\n", nil)
	err := c.Check()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "set CLICKHOUSE_DSN")
	c.DSN = "http://h:8123"
	assert.ErrorContains(t, c.Check(), "native protocol")
	c.DSN = "clickhouse://u:secretpw@h:9000/db"
	assert.NoError(t, c.Check())
	assert.Equal(t, []string{"secretpw"}, c.Secrets(), "the DSN password is redacted like any secret")
}

func TestClusterSettings(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        map[string]string
		cluster    string
		err        string
	}{
		{name: "none", yaml: "", cluster: ""},
		{name: "from yaml", yaml: "    cluster: prod\n", cluster: "prod"},
		{name: "from env", env: map[string]string{"CLICKHOUSE_CLUSTER": "etl_cluster"}, cluster: "etl_cluster"},
		{name: "yaml wins", yaml: "    cluster: prod\n", env: map[string]string{"CLICKHOUSE_CLUSTER": "other"}, cluster: "prod"},
		{name: "bad name", yaml: "    cluster: \"a b\"\n", err: "is not a cluster name"},
		{name: "path without shard", yaml: "    cluster: prod\n    zookeeper_path: /ch/{table}\n", err: "must contain {shard}"},
		{name: "path without cluster", yaml: "    zookeeper_path: /ch/{shard}/{table}\n", err: "no cluster"},
		{name: "path ok", yaml: "    cluster: prod\n    zookeeper_path: /ch/{shard}/{database}/{table}\n", cluster: "prod"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := settings(t, "version: 1\nsink:\n  type: clickhouse\n  clickhouse:\n    dsn: clickhouse://h:9000/db\n"+tc.yaml, tc.env)
			err := c.Check()
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.cluster, c.Cluster)
		})
	}
}
