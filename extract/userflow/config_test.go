package userflow

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

func TestStreamDeclarations(t *testing.T) {
	cfg := NewConfig()
	streams, err := cfg.Open(extract.Env{})
	require.NoError(t, err)

	got := map[string][]string{}
	for _, s := range streams {
		require.NoError(t, s.Validate(), s.ID())
		assert.Equal(t, SourceName, s.Source)
		for _, tb := range s.Tables {
			require.NoError(t, tb.Validate(), tb.Name)
			assert.Equal(t, schemas.RunID, tb.Columns[len(tb.Columns)-1].Name, "%s carries the meta columns", tb.Name)
			got[s.Name] = append(got[s.Name], tb.Name)
		}
	}
	assert.Equal(t, map[string][]string{
		"content_sessions":      {"userflow_content_sessions", "userflow_session_answers"},
		"content":               {"userflow_content", "userflow_content_versions", "userflow_questions", "userflow_checklist_tasks"},
		"users":                 {"userflow_users"},
		"groups":                {"userflow_groups"},
		"attribute_definitions": {"userflow_attribute_definitions"},
		"event_definitions":     {"userflow_event_definitions"},
	}, got)
	assert.Len(t, StreamNames(), len(streams))

	sessions := streams[0]
	assert.True(t, sessions.Windowed)
	assert.Equal(t, "last_activity_at", sessions.WindowField)
	assert.Equal(t, 30*window.Day, sessions.Chunk)
	for _, tb := range sessions.Tables {
		assert.Equal(t, schemas.Merge, tb.Disposition)
		assert.Equal(t, []string{"id"}, tb.Key)
		assert.Equal(t, "created_at", tb.Partition)
		assert.Contains(t, tb.OrderBy, "id", "ReplacingMergeTree dedupes by the sorting key, so it must hold the key")
	}
	assert.Equal(t, "session_last_activity_at", AnswersTable.Version)
	assert.Equal(t, "session_last_activity_at", AnswersTable.Day)
	for _, s := range streams[1:] {
		assert.False(t, s.Windowed, s.Name)
	}
}

func TestConfigValidation(t *testing.T) {
	require.NoError(t, NewConfig().Validate())
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"page size 0", func(c *Config) { c.PageSize = 0 }, "page_size"},
		{"page size 101", func(c *Config) { c.PageSize = 101 }, "page_size"},
		{"api version", func(c *Config) { c.APIVersion = "latest" }, "api_version"},
		{"relative path", func(c *Config) { c.Paths.Users = "users" }, "paths.users"},
		{"path with query", func(c *Config) { c.Paths.ContentSessions = "/content_sessions?limit=5" }, "paths.content_sessions"},
		{"parallel walks", func(c *Config) { c.ParallelContentWalks = 0 }, "parallel_content_walks"},
		{"paging", func(c *Config) { c.Paging = "cursor" }, `paging: "cursor" must be next_page_url or starting_after`},
		{"expand form", func(c *Config) { c.ExpandForm = "comma" }, `expand_form: "comma" must be array or repeated`},
		{"unknown stream", func(c *Config) { c.Streams = []string{"events"} }, "streams"},
		{"rate limit", func(c *Config) { c.RateLimit = "fast" }, "rate_limit"},
		{"base url", func(c *Config) { c.BaseURL = "" }, "base_url"},
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

func TestConfigCredentials(t *testing.T) {
	c := NewConfig()
	assert.Equal(t, []string{"USERFLOW_API_KEY"}, c.Missing())
	assert.Empty(t, c.Secrets())
	c.APIKey = "ak_live_123"
	assert.Empty(t, c.Missing())
	assert.Equal(t, []string{"ak_live_123"}, c.Secrets())
}

func TestConfigStreamsSelection(t *testing.T) {
	c := NewConfig()
	c.Streams = []string{"users", "content_sessions"}
	require.NoError(t, c.Validate())
	streams, err := c.Open(extract.Env{})
	require.NoError(t, err)
	var names []string
	for _, s := range streams {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"content_sessions", "users"}, names)
}

func TestSampleYAMLLoadsStrictly(t *testing.T) {
	sample, err := os.ReadFile("sample.yaml")
	require.NoError(t, err)
	doc := "version: 1\nsources:\n" + indent(string(sample), "  ")
	env := map[string]string{"USERFLOW_API_KEY": "ak_from_env", "USERFLOW_BASE_URL": "http://127.0.0.1:9"}
	cfg, err := config.Load("pipelines.yaml", []byte(doc), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)
	src := cfg.Source(SourceName)
	require.NotNil(t, src)
	c := src.Config.(*Config)
	assert.Equal(t, "ak_from_env", c.APIKey)
	assert.Equal(t, "http://127.0.0.1:9", c.BaseURL)
	assert.Equal(t, "600/min", c.RateLimit, "the default when USERFLOW_RATE_LIMIT is unset")
	defaults := NewConfig()
	defaults.APIKey, defaults.BaseURL = c.APIKey, c.BaseURL
	assert.Equal(t, defaults, c, "sample.yaml shows the defaults")

	// Strict decoding catches a misspelt setting.
	var probe Config
	dec := yaml.NewDecoder(strings.NewReader("page_sise: 10\n"))
	dec.KnownFields(true)
	assert.Error(t, dec.Decode(&probe))
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
	sb := p.Sandbox(extract.SandboxOptions{Seed: 1, Now: testNow, Scale: 0.1})
	env := sb.Env("http://127.0.0.1:1234")
	assert.Equal(t, "http://127.0.0.1:1234", env["USERFLOW_BASE_URL"])
	require.NotEmpty(t, env["USERFLOW_API_KEY"])

	e := newEnv(t, 0.1, func(*userflowfake.Fake) http.Handler { return sb.Handler })
	e.cfg.APIKey = env["USERFLOW_API_KEY"]
	rec, err := e.run(t, "users", window.Window{})
	require.NoError(t, err)
	assert.NotEmpty(t, rec.Rows(UsersTable.Name))
}
