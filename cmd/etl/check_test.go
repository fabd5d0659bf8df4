package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/bot/botfake"
	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/extract/technowiz/technowizfake"
	"github.com/adoptionlabs/etl/extract/whatfix/whatfixfake"
)

// etl check against the Whatfix sandbox in each reading the references
// leave open: the default fake passes, every other reading is named with
// the setting that fixes it, and with that setting the check passes.
func TestCheckNamesEachVariant(t *testing.T) {
	cases := []struct {
		variant  string
		wantExit int
		want     []string
		// fix is the whatfix config lines that adapt to the variant.
		fix string
	}{
		{variant: "", wantExit: exitOK, want: []string{"endDate is inclusive", `next-page marker "cursor" found`, "check: every tested guess holds"}},
		{variant: "cursor-key", wantExit: exitFailed,
			want: []string{"whatfix audit_logs: WRONG", `no next-page marker "cursor" (keys in the response: "data", "nextCursor")`, "set whatfix cursor_keys"},
			fix:  "    cursor_keys: [cursor, nextCursor]\n"},
		{variant: "exclusive-end-date", wantExit: exitFailed,
			want: []string{"whatfix flow_analytics: WRONG", "endDate is exclusive (one-day range", "set whatfix end_date: exclusive"},
			fix:  "    end_date: exclusive\n"},
		{variant: "v1-layout", wantExit: exitFailed,
			want: []string{"whatfix audit_logs: WRONG", "access denied (403) at", "wrong path or layout?", "credentials?"},
			fix:  "    v1: {base_url: \"${WHATFIX_V1_BASE_URL}\", path_prefix: \"/accounts/{accountId}\"}\n"},
		{variant: "v1-content-items", wantExit: exitFailed,
			want: []string{"whatfix content_updated: WRONG", "item keys id, tags, title, type, url give no modified_at: set whatfix content_fields"}},
	}
	for _, tc := range cases {
		t.Run("variant "+tc.variant, func(t *testing.T) {
			fake := whatfixfake.New(whatfixfake.Options{Seed: 3, Variant: whatfixfake.Variants[tc.variant]})
			srv, err := sandbox.Start(fake)
			require.NoError(t, err)
			defer srv.Close()
			env := map[string]string{
				"WHATFIX_BASE_URL": srv.URL + whatfixfake.APIPrefix, "WHATFIX_V1_BASE_URL": srv.URL + whatfixfake.V1Prefix,
				"WHATFIX_ACCOUNT_ID": fake.AccountID(), "WHATFIX_INTEGRATION_KEY": fake.IntegrationKey(), "WHATFIX_USER": fake.User(),
			}
			cfg := filepath.Join(t.TempDir(), "pipelines.yaml")
			base := "version: 1\nsources:\n  whatfix:\n    base_url: ${WHATFIX_BASE_URL}\n    account_id: ${WHATFIX_ACCOUNT_ID}\n" +
				"    integration_key: ${WHATFIX_INTEGRATION_KEY}\n    user: ${WHATFIX_USER}\n    rate_limit: unlimited\n"
			require.NoError(t, os.WriteFile(cfg, []byte(base), 0o644))

			code, stdout, stderr := runCLI(t, env, "--config", cfg, "check", "--source", "whatfix")
			assert.Equal(t, tc.wantExit, code, stdout+stderr)
			for _, w := range tc.want {
				assert.Contains(t, stdout+stderr, w)
			}
			assert.NotContains(t, stdout+stderr, fake.IntegrationKey())
			assert.LessOrEqual(t, fake.TotalRequests(), 2*4, "at most two small requests per endpoint")
			for _, r := range fake.RequestLog() {
				assert.True(t, strings.Contains(r, "limit=1") || strings.Contains(r, "pageSize=1") || strings.Contains(r, "analytics/flows"), r)
			}

			if tc.fix == "" {
				return
			}
			require.NoError(t, os.WriteFile(cfg, []byte(base+tc.fix), 0o644))
			code, stdout, stderr = runCLI(t, env, "--config", cfg, "check", "--source", "whatfix")
			assert.Equal(t, exitOK, code, "with the setting changed: "+stdout+stderr)
		})
	}
}

func TestCheckBadConfigExitsTwo(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "pipelines.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("version: 1\nsources:\n  whatfix:\n    end_date: sometimes\n"), 0o644))
	code, _, stderr := runCLI(t, nil, "--config", cfg, "check")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "end_date")
}

