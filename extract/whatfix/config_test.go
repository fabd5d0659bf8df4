package whatfix

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/whatfix/whatfixfake"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

func TestStreamDeclarations(t *testing.T) {
	c := NewConfig()
	streams, err := c.Open(extract.Env{})
	require.NoError(t, err)
	got := map[string]string{}
	for _, s := range streams {
		require.NoError(t, s.Validate(), s.ID())
		assert.Equal(t, SourceName, s.Source)
		require.Len(t, s.Tables, 1)
		tb := s.Tables[0]
		got[s.Name] = tb.Name + " " + tb.Disposition.String()
		assert.True(t, tb.HasExtra(), tb.Name)
		assert.Equal(t, schemas.RunID, tb.Columns[len(tb.Columns)-1].Name)
	}
	assert.Equal(t, "whatfix_report_most_popular_flows replace-window", got["report_most_popular_flows"])
	assert.Equal(t, "whatfix_flow_analytics replace-window", got["flow_analytics"])
	assert.Equal(t, "whatfix_end_user_engagement replace-window", got["end_user_engagement"])
	assert.Equal(t, "whatfix_self_help_analytics replace-window", got["self_help_analytics"])
	assert.Equal(t, "whatfix_task_completion replace-window", got["task_completion"])
	assert.Equal(t, "whatfix_content merge", got["content"])
	assert.Equal(t, "whatfix_end_users replace-all", got["end_users"])
	assert.Equal(t, "whatfix_segments replace-all", got["segments"])
	assert.Equal(t, "whatfix_audit_logs merge", got["audit_logs"])
	assert.Len(t, streams, 30+8, "every account-wide report by default, plus the JSON streams")
	assert.NotContains(t, got, "report_flow_history", "per-flow reports are opt-in")
}

func TestKnownReportNamesFollowTheRule(t *testing.T) {
	streams := map[string]bool{}
	for _, r := range Reports {
		slug := ReportSlug(r.Name)
		assert.Equal(t, r.Table, "whatfix_report_"+slug, "declared table of %s", r.Name)
		assert.False(t, streams[slug], "two reports named %s", slug)
		streams[slug] = true
	}
	for in, want := range map[string]string{
		"summary/mostPopularFlows":      "most_popular_flows",
		"flowSummary/completionRate":    "flow_summary_completion_rate",
		"flow/completionRate":           "flow_completion_rate",
		"popup/smartPopupEffectiveness": "smart_popup_effectiveness",
		"selfHelp/queriesByDay":         "self_help_queries_by_day",
		"custom":                        "custom",
		"a/b/cReport":                   "a_b_c_report",
	} {
		assert.Equal(t, want, ReportSlug(in), in)
	}
}

