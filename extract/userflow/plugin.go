// Package userflow extracts content sessions (with survey answers), content,
// versions, questions, users and groups from the Userflow REST API.
package userflow

import (
	_ "embed"
	"maps"
	"slices"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
)

func init() {
	extract.Register(extract.Plugin{
		Name:      SourceName,
		Doc:       "Userflow REST API: content sessions and survey answers (incremental by last activity), content, versions, questions, users, groups",
		NewConfig: func() extract.Config { return NewConfig() },
		Sandbox:   sandboxFor,
		// The other readings of what the reference leaves open
		// (userflowfake.Variant; docs/guesses.md).
		SandboxVariants: slices.Sorted(maps.Keys(userflowfake.Variants)),
		Sample:          sample,
		Env:             envVars,
	})
}

// sample is the source's block of pipelines.yaml, commented.
//
//go:embed sample.yaml
var sample []byte

// EnvAPIKey is the variable the key comes from; named in "missing" lines
// and in 401 hints.
const EnvAPIKey = "USERFLOW_API_KEY"

// envVars are the variables sample.yaml reads: the one list Missing, the
// sandbox and the tests use.
var envVars = []extract.EnvVar{
	{Name: "USERFLOW_BASE_URL", Setting: "base_url"},
	{Name: EnvAPIKey, Setting: "api_key", Required: true},
	{Name: "USERFLOW_RATE_LIMIT", Setting: "rate_limit"},
}

func sandboxFor(opts extract.SandboxOptions) extract.Sandbox {
	fo := userflowfake.Options{Seed: opts.Seed, Now: opts.Now, Scale: opts.Scale, Prerender: opts.Prerender,
		Variant: userflowfake.Variants[opts.Variant]}
	if opts.Prerender {
		fo.RatePerMinute = 1 << 30
	}
	fake := userflowfake.New(fo)
	fake.Faults.Spread(opts.Faults)
	return extract.Sandbox{
		Handler: fake,
		Env: func(baseURL string) map[string]string {
			return extract.SandboxEnv(envVars, map[string]string{
				"base_url": baseURL,
				"api_key":  userflowfake.DemoAPIKey,
				// The sandbox has no quota worth pacing for; sample.yaml
				// reads this so the demo is not slowed to the real API's pace.
				"rate_limit": "unlimited",
			})
		},
	}
}
