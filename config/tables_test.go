package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/extract"
	_ "github.com/adoptionlabs/etl/extract/all"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/extract/userflow"
	"github.com/adoptionlabs/etl/extract/whatfix"
)

// whatfixWith is a config with userflow and a whatfix block holding one
// extra report entry on line 8.
func whatfixWith(userflow, report string) string {
	return "version: 1\nsources:\n  userflow:\n" + userflow +
		"  whatfix:\n    reports:\n      - {name: summary/engagement}\n      - " + report + "\n"
}

// A table name has one user: two streams (of any sources), a stream and
// the <t>_raw table behind a merge table, or a stream and etl's own tables
// would mix two schemas in one table or Parquet dataset. Each case names
// both users and the config line that set the name.
func TestTableNamesAreUniqueAcrossSourcesAndEtlsOwnTables(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{name: "another source's table", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: userflow_users}"),
			want: []string{"line 8:", "table name userflow_users", "userflow stream users (table userflow_users)", "whatfix stream report_usage (table userflow_users)"}},
		{name: "another source's table, though not selected by streams:", yaml: whatfixWith("    streams: [content]\n", "{name: summary/usage, table: userflow_users}"),
			want: []string{"line 8:", "userflow stream users", "whatfix stream report_usage"}},
		{name: "a table of a source not configured", yaml: "version: 1\nsources:\n  whatfix:\n    reports:\n      - {name: summary/usage, table: bot_users}\n",
			want: []string{"line 5:", "bot stream users (table bot_users) (bot is not configured here, but etl migrate creates its tables)", "whatfix stream report_usage (table bot_users)"}},
		{name: "the storage table of a merge table", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: userflow_content_sessions_raw}"),
			want: []string{"line 8:", "userflow_content_sessions_raw, the storage table of merge table userflow_content_sessions", "whatfix stream report_usage"}},
		{name: "the rejects table", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: etl_rejects}"),
			want: []string{"line 8:", "whatfix stream report_usage (table etl_rejects)", "etl's rejects table"}},
		{name: "the old rejects storage table (etl_rejects is a plain table now)", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: etl_rejects_raw}"),
			want: []string{"line 8:", "etl_rejects_raw", "prefix etl_ is reserved"}},
		{name: "the state table", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: etl_state}"), want: []string{"line 8:", "etl's state table"}},
		{name: "the lock table", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: etl_locks}"), want: []string{"line 8:", "etl's run lock table"}},
		{name: "the backfill progress table", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: etl_backfill_progress}"), want: []string{"etl's backfill progress table"}},
		{name: "the migrations table", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: etl_schema_migrations}"), want: []string{"etl's schema migrations table"}},
		{name: "a table etl may add later", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: etl_plans}"), want: []string{"line 8:", "prefix etl_ is reserved"}},
		{name: "the staging prefix", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: _stg_usage}"), want: []string{"_stg_"}},
		{name: "the Parquet state directory", yaml: whatfixWith("    api_key: k\n", "{name: summary/usage, table: _etl}"),
			want: []string{"line 8:", "whatfix stream report_usage (table _etl)", "directory of etl's state"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load("pipelines.yaml", []byte(tc.yaml), env(nil))
			require.Error(t, err)
			assert.True(t, config.IsConfigError(err), "exit 2")
			assert.NotContains(t, err.Error(), "\n", "one line")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := config.Load("pipelines.yaml", []byte(whatfixWith("    api_key: k\n", "{name: summary/usage, table: usage_by_day}")), env(nil))
	assert.NoError(t, err, "a free name is fine")
}

// The shipped configuration and every source's sample still validate.
func TestShippedConfigsValidate(t *testing.T) {
	root := filepath.Join("..")
	data, err := os.ReadFile(filepath.Join(root, "pipelines.yaml"))
	require.NoError(t, err)
	_, err = config.Load("pipelines.yaml", data, env(nil))
	require.NoError(t, err)

	samples, err := filepath.Glob(filepath.Join(root, "extract", "*", "sample.yaml"))
	require.NoError(t, err)
	require.Len(t, samples, len(extract.Names()), "one sample.yaml per registered source")
	var all strings.Builder
	all.WriteString("version: 1\nsources:\n")
	for _, p := range samples {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, line := range strings.Split(string(data), "\n") {
			all.WriteString("  " + line + "\n")
		}
	}
	baseURLs := map[string]string{}
	for _, name := range extract.Names() {
		p, _ := extract.Lookup(name)
		for _, v := range p.Env {
			if v.Setting == "base_url" {
				baseURLs[v.Name] = "http://127.0.0.1:1"
			}
		}
	}
	require.Len(t, baseURLs, len(extract.Names()), "every source reads its base_url from the environment")
	c, err := config.Load("samples.yaml", []byte(all.String()), env(baseURLs))
	require.NoError(t, err)
	assert.Len(t, c.Sources, len(extract.Names()))
}

// The body caps are per-source settings of pipelines.yaml, in sizes.
func TestBodyCapsAreSourceSettings(t *testing.T) {
	c, err := config.Load("p.yaml", []byte("version: 1\nsources:\n  userflow:\n    max_body: 512MiB\n  whatfix:\n    max_download: 16GiB\n    max_field: 4MiB\n"), env(nil))
	require.NoError(t, err)
	assert.Equal(t, httpclient.ByteSize(512<<20), c.Source("userflow").Config.(*userflow.Config).MaxBody)
	wf := c.Source("whatfix").Config.(*whatfix.Config)
	assert.Equal(t, httpclient.ByteSize(16<<30), wf.MaxDownload)
	assert.Equal(t, httpclient.ByteSize(4<<20), wf.MaxField)
	assert.Zero(t, wf.MaxBody, "unset: the client's default applies")

	_, err = config.Load("p.yaml", []byte("version: 1\nsources:\n  userflow:\n    max_body: a lot\n"), env(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `line 4: "a lot" is not a size`)
}

// On a cluster each table's rows live in <t>_local: a report named like
// that would share it. One server has no such table, so the name is free.
func TestClusterLocalTableNameIsTaken(t *testing.T) {
	yaml := whatfixWith("    api_key: k\n", "{name: summary/usage, table: userflow_users_local}")
	_, err := config.Load("pipelines.yaml", []byte(yaml), env(map[string]string{"CLICKHOUSE_CLUSTER": "prod"}))
	require.Error(t, err)
	assert.True(t, config.IsConfigError(err), "exit 2")
	assert.Contains(t, err.Error(), "userflow_users_local, the cluster's local table of userflow_users")
	_, err = config.Load("pipelines.yaml", []byte(yaml), env(nil))
	assert.NoError(t, err)
}
