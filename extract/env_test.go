package extract_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/adoptionlabs/etl/extract"
)

type layout struct {
	BaseURL string `yaml:"base_url"`
}

type cfg struct {
	extract.HTTPSettings `yaml:",inline"`
	Key                  string `yaml:"key"`
	V1                   layout `yaml:"v1"`
}

var vars = []extract.EnvVar{
	{Name: "X_BASE_URL", Setting: "base_url", Required: true},
	{Name: "X_KEY", Setting: "key", Required: true},
	{Name: "X_V1_BASE_URL", Setting: "v1.base_url"},
}

func TestMissingReadsTheDeclaredSettings(t *testing.T) {
	c := &cfg{Key: " "}
	assert.Equal(t, []string{"X_BASE_URL", "X_KEY"}, extract.Missing(c, vars), "inline and blank settings count as unset")
	c.BaseURL, c.Key = "http://h", "k"
	assert.Empty(t, extract.Missing(c, vars), "an optional variable is never missing")

	v, ok := extract.Setting(&cfg{V1: layout{BaseURL: "http://v1"}}, "v1.base_url")
	assert.True(t, ok)
	assert.Equal(t, "http://v1", v)
	_, ok = extract.Setting(c, "v2.base_url")
	assert.False(t, ok)
	assert.Panics(t, func() { extract.Missing(c, []extract.EnvVar{{Name: "X_TYPO", Setting: "kye", Required: true}}) })
}

func TestSandboxEnvUsesTheDeclaredNames(t *testing.T) {
	assert.Equal(t, map[string]string{"X_BASE_URL": "http://fake", "X_KEY": "demo"},
		extract.SandboxEnv(vars, map[string]string{"base_url": "http://fake", "key": "demo"}))
	assert.Panics(t, func() { extract.SandboxEnv(vars, map[string]string{"rate_limit": "unlimited"}) },
		"a value for a setting no variable is declared for")
}
