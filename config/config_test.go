package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/config"
	_ "github.com/adoptionlabs/etl/extract/userflow"
	"github.com/adoptionlabs/etl/load/clickhouse"
	"github.com/adoptionlabs/etl/load/parquet"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestInterpolate(t *testing.T) {
	lookup := env(map[string]string{"A": "1", "EMPTY": "", "TRICKY": "x: {y}"})
	cases := map[string]string{
		"${A}":             "1",
		"${B:-dflt}":       "dflt",
		"${EMPTY:-dflt}":   "dflt",
		"${B}":             "",
		"a$${A}b":          "a${A}b",
		"pre-${A}-${B:-}-": "pre-1--",
		"${TRICKY}":        "x: {y}",
	}
	for in, want := range cases {
		assert.Equal(t, want, config.Interpolate(in, lookup), in)
	}
}

func TestLoad(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		env   map[string]string
		err   string
		check func(t *testing.T, c *config.Config)
	}{
		{name: "defaults", yaml: "version: 1\n", check: func(t *testing.T, c *config.Config) {
			assert.Equal(t, parquet.Kind, c.Sink.Type)
			assert.Equal(t, "./data", c.Sink.Settings(parquet.Kind).(*parquet.Config).Dir)
			assert.Equal(t, 24*time.Hour, c.Run.InitialPeriod.Duration)
			assert.Equal(t, 6*time.Hour, c.State.LockTTL.Duration)
		}},
		{name: "env values stay data", yaml: "version: 1\nsink:\n  clickhouse:\n    dsn: ${DSN}\nsources:\n  userflow:\n    api_key: ${KEY:-}\n", env: map[string]string{"DSN": "clickhouse://h:9000/db", "KEY": "true"},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, "clickhouse://h:9000/db", c.Sink.Settings(clickhouse.Kind).(*clickhouse.Config).DSN)
				assert.Equal(t, []string{"true"}, c.Secrets(), "an env value that looks like a bool is still the key")
			}},
		{name: "durations in days", yaml: "version: 1\nrun:\n  lookback: 3d\n  settle_lag: 0d\nstate:\n  lock_ttl: 90m\n", check: func(t *testing.T, c *config.Config) {
			assert.Equal(t, 72*time.Hour, c.Run.Lookback.Duration)
			assert.Zero(t, c.Run.SettleLag.Duration)
			assert.Equal(t, 90*time.Minute, c.State.LockTTL.Duration)
		}},
		{name: "disabled source is kept but not validated", yaml: "version: 1\nsources:\n  userflow:\n    enabled: false\n    page_size: 500\n", check: func(t *testing.T, c *config.Config) {
			require.Len(t, c.Sources, 1)
			assert.False(t, c.Sources[0].Enabled)
		}},
		{name: "unknown top-level key with its line", yaml: "version: 1\n\nsinks: {}\n", err: "line 3: field sinks not found"},
		{name: "unknown source key with its file line", yaml: "version: 1\nsources:\n  userflow:\n    api_key: x\n    bogus: 1\n", err: "line 5: field bogus not found"},
		{name: "unknown source", yaml: "version: 1\nsources:\n  hubspot: {}\n", err: "sources.hubspot: unknown source"},
		{name: "bad version", yaml: "version: 2\n", err: "version: want 1"},
		{name: "bad sink", yaml: "version: 1\nsink:\n  type: csv\n", err: `sink.type: "csv" is not a sink (want clickhouse or parquet)`},
		{name: "a sink's block is decoded by its kind, strictly, with the file's line", yaml: "version: 1\nsink:\n  type: parquet\n\n  parquet:\n    dir: ./out\n    compresion: zstd\n",
			err: "sink.parquet: line 7: field compresion not found"},
		{name: "an unknown sink's block", yaml: "version: 1\nsink:\n  csv:\n    dir: ./out\n", err: "line 3: sink.csv: unknown sink (known: clickhouse, parquet)"},
		{name: "a state location that is no sink", yaml: "version: 1\nstate:\n  location: bucket\n", err: `state.location: "bucket" (want auto, file or a sink: clickhouse, parquet)`},
		{name: "bad duration", yaml: "version: 1\nrun:\n  lookback: a week\n", err: "is not a duration"},
		{name: "source validation names the setting", yaml: "version: 1\nsources:\n  userflow:\n    page_size: 500\n", err: "page_size"},
		{name: "not yaml", yaml: "version: [1\n", err: "pipelines.yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load("pipelines.yaml", []byte(tc.yaml), env(tc.env))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.True(t, config.IsConfigError(err))
				assert.NotContains(t, err.Error(), "\n", "one line")
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

// Every kind's block is decoded, not only the chosen one's: --sink may pick
// another kind, and a DSN's password is redacted whichever loads.
func TestEverySinksBlockIsDecoded(t *testing.T) {
	c, err := config.Load("p.yaml", []byte("version: 1\nsink:\n  type: parquet\n  parquet:\n    dir: ${OUT:-}\n  clickhouse:\n    dsn: clickhouse://u:secretpw@h:9000/db\n"), env(nil))
	require.NoError(t, err)
	assert.Equal(t, "./data", c.Sink.Settings(parquet.Kind).(*parquet.Config).Dir, "an empty dir keeps the default directory")
	assert.Equal(t, "clickhouse://u:secretpw@h:9000/db", c.Sink.Settings(clickhouse.Kind).(*clickhouse.Config).DSN)
	assert.Contains(t, c.Secrets(), "secretpw", "the DSN password is redacted like any secret")
	assert.Nil(t, c.Sink.Settings("csv"))
}
