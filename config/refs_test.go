package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/extract"
)

// A ${ that is not a whole reference would reach the API as the value
// itself (an unclosed ${USERFLOW_API_KEY is sent as the key, and the 401
// then blames a variable that is set): it is a config error with its line,
// naming only the variable, never what follows it.
func TestMalformedReferenceIsAConfigErrorWithItsLine(t *testing.T) {
	cases := []struct {
		name, value string
		want        string
	}{
		{"unclosed", "${USERFLOW_API_KEY", `line 4: api_key: ${USERFLOW_API_KEY has no closing }`},
		{"unclosed with a default", "${USERFLOW_API_KEY:-ak_live_literal", `line 4: api_key: ${USERFLOW_API_KEY has no closing }`},
		{"after a whole one", "${A}${B", `line 4: api_key: ${B has no closing }`},
		{"not a name", "${1KEY}", `line 4: api_key: ${1KEY} is not a reference`},
		{"empty", "x${}", `line 4: api_key: ${} is not a reference`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			y := "version: 1\nsources:\n  userflow:\n    api_key: \"" + tc.value + "\"\n"
			_, err := config.Load("p.yaml", []byte(y), env(map[string]string{"A": "a", "USERFLOW_API_KEY": "set"}))
			require.Error(t, err)
			assert.True(t, config.IsConfigError(err), "exit 2")
			assert.Contains(t, err.Error(), "p.yaml: "+tc.want)
			assert.Contains(t, err.Error(), "write ${NAME} or ${NAME:-default}")
			assert.NotContains(t, err.Error(), "ak_live_literal", "what follows the name may be a secret")
		})
	}
	for _, ok := range []string{"$${USERFLOW_API_KEY", "a$$b", "${A}", "${A:-}", "$A", "cost: $5"} {
		y := "version: 1\nsources:\n  userflow:\n    api_key: \"" + ok + "\"\n"
		_, err := config.Load("p.yaml", []byte(y), env(map[string]string{"A": "a"}))
		assert.NoError(t, err, ok)
	}
}

// Select says which sources do not run and why, naming the variables the
// config reads (not only the ones the sample names), and tells a disabled
// source from one that cannot run.
func TestSelectSaysWhichSourcesCannotRun(t *testing.T) {
	cases := []struct {
		name, block string
		cannot      bool
		status      string
		line        string
	}{
		{"key unset", "    api_key: ${USERFLOW_API_KEY}\n", true, "skipped: USERFLOW_API_KEY unset",
			"userflow: skipped: USERFLOW_API_KEY unset: set it, or leave the source out with --source or `enabled: false` under sources.userflow in p.yaml"},
		{"a variable of the config's own", "    api_key: ${MY_USERFLOW_KEY}\n", true, "skipped: MY_USERFLOW_KEY unset", "userflow: skipped: MY_USERFLOW_KEY unset"},
		{"disabled", "    enabled: false\n    api_key: ${USERFLOW_API_KEY}\n", false, "disabled", "userflow: disabled in p.yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load("p.yaml", []byte("version: 1\nsources:\n  userflow:\n"+tc.block), env(nil))
			require.NoError(t, err)
			sel, err := c.Select(extract.Env{}, nil, []string{"users"}, true)
			require.NoError(t, err)
			assert.Empty(t, sel.Streams)
			require.Len(t, sel.Skipped, 1)
			sk := sel.Skipped[0]
			assert.Equal(t, "userflow", sk.Source)
			assert.Equal(t, []string{"users"}, sk.Streams)
			assert.Equal(t, tc.status, sk.Status())
			assert.Contains(t, sk.Line(), tc.line)
			assert.Equal(t, tc.cannot, len(sel.CannotRun()) == 1)
		})
	}
}