func TestConfigValidation(t *testing.T) {
	require.NoError(t, NewConfig().Validate())
	f := false
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"format", func(c *Config) { c.Format = "xlsx" }, `format: "xlsx" must be csv or json`},
		{"report format", func(c *Config) { c.Reports[0].Format = "xml" }, "reports: summary/engagement: format"},
		{"page size", func(c *Config) { c.PageSize = 101 }, "page_size: 101 is outside 1..100"},
		{"audit limit", func(c *Config) { c.AuditLogLimit = 501 }, "audit_log_limit"},
		{"flow concurrency", func(c *Config) { c.FlowConcurrency = 0 }, "flow_concurrency"},
		{"prefix", func(c *Config) { c.PathPrefix = "{accountId}" }, "path_prefix"},
		{"path with query", func(c *Config) { c.Paths.Content = "content?type=Flow" }, "paths.content"},
		{"empty path", func(c *Config) { c.Paths.AuditLogs = "/" }, "paths.audit_logs"},
		{"report name", func(c *Config) { c.Reports = []ReportConfig{{Name: "summary mostPopular"}} }, "must look like category/reportName"},
		{"report twice", func(c *Config) { c.Reports = append(c.Reports, c.Reports[0]) }, "reports: summary/engagement: listed twice"},
		{"table clash", func(c *Config) {
			c.Reports = []ReportConfig{{Name: "summary/usage"}, {Name: "x/y", Table: "whatfix_report_usage"}}
		}, "table whatfix_report_usage is already used by report summary/usage"},
		{"fixed table clash", func(c *Config) { c.Reports = []ReportConfig{{Name: "x/y", Table: "whatfix_content"}} }, "table whatfix_content is already used"},
		{"bad table", func(c *Config) { c.Reports = []ReportConfig{{Name: "x/y", Table: "Bad-Name"}} }, "lower snake_case"},
		// The ClickHouse sink drops every _stg_ table it finds as a leftover
		// of an interrupted load: a report table named so would be lost.
		{"staging prefix", func(c *Config) { c.Reports = []ReportConfig{{Name: "x/y", Table: "_stg_reports"}} }, `table "_stg_reports" starts with _stg_`},
		{"column type", func(c *Config) {
			c.Reports = []ReportConfig{{Name: "x/y", Columns: map[string]string{"views": "bigint"}}}
		}, "reports: x/y: columns: views: unknown column type"},
		{"column name", func(c *Config) {
			c.Reports = []ReportConfig{{Name: "x/y", Columns: map[string]string{"Flow Name": "string"}}}
		}, "must be the snake_case column name"},
		{"reserved column", func(c *Config) {
			c.Reports = []ReportConfig{{Name: "x/y", Columns: map[string]string{"report_date": "date"}}}
		}, "report_date is set by etl itself"},
		{"domains", func(c *Config) { c.IncludeDomains = []string{"a.com,b.com"} }, "include_domains"},
		{"unknown stream", func(c *Config) { c.Streams = []string{"report_flow_history"} }, `streams: "report_flow_history" is not a whatfix stream`},
		{"end_date", func(c *Config) { c.EndDate = "sometimes" }, `end_date: "sometimes" must be inclusive or exclusive`},
		{"no cursor keys", func(c *Config) { c.CursorKeys = nil }, "cursor_keys: empty"},
		{"empty cursor param", func(c *Config) { c.CursorParam = " " }, "cursor_param: empty"},
		{"v1 base url", func(c *Config) { c.V1.BaseURL = "api.whatfix.com/v1" }, "v1.base_url"},
		{"v1 path prefix", func(c *Config) { c.V1.PathPrefix = "accounts/{accountId}" }, "v1.path_prefix"},
		{"content_fields column", func(c *Config) { c.ContentFields = map[string]string{"updatedAt": "updated"} }, `content_fields: "updatedAt": "updated" is not a column of whatfix_content`},
		{"rate limit", func(c *Config) { c.RateLimit = "fast" }, "rate_limit"},
		{"flow_id is reserved on per-flow reports", func(c *Config) {
			c.Reports = []ReportConfig{{Name: "flow/history", Columns: map[string]string{"flow_id": "string"}}}
		}, "flow_id is set by etl itself"},
		{"but not on account-wide ones", func(c *Config) {
			c.Reports = []ReportConfig{{Name: "flow/history", PerFlow: &f, Columns: map[string]string{"flow_id": "string"}}}
			c.PageSize = 0
		}, "page_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfig()
			tt.change(c)
			err := c.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestReportEntryOverrides(t *testing.T) {
	c := NewConfig()
	f := false
	c.Reports = []ReportConfig{
		{Name: "flow/history", PerFlow: &f, Table: "wf_history", Path: "reports/v2/flow/history", Format: "csv",
			Columns: map[string]string{"version": "string", "approved_by": "string"}},
	}
	c.Streams = []string{"report_flow_history", "audit_logs"}
	streams, err := c.Open(extract.Env{})
	require.NoError(t, err)
	require.Len(t, streams, 2)
	tb := streams[0].Tables[0]
	assert.Equal(t, "wf_history", tb.Name)
	assert.Equal(t, -1, tb.Index("flow_id"), "per_flow: false drops the flow_id column")
	v, _ := tb.Column("version")
	assert.Equal(t, schemas.String, v.Type, "a config type overrides the declaration")
	_, ok := tb.Column("approved_by")
	assert.True(t, ok)
	_, ok = tb.Column("edited_by")
	assert.True(t, ok, "the declaration's other columns stay")
	assert.Contains(t, streams[0].Doc, "csv")
}

// loadSample reads sample.yaml the way the etl reads pipelines.yaml.
func loadSample(t *testing.T, env map[string]string) *Config {
	t.Helper()
	sample, err := os.ReadFile("sample.yaml")
	require.NoError(t, err)
	doc := "version: 1\nsources:\n" + indent(string(sample), "  ")
	cfg, err := config.Load("pipelines.yaml", []byte(doc), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)
	src := cfg.Source(SourceName)
	require.NotNil(t, src)
	return src.Config.(*Config)
}

func TestSampleYAMLLoadsStrictly(t *testing.T) {
	c := loadSample(t, map[string]string{EnvIntegrationKey: "ik-from-env", EnvAccountID: "acc-1", EnvUser: "me@example.com", EnvBaseURL: "http://127.0.0.1:9/api/v1"})
	assert.Equal(t, "ik-from-env", c.IntegrationKey)
	assert.Equal(t, "acc-1", c.AccountID)
	assert.Equal(t, "me@example.com", c.User)
	assert.Equal(t, "http://127.0.0.1:9/api/v1", c.BaseURL)
	assert.Equal(t, "300/min", c.RateLimit, "the default when WHATFIX_RATE_LIMIT is unset")
	require.NoError(t, c.Validate())

	// The sample shows the defaults, except that it pulls CSV and enables
	// every report, the per-flow ones included.
	defaults := NewConfig()
	defaults.IntegrationKey, defaults.AccountID, defaults.User, defaults.BaseURL = c.IntegrationKey, c.AccountID, c.User, c.BaseURL
	defaults.Format = "csv"
	var names []string
	for _, r := range c.Reports {
		names = append(names, r.Name)
	}
	assert.ElementsMatch(t, whatfixfake.ReportNames(), names, "every report the reference lists")
	defaults.Reports = c.Reports
	assert.Equal(t, defaults, c)

	streams, err := c.Open(extract.Env{})
	require.NoError(t, err)
	assert.Len(t, streams, 37+8)

	var probe Config
	dec := yaml.NewDecoder(strings.NewReader("reports:\n  - {name: a/b, flow_id: x}\n"))
	dec.KnownFields(true)
	assert.Error(t, dec.Decode(&probe), "strict decoding catches a misspelt report setting")
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestSandboxPlugin(t *testing.T) {
	p, ok := extract.Lookup(SourceName)
	require.True(t, ok)
	sb := p.Sandbox(extract.SandboxOptions{Seed: 1, Now: testNow, Scale: 1})
	env := sb.Env("http://127.0.0.1:1234")
	assert.Equal(t, "http://127.0.0.1:1234/api/v1", env[EnvBaseURL])
	for _, k := range []string{EnvAccountID, EnvIntegrationKey, EnvUser} {
		assert.NotEmpty(t, env[k], k)
	}
	fx := newFixture(t)
	fx.srv.Config.Handler = sb.Handler
	fx.cfg.AccountID, fx.cfg.IntegrationKey, fx.cfg.User = env[EnvAccountID], env[EnvIntegrationKey], env[EnvUser]
	rec := mustRun(t, fx.stream(t, "segments"), window.Window{})
	assert.NotEmpty(t, rec.Rows("whatfix_segments"))
}

// A 30-day backfill of everything sample.yaml enables stays a few thousand
// requests and runs in seconds over loopback.
func TestDemoVolume(t *testing.T) {
	fx := newFixture(t)
	sample := loadSample(t, map[string]string{})
	fx.cfg.Reports, fx.cfg.Format = sample.Reports, sample.Format
	streams, err := fx.cfg.Open(extract.Env{})
	require.NoError(t, err)
	require.Len(t, streams, 37+8)
	w := window.New(testNow.Add(-30*window.Day).Truncate(window.Day), testNow.Truncate(window.Day))
	started := time.Now()
	rows := 0
	for _, s := range streams {
		for _, chunk := range w.Split(s.Chunk) {
			rec := mustRun(t, s, chunk)
			assert.Empty(t, rec.Rejects(), s.Name)
			for _, r := range rec.AllRows() {
				rows += len(r)
			}
		}
	}
	took := time.Since(started)
	t.Logf("30-day backfill: %d streams, %d requests, %d rows, %s", len(streams), fx.fake.TotalRequests(), rows, took)
	assert.Less(t, fx.fake.TotalRequests(), 3000)
	assert.Less(t, took, 30*time.Second)
}
