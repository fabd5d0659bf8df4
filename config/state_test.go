package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/config"
)

// File state lives beside the data unless state.dir or ETL_STATE_DIR says
// otherwise; the variable counts whatever pipelines.yaml says of it.
func TestStateDir(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		vars map[string]string
		want string
	}{
		{name: "neither: beside the data", yaml: "version: 1\n", want: ""},
		{name: "ETL_STATE_DIR with no state block", yaml: "version: 1\n", vars: map[string]string{"ETL_STATE_DIR": "/var/lib/etl"}, want: "/var/lib/etl"},
		{name: "state.dir", yaml: "version: 1\nstate:\n  dir: /srv/state\n", vars: map[string]string{"ETL_STATE_DIR": "/var/lib/etl"}, want: "/srv/state"},
		{name: "the default pipelines.yaml's line, unset", yaml: "version: 1\nstate:\n  dir: ${ETL_STATE_DIR:-}\n", want: ""},
		{name: "the default pipelines.yaml's line, set", yaml: "version: 1\nstate:\n  dir: ${ETL_STATE_DIR:-}\n", vars: map[string]string{"ETL_STATE_DIR": "/var/lib/etl"}, want: "/var/lib/etl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load("pipelines.yaml", []byte(tc.yaml), env(tc.vars))
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg.State.Dir)
		})
	}
}
