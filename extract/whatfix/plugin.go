// Package whatfix extracts Whatfix report downloads (CSV or JSON, one UTC
// day per request, per flow where the report needs a flowId), flow, end-user,
// Self Help and task-list analytics, content (incrementally), end users,
// segments and audit logs.
package whatfix

import (
	_ "embed"

	"maps"
	"slices"
	"strings"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/whatfix/whatfixfake"
)

func init() {
	extract.Register(extract.Plugin{
		Name:            SourceName,
		Doc:             "Whatfix REST API: report downloads (CSV/JSON, per day, per flow), flow/end-user/Self Help/task analytics, content (incremental), end users, segments, audit logs",
		NewConfig:       func() extract.Config { return NewConfig() },
		Sandbox:         sandboxFor,
		SandboxVariants: slices.Sorted(maps.Keys(whatfixfake.Variants)),
		Sample:          sample,
		Env:             envVars,
	})
}

// sample is the source's block of pipelines.yaml, commented.
//
//go:embed sample.yaml
var sample []byte

// Environment variables the credentials come from; named in "missing" lines
// and in 401/403 hints.
const (
	EnvBaseURL        = "WHATFIX_BASE_URL"
	EnvAccountID      = "WHATFIX_ACCOUNT_ID"
	EnvIntegrationKey = "WHATFIX_INTEGRATION_KEY"
	EnvUser           = "WHATFIX_USER"
)

// envVars are the variables sample.yaml reads: the one list Missing, the
// sandbox and the tests use.
var envVars = []extract.EnvVar{
	{Name: EnvBaseURL, Setting: "base_url"},
	{Name: EnvAccountID, Setting: "account_id", Required: true},
	{Name: EnvIntegrationKey, Setting: "integration_key", Required: true},
	{Name: EnvUser, Setting: "user", Required: true},
	{Name: "WHATFIX_RATE_LIMIT", Setting: "rate_limit"},
	{Name: "WHATFIX_V1_BASE_URL", Setting: "v1.base_url"},
	{Name: "WHATFIX_V1_PATH_PREFIX", Setting: "v1.path_prefix"},
}

func sandboxFor(opts extract.SandboxOptions) extract.Sandbox {
	fake := whatfixfake.New(whatfixfake.Options{Seed: opts.Seed, Now: opts.Now, Scale: opts.Scale, Variant: whatfixfake.Variants[opts.Variant]})
	fake.Faults.Spread(opts.Faults)
	return extract.Sandbox{
		Handler: fake,
		Env: func(baseURL string) map[string]string {
			return extract.SandboxEnv(envVars, map[string]string{
				"base_url":        strings.TrimSuffix(baseURL, "/") + whatfixfake.APIPrefix,
				"account_id":      fake.AccountID(),
				"integration_key": fake.IntegrationKey(),
				"user":            fake.User(),
				// The sandbox has no quota worth pacing for; sample.yaml
				// reads this so the demo is not slowed to the real API's pace.
				"rate_limit": "unlimited",
			})
		},
	}
}
