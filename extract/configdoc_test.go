package extract

import (
	"reflect"
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

type docConfig struct {
	HTTPSettings `yaml:",inline"`
	Wait         time.Duration     `yaml:"wait" doc:"how long | at most"`
	Paths        docNested         `yaml:"paths"`
	Items        []docItem         `yaml:"items" doc:"the items"`
	Names        map[int]string    `yaml:"names" doc:"code -> name"`
	Flag         *bool             `yaml:"flag,omitempty" doc:"a flag"`
	Extra        map[string]string `yaml:"-"`
	hidden       int
}

func TestDocRows(t *testing.T) {
	cfg := &docConfig{HTTPSettings: HTTPSettings{RateLimit: "10/s", MaxRetries: 3}, Wait: 24 * time.Hour,
		Paths: docNested{Users: "/users"}, Items: []docItem{{Name: "a"}}, Names: map[int]string{12: "b", 3: "a"}}
	var rows [][4]string
	require.NoError(t, docRows(&rows, "", reflect.ValueOf(cfg)))
	got := map[string][3]string{}
	var keys []string
	for _, r := range rows {
		keys = append(keys, r[0])
		got[r[0]] = [3]string{r[1], r[2], r[3]}
	}
	assert.Equal(t, []string{"base_url", "rate_limit", "timeout", "max_retries", "max_body", "max_download", "max_field", "streams",
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
	var rows [][4]string
	err := docRows(&rows, "", reflect.ValueOf(bad{}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "paths.users")
	assert.True(t, strings.Contains(err.Error(), "no doc tag"))
}
