// Package technowiz extracts users (found by attribute filters) and their
// conversation messages from the Technowiz API. Its reference names
// parameters, not paths or response shapes: those are this project's
// assumptions, each a setting (docs/guesses.md). See README.md.
package technowiz

import (
	_ "embed"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/technowiz/technowizfake"
)

func init() {
	extract.Register(extract.Plugin{
		Name:      SourceName,
		Doc:       "Technowiz API: users matched by attribute filters, their conversation messages.",
		NewConfig: func() extract.Config { return NewConfig() },
		Sandbox:   sandbox,
		// per-page-total: total_records counts the current page only.
		SandboxVariants: []string{"per-page-total"},
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
	EnvBaseURL = "TECHNOWIZ_BASE_URL"
	EnvAuthKey = "TECHNOWIZ_AUTH_KEY"
)

// envVars are the variables sample.yaml reads: the one list Missing, the
// sandbox and the tests use.
var envVars = []extract.EnvVar{
	{Name: EnvBaseURL, Setting: "base_url", Required: true},
	{Name: EnvAuthKey, Setting: "auth_key", Required: true},
	{Name: "TECHNOWIZ_RATE_LIMIT", Setting: "rate_limit"},
}

func sandbox(opts extract.SandboxOptions) extract.Sandbox {
	f := technowizfake.New(technowizfake.Options{Seed: opts.Seed, Now: opts.Now, Scale: opts.Scale, PerPageTotal: opts.Variant == "per-page-total"})
	f.Faults.Spread(opts.Faults)
	return extract.Sandbox{
		Handler: f,
		Env: func(baseURL string) map[string]string {
			return extract.SandboxEnv(envVars, map[string]string{
				"base_url": baseURL,
				"auth_key": technowizfake.DemoAuthKey,
				// The fake has no rate limit; the demo should not wait on one.
				"rate_limit": "unlimited",
			})
		},
	}
}
