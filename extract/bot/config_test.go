package bot

import (
	"bytes"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/adoptionlabs/etl/extract"
)

func validConfig() *Config {
	c := NewConfig()
	c.BaseURL, c.AppID, c.AppSecret = "https://bot.example.com/api", "app", "secret"
	return c
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" = valid
	}{
		{"defaults with credentials", func(*Config) {}, ""},
		{"no credentials is not an error (Missing reports it)", func(c *Config) { c.BaseURL, c.AppID, c.AppSecret = "", "", "" }, ""},
		{"relative base url", func(c *Config) { c.BaseURL = "bot.example.com" }, "base_url"},
		{"bad rate", func(c *Config) { c.RateLimit = "fast" }, "rate_limit"},
		{"unknown stream", func(c *Config) { c.Streams = []string{"messages"} }, `"messages" is not a bot stream`},
		{"no channels", func(c *Config) { c.Channels = nil }, "channels: list at least one"},
		{"auth scheme", func(c *Config) { c.AuthScheme = "" }, "auth_scheme"},
		{"duplicate channel", func(c *Config) { c.Channels = []int{1010, 1010} }, "listed twice"},
		{"channel without a name", func(c *Config) { c.Channels = []int{1099} }, "1099 has no name: add it under channel_names"},
		{"named extra channel", func(c *Config) { c.Channels = []int{1099}; c.ChannelNames[1099] = "line" }, ""},
		{"users limit too small", func(c *Config) { c.UsersLimit = 10 }, "users_limit: 10 is outside 25..1000"},
		{"transcripts limit too big", func(c *Config) { c.TranscriptsLimit = 5000 }, "transcripts_limit: 5000 is outside 25..1000"},
		{"no workers", func(c *Config) { c.UserConcurrency = 0 }, "user_concurrency"},
		{"negative refresh", func(c *Config) { c.RefreshBefore = -time.Second }, "refresh_before"},
		{"empty path", func(c *Config) { c.Paths.Users = "" }, "paths.users is empty"},
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

func TestConfigMissingAndSecrets(t *testing.T) {
	c := NewConfig()
	assert.Equal(t, []string{EnvBaseURL, EnvAppID, EnvAppSecret}, c.Missing())
	assert.Empty(t, c.Secrets())
	c = validConfig()
	assert.Empty(t, c.Missing())
	assert.Equal(t, []string{"secret"}, c.Secrets())
	streams, err := NewConfig().Open(extract.Env{})
	require.NoError(t, err, "declarations build offline, without credentials")
	assert.Len(t, streams, 3)
}

func TestOpenDeclaresValidStreams(t *testing.T) {
	c := validConfig()
	streams, err := c.Open(extract.Env{})
	require.NoError(t, err)
	require.Len(t, streams, 3)
	for _, s := range streams {
		require.NoError(t, s.Validate(), s.ID())
		assert.True(t, s.Windowed, s.ID())
	}
	assert.Equal(t, "bot.users", streams[0].ID())
	assert.Equal(t, "bot.transcripts", streams[1].ID())
	assert.Equal(t, "bot.usage", streams[2].ID())

	c.Streams = []string{StreamUsage}
	streams, err = c.Open(extract.Env{})
	require.NoError(t, err)
	require.Len(t, streams, 1)
	assert.Equal(t, "bot.usage", streams[0].ID())
}

var envRef = regexp.MustCompile(`\$\{([A-Z_]+)(:-([^}]*))?\}`)

// The sample block decodes strictly (unknown keys are errors) into the
// config and, with the env set, validates.
func TestSampleYAMLDecodesStrictly(t *testing.T) {
	raw, err := os.ReadFile("sample.yaml")
	require.NoError(t, err)
	env := map[string]string{EnvBaseURL: "https://bot.example.com", EnvAppID: "a", EnvAppSecret: "s"}
	text := envRef.ReplaceAllStringFunc(string(raw), func(m string) string {
		g := envRef.FindStringSubmatch(m)
		if v := env[g[1]]; v != "" {
			return v
		}
		return g[3]
	})
	var doc map[string]yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(text), &doc))
	node := doc["bot"]
	out, err := yaml.Marshal(&node)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	c := NewConfig()
	require.NoError(t, dec.Decode(c))
	require.NoError(t, c.Validate())
	assert.Empty(t, c.Missing())
	assert.Equal(t, "20/s", c.RateLimit)
	assert.Equal(t, []int{1010, 1014, 1016, 1017}, c.Channels)
	assert.Equal(t, "instagramMessaging", c.ChannelNames[1021], "defaults survive a partial channel_names")
	assert.Equal(t, 60*time.Second, c.RefreshBefore)
	assert.Equal(t, 24*time.Hour, c.TranscriptsMargin)
}

func TestSandboxPointsTheSourceAtTheFake(t *testing.T) {
	p, ok := extract.Lookup("bot")
	require.True(t, ok)
	sb := p.Sandbox(extract.SandboxOptions{Seed: 1, Now: fakeNow, Scale: 0.2})
	require.NotNil(t, sb.Handler)
	env := sb.Env("http://127.0.0.1:1234")
	assert.Equal(t, "http://127.0.0.1:1234", env[EnvBaseURL])
	assert.NotEmpty(t, env[EnvAppID])
	assert.NotEmpty(t, env[EnvAppSecret])
}
