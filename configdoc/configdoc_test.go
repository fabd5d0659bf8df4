package configdoc

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type docItem struct {
	Name string `yaml:"name" doc:"item name"`
}

type docNested struct {
	Users string `yaml:"users" doc:"users path"`
}

// DocShared stands for settings every plugin of a kind shares, inlined.
type DocShared struct {
	RateLimit  string   `yaml:"rate_limit" doc:"client-side request rate: N/s, N/min or unlimited"`
	MaxRetries int      `yaml:"max_retries" doc:"retries after the first attempt"`
	MaxBody    ByteSize `yaml:"max_body" doc:"largest response body"`
}

// ByteSize is named as extract's sizes are: its type reads "size".
type ByteSize int64

type docConfig struct {
	DocShared `yaml:",inline"`
	Wait      time.Duration     `yaml:"wait" doc:"how long | at most"`
	Paths     docNested         `yaml:"paths"`
	Items     []docItem         `yaml:"items" doc:"the items"`
	Names     map[int]string    `yaml:"names" doc:"code -> name"`
	Flag      *bool             `yaml:"flag,omitempty" doc:"a flag"`
	Extra     map[string]string `yaml:"-"`
	hidden    int
}

func TestDocRows(t *testing.T) {
	cfg := &docConfig{DocShared: DocShared{RateLimit: "10/s", MaxRetries: 3}, Wait: 24 * time.Hour,
		Paths: docNested{Users: "/users"}, Items: []docItem{{Name: "a"}}, Names: map[int]string{12: "b", 3: "a"}}
	rows, err := Rows(cfg)
	require.NoError(t, err)
	got := map[string][3]string{}
	var keys []string
	for _, r := range rows {
		keys = append(keys, r.Key)
		got[r.Key] = [3]string{r.Type, r.Default, r.Doc}
	}
	assert.Equal(t, []string{"rate_limit", "max_retries", "max_body",
		"wait", "paths.users", "items", "items[].name", "names", "flag"}, keys, "inline keys at the top, nested ones under their parent")
	assert.Equal(t, [3]string{"string", "`10/s`", "client-side request rate: N/s, N/min or unlimited"}, got["rate_limit"])
	assert.Equal(t, [3]string{"duration", "`24h`", "how long | at most"}, got["wait"])
	assert.Equal(t, [3]string{"list", "`[{name: a}]`", "the items"}, got["items"])
	assert.Equal(t, [3]string{"map of integer to string", "`{3: a, 12: b}`", "code -> name"}, got["names"])
	assert.Equal(t, [3]string{"size", "", got["max_body"][2]}, got["max_body"], "a zero value has no default")
	assert.Equal(t, "boolean", got["flag"][0])
}

func TestDocRowsRefusesAnUndocumentedSetting(t *testing.T) {
	type bad struct {
		Paths struct {
			Users string `yaml:"users"`
		} `yaml:"paths"`
	}
	_, err := Rows(bad{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "paths.users")
	assert.True(t, strings.Contains(err.Error(), "no doc tag"))
}