// The Technowiz and bot sandboxes through the built-in pipelines.yaml: the
// defaults hold; a misspelt page-size parameter and an auth scheme the API
// does not take are named with their settings.
func TestCheckTechnowizAndBot(t *testing.T) {
	tw := technowizfake.New(technowizfake.Options{Seed: 5})
	twSrv, err := sandbox.Start(tw)
	require.NoError(t, err)
	defer twSrv.Close()
	bare := botfake.New(botfake.Options{Seed: 5, AuthScheme: botfake.AuthSchemeNone})
	botSrv, err := sandbox.Start(bare)
	require.NoError(t, err)
	defer botSrv.Close()
	bearer := botfake.New(botfake.Options{Seed: 5})
	bearerSrv, err := sandbox.Start(bearer)
	require.NoError(t, err)
	defer bearerSrv.Close()

	env := map[string]string{"TECHNOWIZ_BASE_URL": twSrv.URL, "TECHNOWIZ_AUTH_KEY": technowizfake.DemoAuthKey, "TECHNOWIZ_RATE_LIMIT": "unlimited",
		"BOT_BASE_URL": bearerSrv.URL, "BOT_APP_ID": botfake.DemoAppID, "BOT_APP_SECRET": botfake.DemoAppSecret, "BOT_RATE_LIMIT": "unlimited"}
	code, stdout, stderr := runCLI(t, env, "check", "--source", "technowiz", "--source", "bot")
	assert.Equal(t, exitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "Page_size obeyed (2 messages)")
	assert.Contains(t, stdout, `"Bearer" scheme accepted`)

	cfg := filepath.Join(t.TempDir(), "pipelines.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("version: 1\nsources:\n  technowiz:\n    base_url: ${TECHNOWIZ_BASE_URL}\n    auth_key: ${TECHNOWIZ_AUTH_KEY}\n"+
		"    user_filters: [{attribute_name: plan, attribute_value: enterprise}]\n    page_size_param: page_size\n"), 0o644))
	code, stdout, stderr = runCLI(t, env, "--config", cfg, "check")
	assert.Equal(t, exitFailed, code, stdout+stderr)
	assert.Contains(t, stdout, "technowiz conversation: WRONG")
	assert.Contains(t, stdout, `unknown parameter \"page_size\"`)
	assert.Contains(t, stdout, "check page_size_param (page_size)")

	env["BOT_BASE_URL"] = botSrv.URL
	code, stdout, stderr = runCLI(t, env, "check", "--source", "bot")
	assert.Equal(t, exitFailed, code, stdout+stderr)
	assert.Contains(t, stdout, "bot users: WRONG")
	assert.Contains(t, stdout, "wrong scheme?")
	assert.Contains(t, stdout, "set bot auth_scheme")
	assert.NotContains(t, stdout+stderr, botfake.DemoAppSecret)
}

// The sandboxes `etl sandbox --variant` serves: etl check names each one's
// difference with the built-in pipelines.yaml.
func TestCheckAgainstSandboxVariants(t *testing.T) {
	cases := []struct {
		variants map[string]string
		want     []string
	}{
		{map[string]string{"whatfix": "cursor-key"}, []string{"set whatfix cursor_keys"}},
		{map[string]string{"whatfix": "exclusive-end-date"}, []string{"set whatfix end_date: exclusive"}},
		{map[string]string{"whatfix": "v1-layout"}, []string{"whatfix audit_logs: WRONG", "wrong path or layout?"}},
		{map[string]string{"whatfix": "v1-content-items"}, []string{"set whatfix content_fields"}},
		{map[string]string{"bot": "bare-token"}, []string{"set bot auth_scheme"}},
		{map[string]string{"userflow": "absolute-next-page-url"}, []string{"userflow content_sessions: WRONG", "set userflow paging: starting_after"}},
		{map[string]string{"userflow": "bare-next-page-url"}, []string{"does not keep the request's expand, limit, order_by: set userflow paging: starting_after"}},
		{map[string]string{"userflow": "repeated-expand"}, []string{"userflow content_versions: WRONG", "set userflow expand_form: repeated"}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.variants), func(t *testing.T) {
			env, stop, err := startSandboxes(9, time.Now().UTC(), 0, 1, tc.variants)
			require.NoError(t, err)
			defer stop()
			code, stdout, stderr := runCLI(t, env, "check", "--source", "whatfix", "--source", "bot", "--source", "technowiz", "--source", "userflow")
			assert.Equal(t, exitFailed, code, stdout+stderr)
			for _, w := range tc.want {
				assert.Contains(t, stdout, w)
			}
		})
	}
	env, stop, err := startSandboxes(9, time.Now().UTC(), 0, 1, map[string]string{"technowiz": "per-page-total", "bot": "per-page-total", "userflow": "groups-forbidden"})
	require.NoError(t, err)
	defer stop()
	code, stdout, stderr := runCLI(t, env, "check")
	assert.Equal(t, exitOK, code, "per-page totals need no setting: the walks read on regardless; groups missing from the plan is no wrong guess\n"+stdout+stderr)
	for _, src := range []string{"whatfix", "bot", "technowiz", "userflow"} {
		assert.Regexp(t, `(?m)^`+src+` \S+: ok`, stdout, "etl check covers every source")
	}
	assert.Contains(t, stdout, "userflow groups: ok")
	assert.Contains(t, stdout, "not available on this plan (HTTP 403)")
}

func TestSandboxUnknownVariantExitsTwo(t *testing.T) {
	for _, v := range []string{"whatfix:nope", "nosuch:cursor-key", "whatfix"} {
		code, _, stderr := runCLI(t, nil, "sandbox", "--variant", v)
		assert.Equal(t, exitUsage, code, v)
		assert.Contains(t, stderr, "--variant "+v)
	}
}
