package technowiz

import (
	"bytes"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/extract/technowiz/technowizfake"
)

func statusErr(status int, body string) error {
	return &httpclient.StatusError{Method: "GET", URL: "/x", Status: status, Body: body, Attempts: 1}
}

func validConfig() *Config {
	c := NewConfig()
	c.BaseURL, c.AuthKey = "https://api.technowiz.example", "key"
	c.UserFilters = []UserFilter{{"plan", "enterprise"}}
	return c
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"valid", func(*Config) {}, ""},
		{"no credentials and no filters: skipped, not invalid", func(c *Config) { c.BaseURL, c.AuthKey, c.UserFilters = "", "", nil }, ""},
		{"key without filters", func(c *Config) { c.UserFilters = nil }, `user_filters: empty: Technowiz has no "list all users" call`},
		{"filter without a name", func(c *Config) { c.UserFilters = []UserFilter{{"", "x"}} }, "user_filters[0]: attribute_name is empty"},
		{"filter without a value", func(c *Config) { c.UserFilters = []UserFilter{{"plan", ""}} }, "user_filters[0] (plan): attribute_value is empty"},
		{"page size", func(c *Config) { c.PageSize = 0 }, "page_size: 0 is outside 1..10000"},
		{"page size param", func(c *Config) { c.PageSizeParam = " " }, "page_size_param is empty"},
		{"conversation path", func(c *Config) { c.Paths.Conversation = "/conversation" }, "must contain {userId}"},
		{"workers", func(c *Config) { c.UserConcurrency = 100 }, "user_concurrency: 100 is outside 1..64"},
		{"unknown stream", func(c *Config) { c.Streams = []string{"users", "chats"} }, `"chats" is not a technowiz stream`},
		{"bad base url", func(c *Config) { c.BaseURL = "ftp://x" }, "base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(c)
			err := c.Validate()
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestConfigMissingSecretsAndOpen(t *testing.T) {
	assert.Equal(t, []string{EnvBaseURL, EnvAuthKey}, NewConfig().Missing())
	assert.Empty(t, NewConfig().Secrets())
	c := validConfig()
	assert.Empty(t, c.Missing())
	assert.Equal(t, []string{"key"}, c.Secrets())

	streams, err := c.Open(extract.Env{})
	require.NoError(t, err)
	require.Len(t, streams, 2)
	assert.Equal(t, "technowiz.users", streams[0].ID())
	assert.False(t, streams[0].Windowed)
	assert.Equal(t, "technowiz.messages", streams[1].ID())
	assert.True(t, streams[1].Windowed)
	for _, s := range streams {
		require.NoError(t, s.Validate())
	}
	c.Streams = []string{StreamMessages}
	streams, err = c.Open(extract.Env{})
	require.NoError(t, err)
	require.Len(t, streams, 1)
	assert.Equal(t, StreamMessages, streams[0].Name)
}

var envRef = regexp.MustCompile(`\$\{([A-Z_]+)(:-([^}]*))?\}`)

func TestSampleYAMLDecodesStrictly(t *testing.T) {
	raw, err := os.ReadFile("sample.yaml")
	require.NoError(t, err)
	env := map[string]string{EnvBaseURL: "https://api.technowiz.example", EnvAuthKey: "k"}
	text := envRef.ReplaceAllStringFunc(string(raw), func(m string) string {
		g := envRef.FindStringSubmatch(m)
		if v := env[g[1]]; v != "" {
			return v
		}
		return g[3]
	})
	var doc map[string]yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(text), &doc))
	node := doc["technowiz"]
	out, err := yaml.Marshal(&node)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	c := NewConfig()
	require.NoError(t, dec.Decode(c))
	require.NoError(t, c.Validate())
	assert.Empty(t, c.Missing())
	assert.Equal(t, demoFilters(), c.UserFilters, "the sample's filters are the ones the fake's demo data answers")
	assert.Equal(t, "Page_size", c.PageSizeParam)
}

func TestSandboxPointsTheSourceAtTheFake(t *testing.T) {
	p, ok := extract.Lookup("technowiz")
	require.True(t, ok)
	sb := p.Sandbox(extract.SandboxOptions{Seed: 1, Now: fakeNow, Scale: 0.2})
	require.NotNil(t, sb.Handler)
	env := sb.Env("http://127.0.0.1:1")
	assert.Equal(t, "http://127.0.0.1:1", env[EnvBaseURL])
	assert.Equal(t, technowizfake.DemoAuthKey, env[EnvAuthKey])
}
