// Package bot extracts users, transcripts, custom fields and monthly usage
// from the bot platform's Open API. Its reference gives bodies but no paths:
// the paths are this project's assumptions, each a setting
// (docs/guesses.md). See README.md.
package bot

import (
	_ "embed"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/bot/botfake"
)

func init() {
	extract.Register(extract.Plugin{
		Name:      SourceName,
		Doc:       "Bot platform Open API: users, transcript messages, user custom fields, monthly usage.",
		NewConfig: func() extract.Config { return NewConfig() },
		Sandbox:   sandbox,
		// bare-token: the API wants the token without "Bearer";
		// per-page-total: users' and transcripts' total count one page.
		SandboxVariants: []string{"bare-token", "per-page-total"},
		Sample:          sample,
		Env:             envVars,
	})
}

// sample is the source's block of pipelines.yaml, commented.
//
//go:embed sample.yaml
var sample []byte

// Env var names.
const (
	EnvBaseURL   = "BOT_BASE_URL"
	EnvAppID     = "BOT_APP_ID"
	EnvAppSecret = "BOT_APP_SECRET"
)

// envVars are the variables sample.yaml reads: the one list Missing, the
// sandbox and the tests use.
var envVars = []extract.EnvVar{
	{Name: EnvBaseURL, Setting: "base_url", Required: true},
	{Name: EnvAppID, Setting: "app_id", Required: true},
	{Name: EnvAppSecret, Setting: "app_secret", Required: true},
	{Name: "BOT_RATE_LIMIT", Setting: "rate_limit"},
}

func sandbox(opts extract.SandboxOptions) extract.Sandbox {
	o := botfake.Options{Seed: opts.Seed, Now: opts.Now, Scale: opts.Scale, PerPageTotal: opts.Variant == "per-page-total"}
	if opts.Variant == "bare-token" {
		o.AuthScheme = botfake.AuthSchemeNone
	}
	f := botfake.New(o)
	f.Faults.Spread(opts.Faults)
	return extract.Sandbox{
		Handler: f,
		Env: func(baseURL string) map[string]string {
			return extract.SandboxEnv(envVars, map[string]string{
				"base_url":   baseURL,
				"app_id":     botfake.DemoAppID,
				"app_secret": botfake.DemoAppSecret,
				// The fake has no rate limit; the demo should not wait on one.
				"rate_limit": "unlimited",
			})
		},
	}
}
