package whatfix

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthFailuresSayWhichVariableToCheck(t *testing.T) {
	streams := []string{"report_most_popular_flows", "report_flow_history", "flow_analytics", "end_user_engagement", "content", "end_users", "audit_logs"}
	for _, tc := range []struct {
		name    string
		mutate  func(c *Config)
		status  string
		hint    string
		secret  string
		account bool
	}{
		{name: "wrong key", mutate: func(c *Config) { c.IntegrationKey = "wfx-ik-WRONG-0000" }, status: "401 Unauthorized",
			hint: "the integration key was refused (401): check WHATFIX_INTEGRATION_KEY", secret: "wfx-ik-WRONG-0000"},
		{name: "wrong user", mutate: func(c *Config) { c.User = "someone@else.example" }, status: "403 Forbidden",
			hint: "credentials? check WHATFIX_USER is the email of the integration key's user"},
		{name: "wrong account", mutate: func(c *Config) { c.AccountID = "other-account" }, status: "403 Forbidden",
			hint: `WHATFIX_ACCOUNT_ID ("other-account") is an account that key can read`},
	} {
		for _, name := range streams {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				fx := newFixture(t)
				fx.cfg.Reports = []ReportConfig{{Name: "summary/mostPopularFlows", Format: "csv"}, {Name: "flow/history"}}
				key := fx.cfg.IntegrationKey
				tc.mutate(fx.cfg)
				_, err := run(t, fx.stream(t, name), days("2026-03-01", "2026-03-02"))
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.hint)
				assert.Contains(t, err.Error(), tc.status)
				// The days are requested at once, so each may have been
				// asked before the first refusal stopped the others; none
				// twice.
				log := fx.fake.RequestLog()
				assert.NotEmpty(t, log)
				assert.ElementsMatch(t, uniqueStrings(log), log, "auth failures are not retried")
				assertNoSecret(t, key, err.Error())
				if tc.secret != "" {
					assertNoSecret(t, tc.secret, err.Error())
				}
			})
		}
	}
}

func TestMissingCredentials(t *testing.T) {
	c := NewConfig()
	assert.Equal(t, []string{EnvAccountID, EnvIntegrationKey, EnvUser}, c.Missing())
	c.AccountID, c.IntegrationKey, c.User = "acc", "key", " "
	assert.Equal(t, []string{EnvUser}, c.Missing())
	c.User = "me@example.com"
	assert.Empty(t, c.Missing())
	assert.Equal(t, []string{"key"}, c.Secrets())
}

// A server that echoes the key back in an error body (some proxies do) must
// not put it into an error message or a notice.
func TestIntegrationKeyNeverInErrors(t *testing.T) {
	var key string
	echo := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/reports/") || strings.Contains(r.URL.Path, "/auditlogs") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadGateway)
				_, _ = w.Write([]byte(`{"code":502,"message":"upstream refused key ` + r.Header.Get(HeaderIntegrationKey) + `","details":"` + url.QueryEscape(key) + `"}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	fx := newFixture(t, echo)
	key = fx.cfg.IntegrationKey
	fx.cfg.Reports = []ReportConfig{{Name: "summary/usage", Format: "csv"}, {Name: "flow/feedback"}}
	for _, name := range []string{"report_usage", "report_flow_feedback", "audit_logs"} {
		rec, err := run(t, fx.stream(t, name), days("2026-03-01", "2026-03-01"))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "upstream refused key [REDACTED]")
		assertNoSecret(t, key, err.Error())
		assertNoSecret(t, key, rec.Notices()...)
	}
}

func uniqueStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
